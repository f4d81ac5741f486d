"""The lanes kernel: the twin of sim.model.kernel, for fewer than DOT_MIN_STATES states.

A block of replicates runs side by side, each array carrying the block as its last axis, so
every loop over pairs vectorises across replicates. Every value is computed by the same
arithmetic in the same order as in the row kernel, so the two agree to the bit (tests hold it);
a change to one must be made to the other.
"""


import numpy as np
from numba import njit

from sim.data.eventtypes import COOPERATE, N_CLASSES, OPPOSE, PASSIVE, SECURE, SUPPLY
from sim.model.actions import (
    action_key,
    action_word,
    class_levels,
    half_uniform,
    slot_bounds,
    takes,
)
from sim.model.bounds import CLIP, TANH, bound
from sim.model.kernel import agency_state, kept, run_slots
from sim.model.params import (
    AFFINITY,
    BALANCING,
    BETA,
    CLIENT_TIES,
    GAIN,
    LAM,
    MEMORY,
    MU,
    N_PARAMS,
    RHO,
    SIGMA,
    SOURCE_SHARE,
    SUBSTITUTION,
    TIT_FOR_TAT,
)
from sim.model.reduce import bin_index, extremes_lanes, slot_views, to_fixed
from sim.model.rng import GOLDEN, _common_branch, _normal_slow_path, mix64, stream_key


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def draw_noise_lanes(streams, size, noise, need, words_drawn):
    """noise[i, j, b] for lanes b < size, each from its own stream in draw_noise's order.

    The ziggurat's common branch runs over all lanes; the rare draws that need its slow
    path finish lane by lane, from the same stream, before that lane draws again. Two loops
    (the streams' next words, then the deviates) so that each writes few arrays and both
    vectorise. need: bool[8 * ceil(lanes / 8)], zero past size; words_drawn: uint64[lanes].
    """
    n = noise.shape[0]
    words = need.view(np.uint64)
    for i in range(n):
        for j in range(n):
            if i == j:
                for b in range(size):
                    noise[i, i, b] = 0.0
                continue
            for b in range(size):
                state = streams[b] + GOLDEN
                streams[b] = state
                words_drawn[b] = mix64(state)
            misses = 0
            for b in range(size):
                noise[i, j, b], need[b] = _common_branch(words_drawn[b])
                misses += need[b]
            if misses:
                for w in range(words.shape[0]):
                    if words[w]:
                        for b in range(8 * w, min(size, 8 * w + 8)):
                            if need[b]:
                                noise[i, j, b] = _normal_slow_path(streams, b, words_drawn[b],
                                                                   noise[i, j, b])


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def add_impulses_lanes(impulse, params, type_weight, r0, size, first, last, events, A, G, src, v,
                       history, structure, action_class, keys):
    """impulse[:, :, b] = add_impulses for replicate r0 + b, lanes b < size (variant v of
    A, G: float64[2, V, N, N, lanes]; history: the variant that replays the record)."""
    n = impulse.shape[0]
    for i in range(n):
        for j in range(n):
            for b in range(size):
                impulse[i, j, b] = 0.0
    for m in range(first, last):
        target, source = events.target[m], events.source[m]
        kind, factor, thin = events.type[m], events.factor[m], events.thin[m]
        for b in range(size):
            if thin and not kept(m, events, (A[src, v, :, :, b], G[src, v, :, :, b]),
                                       (A[src, history, :, :, b], G[src, history, :, :, b]),
                                       structure, action_class, params[r0 + b], keys[b]):
                continue
            push = params[r0 + b, GAIN] * type_weight[r0 + b, kind] * 0.1 * factor
            impulse[target, source, b] += push
            impulse[source, target, b] += params[r0 + b, SOURCE_SHARE] * push


# Not inlined: the lanes kernel compiles faster in parts. NumPy's error model: a float division
# by zero gives inf instead of a test that raises, which would stop its loops vectorising.
@njit(cache=True, error_model="numpy")
def step_lanes(A, B, src, dst, v, size, structure, rates, impulse, noise, num):
    """step_pairs for lanes b < size of A, B: float64[2, V, N, N, lanes]; rates:
    float64[N_PARAMS + K, lanes]; num: float64[lanes] scratch."""
    n = A.shape[2]
    weight, inv_denom = structure.balance_weight, structure.inv_denom
    free_diagonal, form = structure.free_diagonal, structure.bounds
    for i in range(n):
        for j in range(n):
            if i == j and not free_diagonal:
                for b in range(size):
                    A[dst, v, i, i, b] = 0.0
                    B[dst, v, i, i, b] = B[src, v, i, i, b]
                continue
            for b in range(size):
                num[b] = 0.0
            for k in range(n):
                c = weight[k]
                for b in range(size):
                    num[b] += c * A[src, v, i, k, b] * A[src, v, k, j, b]
            w = inv_denom[i, j]
            # the change into num, then the new values: two loops that each write few arrays,
            # which the compiler can vectorise (one loop writing A and B it does not)
            for b in range(size):
                a = A[src, v, i, j, b]
                num[b] = (-rates[LAM, b] * (a - B[src, v, i, j, b]) + rates[BETA, b] * num[b] * w
                          + rates[RHO, b] * (A[src, v, j, i, b] - a) + impulse[i, j, b]
                          + rates[SIGMA, b] * noise[i, j, b])
            if form == CLIP:  # a loop of its own, which vectorises as before
                for b in range(size):
                    base = B[src, v, i, j, b]
                    a = min(1.0, max(-1.0, A[src, v, i, j, b] + num[b]))
                    A[dst, v, i, j, b] = a
                    B[dst, v, i, j, b] = base + rates[MU, b] * (a - base)
            elif form == TANH:  # the form a constant of its loop, which then vectorises
                for b in range(size):
                    base = B[src, v, i, j, b]
                    a = bound(A[src, v, i, j, b], num[b], TANH)
                    A[dst, v, i, j, b] = a
                    B[dst, v, i, j, b] = base + rates[MU, b] * (a - base)
            else:
                for b in range(size):
                    base = B[src, v, i, j, b]
                    a = bound(A[src, v, i, j, b], num[b], form)
                    A[dst, v, i, j, b] = a
                    B[dst, v, i, j, b] = base + rates[MU, b] * (a - base)


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def choose_actions_lanes(A, G, src, v, size, structure, rates, action_class, bounds, keys, step,
                         signed, levels, sums, chosen):
    """choose_actions for lanes b < size: chosen[i, j, b] the type (or -1), with the same
    arithmetic in the same order: the sums of pair_sums and the rule's parts (class_levels,
    then slot_of and takes as one pass over the slots) over the lanes at once.
    G: float64[2, V, N, N, lanes]; bounds: float64[K + 1, lanes] each lane's slot_bounds;
    signed: float64[3, N, N, lanes], levels: float64[N_CLASSES, lanes], sums: float64[5,
    lanes] scratch."""
    n = A.shape[2]
    capability, threat_norm = structure.capability, structure.threat_norm
    neg_a, pos_a, neg_g = signed[0], signed[1], signed[2]
    for i in range(n):
        for j in range(n):
            off = i != j
            for b in range(size):
                x = A[src, v, i, j, b]
                neg_a[i, j, b] = max(0.0, -x) if off else 0.0
                pos_a[i, j, b] = max(0.0, x) if off else 0.0
                neg_g[i, j, b] = max(0.0, -G[src, v, i, j, b]) if off else 0.0
    threat, loss, ties, u, words = sums[0], sums[1], sums[2], sums[3], sums[4].view(np.uint64)
    n_pairs = n * (n - 1)
    q = 0
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            for b in range(size):
                threat[b] = 0.0
                loss[b] = 0.0
                ties[b] = 0.0
            for k in range(n):
                if k == i or k == j:  # its terms are zeros (the signed parts' diagonals), which
                    continue  # leave a sum of non-negative terms begun at +0.0 as it is
                c = capability[k]
                for b in range(size):
                    threat[b] += c * neg_a[i, k, b] * neg_a[j, k, b]
                    loss[b] += neg_g[i, k, b] * neg_a[k, j, b]
                    ties[b] += c * pos_a[i, k, b] * neg_a[k, j, b]
            w = threat_norm[i, j]
            for b in range(size):
                cooperate, secure, supply, oppose = class_levels(
                    A[src, v, i, j, b], G[src, v, i, j, b], threat[b] * w, loss[b], ties[b] * w,
                    rates[AFFINITY, b], rates[TIT_FOR_TAT, b], rates[BALANCING, b],
                    rates[SUBSTITUTION, b], rates[CLIENT_TIES, b])
                levels[COOPERATE, b] = cooperate
                levels[SECURE, b] = secure
                levels[SUPPLY, b] = supply
                levels[OPPOSE, b] = oppose
            if q % 2 == 0:
                for b in range(size):
                    words[b] = action_word(keys[b], step, q, n_pairs)
            choice = chosen[i, j]
            for b in range(size):
                u[b] = half_uniform(words[b], q)
                choice[b] = -1
            # slot_of and takes in one pass over the slots, each a row over the lanes: the
            # last slot holding u (they do not overlap) decides whether its type is taken
            for k in range(action_class.shape[0]):
                if action_class[k] == PASSIVE:
                    continue
                start, end, rate = bounds[k], bounds[k + 1], rates[N_PARAMS + k]
                level = levels[action_class[k]]
                for b in range(size):
                    holds = (u[b] >= start[b]) & (u[b] < end[b])
                    taken = takes(u[b], start[b], rate[b], level[b])
                    choice[b] = (k if taken else -1) if holds else choice[b]
            q += 1
    for i in range(n):
        for b in range(size):
            chosen[i, i, b] = -1


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def apply_actions_lanes(chosen, impulse, params, type_weight, r0, size, action_factor, acting,
                        counts, v, counting):
    """apply_actions for lanes b < size (replicate r0 + b)."""
    n = chosen.shape[0]
    for i in range(n):
        for j in range(n):
            for b in range(size):
                k = chosen[i, j, b]
                if k < 0:
                    continue
                if counting:
                    counts[r0 + b, v, i, j, k] += 1
                if acting:
                    push = params[r0 + b, GAIN] * type_weight[r0 + b, k] * 0.1 * action_factor[k]
                    impulse[j, i, b] += push
                    impulse[i, j, b] += params[r0 + b, SOURCE_SHARE] * push


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def remember_lanes(G, src, dst, v, size, impulse, rates):
    """remember for lanes b < size."""
    n = impulse.shape[0]
    for i in range(n):
        for j in range(n):
            for b in range(size):
                G[dst, v, i, j, b] = rates[MEMORY, b] * G[src, v, i, j, b] + impulse[i, j, b]


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def record_step_lanes(t, A, cur, size, sums, hist, lowest, highest, n_bins, diff, slots):
    """record_step for lanes b < size of A: float64[2, V, N, N, lanes]. Scratch: diff
    float64[lanes], slots int64[N * (N - 1), lanes].

    Per series, each cell's values are summed, bounded and binned over the lanes at once;
    the counts then go in four cells at a time, lane by lane, so that a run of equal bins
    in one cell does not make each increment wait for the last.
    """
    n_variants, n = A.shape[1], A.shape[2]
    for s in range(2 * n_variants - 1):
        v = s if s < n_variants else s - n_variants + 1
        low, width = (-1.0, 2.0 / max(n_bins, 1)) if s < n_variants else (-2.0, 4.0 / max(n_bins, 1))
        q = 0  # the off-diagonal cells in row order
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                if s < n_variants:
                    x = A[cur, v, i, j]
                else:
                    x = diff
                    for b in range(size):
                        x[b] = A[cur, v, i, j, b] - A[cur, 0, i, j, b]
                total = np.int64(0)
                for b in range(size):
                    total += to_fixed(x[b])
                sums[s, t, i, j] += total
                if n_bins > 0:
                    lowest[s, t, i, j], highest[s, t, i, j] = extremes_lanes(
                        x, size, lowest[s, t, i, j], highest[s, t, i, j])
                    offset = (i * n + j) * n_bins
                    for b in range(size):
                        slots[q, b] = offset + bin_index(x[b], low, width, n_bins)
                q += 1
        if n_bins > 0:
            counts = hist[s, t].reshape(-1)
            fours = q - q % 4
            for first in range(0, fours, 4):
                for b in range(size):
                    counts[slots[first, b]] += 1
                    counts[slots[first + 1, b]] += 1
                    counts[slots[first + 2, b]] += 1
                    counts[slots[first + 3, b]] += 1
            for rest in range(fours, q):
                for b in range(size):
                    counts[slots[rest, b]] += 1


def run_ensemble_lanes(A0, B0, structure, params, type_weight, events, agency, seed,
                       first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums,
                       slot_hist, slot_low, slot_high, probes, raw, counts):
    """run_ensemble_rows with a block's replicates side by side (block_size lanes); the same
    arguments and the same outputs, bit for bit. For N < DOT_MIN_STATES."""
    return run_slots(run_lanes_slot, A0, B0, structure, params, type_weight, events, agency,
                     seed, first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums,
                     slot_hist, slot_low, slot_high, probes, raw, counts)


@njit(cache=True, nogil=True)
def run_lanes_slot(slot, A0, B0, structure, params, type_weight, events, agency, seed,
                   first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums, slot_hist,
                   slot_low, slot_high, probes, raw, counts):
    """The blocks of thread slot `slot` of run_ensemble_lanes (blocks slot, slot + n_slots,
    ...), with its own scratch (run_slots runs one on each thread)."""
    ev_ptr = events.ptr
    action_class, action_factor = agency.action_class, agency.action_factor
    agents_from, history = agency.agents_from, agency.history
    n, n_reps, n_variants, n_steps = A0.shape[0], params.shape[0], ev_ptr.shape[0], ev_ptr.shape[1] - 1
    n_rates = params.shape[1]
    lanes = block_size
    n_blocks = (n_reps + lanes - 1) // lanes
    n_slots, n_bins, n_keep = slot_sums.shape[0], slot_hist.shape[-1], raw.shape[0]
    sums, hist, lowest, highest = slot_views(slot, slot_sums, slot_hist, slot_low, slot_high)
    A = np.empty((2, n_variants, n, n, lanes))
    B = np.empty((2, n_variants, n, n, lanes))
    noise = np.empty((n, n, lanes))
    impulse = np.empty((n, n, lanes))
    num = np.empty(lanes)
    diff = np.empty(lanes)
    slots = np.empty((n * (n - 1), lanes), dtype=np.int64)
    rates = np.empty((n_rates, lanes))
    streams = np.empty(lanes, dtype=np.uint64)
    keys = np.empty(lanes, dtype=np.uint64)
    need = np.zeros(8 * ((lanes + 7) // 8), dtype=np.bool_)
    words_drawn = np.empty(lanes, dtype=np.uint64)
    G = np.zeros((2, n_variants, n, n, lanes))
    signed = np.empty((3, n, n, lanes))
    levels = np.empty((N_CLASSES, lanes))
    choice_sums = np.empty((5, lanes))
    bounds = np.empty((action_class.shape[0] + 1, lanes))
    lane_bounds = np.empty(action_class.shape[0] + 1)
    chosen = np.empty((n, n, lanes), dtype=np.int64)
    for blk in range(slot, n_blocks, n_slots):
        r0 = blk * lanes
        size = min(lanes, n_reps - r0)
        for b in range(size):
            streams[b] = stream_key(seed, first_replicate + r0 + b)
            keys[b] = action_key(seed, first_replicate + r0 + b)
            for q in range(n_rates):
                rates[q, b] = params[r0 + b, q]
            slot_bounds(params[r0 + b, N_PARAMS:], action_class, lane_bounds)
            for k in range(action_class.shape[0] + 1):
                bounds[k, b] = lane_bounds[k]
        G[:] = 0.0
        for v in range(n_variants):
            for i in range(n):
                for j in range(n):
                    for b in range(size):
                        A[0, v, i, j, b] = A0[i, j]
                        B[0, v, i, j, b] = B0[i, j]
        for t in range(n_steps + 1):
            cur = t & 1
            if t > 0:
                step = t - 1
                _, counting, tracking = agency_state(agency, step, n_steps)
                draw_noise_lanes(streams, size, noise, need, words_drawn)
                for v in range(n_variants):
                    add_impulses_lanes(impulse, params, type_weight, r0, size, ev_ptr[v, step],
                                       ev_ptr[v, t], events, A, G, 1 - cur, v, history,
                                       structure, action_class, keys)
                    acting = step >= agents_from[v]
                    if acting or counting:
                        choose_actions_lanes(A, G, 1 - cur, v, size, structure, rates, action_class,
                                             bounds, keys, step, signed, levels, choice_sums,
                                             chosen)
                        apply_actions_lanes(chosen, impulse, params, type_weight, r0, size,
                                            action_factor, acting, counts, v, counting)
                    step_lanes(A, B, 1 - cur, cur, v, size, structure, rates, impulse, noise,
                               num)
                    if tracking:
                        remember_lanes(G, 1 - cur, cur, v, size, impulse, rates)
            record_step_lanes(t, A, cur, size, sums, hist, lowest, highest, n_bins, diff, slots)
            for p in range(probe_ptr[t], probe_ptr[t + 1]):
                for v in range(n_variants):
                    for b in range(size):
                        probes[r0 + b, v, p] = A[cur, v, probe_i[p], probe_j[p], b]
            for b in range(min(size, n_keep - r0)):
                for v in range(n_variants):
                    for i in range(n):
                        for j in range(n):
                            raw[r0 + b, v, t, i, j] = A[cur, v, i, j, b]
