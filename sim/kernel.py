"""The numba kernels: one step of the alignment dynamics, and an ensemble of replicates.

Arrays in, arrays out. Shapes: N states, R replicates, V variants of the event schedule
(variant 0 is the reference; others share its random numbers), T steps (T + 1 dates),
M events over all variants, P probes, K event types.

One step, for every ordered pair i != j, from the previous step's values:

    balance = sum_k w_k A[i,k] A[k,j] / sum_{k != i,j} w_k
    dA      = -lam (A[i,j] - B[i,j]) + beta balance + rho (A[j,i] - A[i,j]) + E[i,j] + sigma noise
    A[i,j] <- bound(A[i,j], dA);         B[i,j] <- B[i,j] + mu (A[i,j] - B[i,j])

bound keeps A inside [-1, 1] in one of three ways (BOUNDS_FORMS, README "Bounds"): tanh
(default), a latent state x = atanh(A) that takes the whole change, A <- tanh(atanh(A) + dA);
heider, the change damped by (1 - A^2) (Kulakowski, Gawronski & Gronek 2005), in as many
equal Euler substeps as keep each inside the interval; clip, A <- clip(A + dA, -1, 1).

noise is N(0, 1), drawn afresh for each ordered pair, step and replicate (every variant of a
replicate shares it). Time is in steps (months); rates are per step. The diagonal of A is
held at 0, so the k = i and k = j terms of the balance sum vanish without a test (the
canonical form of balance_structure sums over every k and lets the diagonal move).

E holds the impulses of the recorded events of the step and, from a variant's agents_from
step on, of the actions the states choose themselves (sim.actions), drawn from their own
stream; G, the memory of recent impulses the states choose by, follows G <- memory G + E.
"""

import math

import numpy as np
from numba import njit, prange

from sim.actions import (
    action_key,
    action_word,
    choose_actions,
    half_uniform,
    keeps_event,
    pair_level,
    slot_bounds,
    step_uniforms,
)
from sim.layout import (
    AFFINITY,
    BALANCING,
    BETA,
    CLIENT_TIES,
    COOPERATE,
    DOT_MIN_STATES,
    GAIN,
    LAM,
    MEMORY,
    MU,
    N_CLASSES,
    N_PARAMS,
    OPPOSE,
    PARAM_NAMES,
    PASSIVE,
    RHO,
    SECURE,
    SIGMA,
    SOURCE_SHARE,
    SUBSTITUTION,
    SUPPLY,
    TIT_FOR_TAT,
)
from sim.rng import (
    GOLDEN,
    _common_branch,
    _normal_slow_path,
    fill_standard_normal,
    mix64,
    stream_key,
)

__all__ = ["PARAM_NAMES", "N_PARAMS", "DOT_MIN_STATES", "LAM", "BETA", "RHO", "SIGMA", "MU", "GAIN",
           "SOURCE_SHARE"]


FIXED_POINT = 2.0**36  # sums of values are kept as exact integers, so any order adds up the same
MAX_BINNED_REPLICATES = 65535  # replicates per call when histograms are kept (uint16 counts)


BOUNDS_FORMS = ("tanh", "heider", "clip")
TANH, HEIDER, CLIP = range(3)  # the codes of BOUNDS_FORMS in a run's structure
# The largest change of a Heider substep. A step a + (1 - a^2) h maps [-1, 1] onto itself,
# monotonically, while |h| <= 1/2; at h = 1/2 it snaps onto the bound (1 - a' = (1 - a)^2 / 2,
# which reaches 1.0 in floating point in six steps), so substeps take at most 1/4: each then
# at most halves the distance to the bound, approaching it geometrically as the continuous
# form does.
HEIDER_SUBSTEP = 0.25

NOISE, IMPULSE, SCALED, PRODUCT, FLIPPED = range(5)  # the planes of a replicate's workspace
NOISE_CHUNK = 4096  # normal deviates drawn as candidates at once (fill_standard_normal)


@njit(cache=True)
def workspace(n):
    """Scratch for stepping one replicate of N states: float64[5, N, N] planes (the noise,
    the event impulses, A scaled by capability, the balance product, A transposed), the draws
    of a step in a row and the buffers of fill_standard_normal."""
    chunk = min(NOISE_CHUNK, max(1, n * (n - 1)))
    return (np.zeros((5, n, n)), np.empty(n * (n - 1)), np.empty(chunk),
            np.zeros(8 * ((chunk + 7) // 8), dtype=np.bool_))


@njit(cache=True)  # not inlined: inside the large kernels its loops compiled slower
def draw_noise(streams, slot, noise, drawn, values, miss):
    """noise[i, j] for i != j: the N(N - 1) draws of a step from stream streams[slot], in
    row-major order. drawn: float64[N(N - 1)] scratch (one fill, then each row in place)."""
    n = noise.shape[0]
    fill_standard_normal(streams, slot, drawn, values, miss)
    for i in range(n):
        row, before, after = noise[i], drawn[i * (n - 1):], drawn[i * n:]
        for j in range(i):
            row[j] = before[j]
        row[i] = 0.0
        rest = row[i + 1:]
        for j in range(n - 1 - i):
            rest[j] = after[j]


@njit(cache=True, inline="always")
def add_impulses(impulse, params, type_weight, r, first, last, events, now, history, structure,
                 action_class, key):
    """impulse[N, N] = the impulses of events first..last-1 under replicate r's parameters.

    An event moves the target's alignment toward the source by gain * weight/10 * factor,
    and the source's toward the target by source_share of that. A recorded choice marked to
    thin is kept with the odds keeps_event gives from the intensities of its pair and type
    in this variant, now = (A, G), against the variant that replays the record, history.
    """
    _, ev_target, ev_source, ev_type, ev_factor, ev_thin = events
    impulse[:] = 0.0
    for m in range(first, last):
        if ev_thin[m] and not kept(m, events, now, history, structure, action_class, params[r],
                                   key):
            continue
        push = params[r, GAIN] * type_weight[r, ev_type[m]] * 0.1 * ev_factor[m]
        impulse[ev_target[m], ev_source[m]] += push
        impulse[ev_source[m], ev_target[m]] += params[r, SOURCE_SHARE] * push


@njit(cache=True)
def kept(m, events, now, history, structure, action_class, row, key):
    """Whether recorded event m (a choice to thin) happens in the variant whose alignment and
    memory are now = (A, G), given that it happened where they are history."""
    source, target, cls = events[2][m], events[1][m], action_class[events[3][m]]
    capability, threat_norm = structure[0], structure[3]
    level = pair_level(now[0], now[1], capability, threat_norm, source, target, cls, row)
    level_history = pair_level(history[0], history[1], capability, threat_norm, source, target,
                               cls, row)
    return keeps_event(key, m, level, level_history)


@njit(cache=True, inline="always")
def balance_numerators(a, capability, work):
    """work[PRODUCT][i, j] = sum_k capability[k] a[i, k] a[k, j], as one matrix product."""
    n = a.shape[0]
    scaled = work[SCALED]
    for i in range(n):
        for k in range(n):
            scaled[i, k] = a[i, k] * capability[k]
    np.dot(scaled, a, work[PRODUCT])


@njit(cache=True, inline="always")
def transpose_into(a, out):
    """out = a.T (written in order, read down the columns: the faster way round here)."""
    n = a.shape[0]
    for j in range(n):
        for i in range(n):
            out[j, i] = a[i, j]


@njit(cache=True, inline="always")
def step_pairs(A, B, src, dst, b, v, structure, params, r, work):
    """One synchronous step of replicate b, variant v: A[src, b, v] -> A[dst, b, v] (and B),
    with the noise and impulses in work[NOISE] and work[IMPULSE].

    A, B: float64[2, size, V, N, N] double buffers; structure: see balance_structure;
    work: a workspace(N)[0].
    """
    capability, inv_denom, free_diagonal, bounds = structure[1], structure[2], structure[4], structure[5]
    n = A.shape[3]
    lam, beta, rho = params[r, LAM], params[r, BETA], params[r, RHO]
    sigma, mu = params[r, SIGMA], params[r, MU]
    a_old, b_old, a_new, b_new = A[src, b, v], B[src, b, v], A[dst, b, v], B[dst, b, v]
    noise, numerator, flipped = work[NOISE], work[PRODUCT], work[FLIPPED]
    if n >= DOT_MIN_STATES:
        balance_numerators(a_old, capability, work)
    else:
        for i in range(n):
            for j in range(n):
                num = 0.0
                for k in range(n):
                    num += capability[k] * a_old[i, k] * a_old[k, j]
                numerator[i, j] = num
    transpose_into(a_old, flipped)
    update_pairs(a_old, b_old, a_new, b_new, numerator, flipped, inv_denom, work[IMPULSE], noise,
                 lam, beta, rho, sigma, mu, free_diagonal, bounds)


@njit(cache=True, inline="always")
def heider_substeps(change):
    """How many equal Euler substeps the Heider form splits a step's change into, each of
    at most HEIDER_SUBSTEP."""
    size = abs(change)
    return 1 if size <= HEIDER_SUBSTEP else int(math.ceil(size / HEIDER_SUBSTEP))


@njit(cache=True, inline="always")
def heider(a, change):
    """a moved by change damped by (1 - a^2), the drift of the continuous Heider balance held
    over the step, in heider_substeps equal steps; +-1 are its fixed points."""
    n = heider_substeps(change)
    h = change / n
    for _ in range(n):
        a = a + (1.0 - a) * (1.0 + a) * h
    return a


@njit(cache=True, inline="always")
def bound(a, change, bounds):
    """The new value of an alignment a in [-1, 1] after a step's change, by the bounds form
    (TANH, HEIDER or CLIP); in [-1, 1] for every finite change, never NaN."""
    if bounds == TANH:
        return math.tanh(math.atanh(a) + change)
    if bounds == HEIDER:
        return heider(a, change)
    return min(1.0, max(-1.0, a + change))


@njit(cache=True)
def update_pairs(a_old, b_old, a_new, b_new, numerator, flipped, inv_denom, impulse, noise, lam,
                 beta, rho, sigma, mu, free_diagonal, bounds):
    """a_new, b_new from a_old, b_old and the terms of the change (all float64[N, N]), kept
    inside [-1, 1] by the bounds form; the diagonal is held unless free_diagonal."""
    n = a_old.shape[0]
    for i in range(n):
        for j in range(n):
            a = a_old[i, j]
            base = b_old[i, j]
            change = (-lam * (a - base) + beta * numerator[i, j] * inv_denom[i, j]
                      + rho * (flipped[i, j] - a) + impulse[i, j] + sigma * noise[i, j])
            a = bound(a, change, bounds)
            a_new[i, j] = a
            b_new[i, j] = base + mu * (a - base)
        if not free_diagonal:
            a_new[i, i] = 0.0
            b_new[i, i] = b_old[i, i]


@njit(cache=True)
def apply_actions(chosen, impulse, row, weights, action_factor, acting, counts, counting):
    """The actions chosen[i, j] (type, or -1) of one replicate and variant: counted into
    counts[i, j, type] if counting; if acting, their impulses added to impulse (in pair order,
    as add_impulses does for recorded events, with the type's typical factor)."""
    n = chosen.shape[0]
    for i in range(n):
        for j in range(n):
            k = chosen[i, j]
            if k < 0:
                continue
            if counting:
                counts[i, j, k] += 1
            if acting:
                push = row[GAIN] * weights[k] * 0.1 * action_factor[k]
                impulse[j, i] += push
                impulse[i, j] += row[SOURCE_SHARE] * push


@njit(cache=True, inline="always")
def remember(g_new, g_old, impulse, memory):
    """g_new = memory g_old + impulse: the recent impulses on each alignment."""
    n = g_old.shape[0]
    for i in range(n):
        for j in range(n):
            g_new[i, j] = memory * g_old[i, j] + impulse[i, j]


@njit(cache=True, inline="always")
def agency_state(agency, step, n_steps):
    """(any variant's agents act or are counted at this step, counting at this step, memory
    is kept in this run)."""
    agents_from, window = agency[2], agency[3]
    counting = window[0] <= step < window[1]
    first = agents_from.min() if agents_from.shape[0] > 0 else n_steps
    return counting or step >= first, counting, first < n_steps or window[1] > window[0]


@njit(cache=True, inline="always")
def advance_replicate(A, B, G, src, dst, b, r, step, structure, params, type_weight, events,
                      agency, streams, keys, work, drawn, values, miss, acts, counts, given):
    """Step `step` (date step -> step + 1) of replicate b (global row r of params) for every
    variant, on one draw of noise from streams[b] and of action uniforms from keys[b]: the
    variants share random numbers. G: float64[2, size, V, N, N] memory (double buffered); work, drawn, values,
    miss: a workspace(N); acts: an action_workspace(N); counts: int32[R, V, N, N, K] (empty
    when no window is counted). given: int64[V, N, N] actions chosen outside (the Mesa
    agents), or empty to choose them here."""
    ev_ptr = events[0]
    action_class, action_factor, agents_from, history = agency[0], agency[1], agency[2], agency[4][0]
    scratch, uniforms, chosen = acts
    n_steps = ev_ptr.shape[1] - 1
    deciding, counting, tracking = agency_state(agency, step, n_steps)
    draw_noise(streams, b, work[NOISE], drawn, values, miss)
    if deciding and given.shape[0] == 0:
        step_uniforms(keys[b], step, A.shape[3], uniforms)
    for v in range(ev_ptr.shape[0]):
        add_impulses(work[IMPULSE], params, type_weight, r, ev_ptr[v, step], ev_ptr[v, step + 1],
                     events, (A[src, b, v], G[src, b, v]), (A[src, b, history], G[src, b, history]),
                     structure, action_class, keys[b])
        acting = step >= agents_from[v]
        if acting or counting:
            if given.shape[0] > 0:
                chosen[:] = given[v]
            else:
                choose_actions(A[src, b, v], G[src, b, v], structure[0], structure[3], params[r],
                               action_class, uniforms, chosen, scratch)
            apply_actions(chosen, work[IMPULSE], params[r], type_weight[r], action_factor, acting,
                          counts[r, v] if counting else counts[0, 0], counting)
        step_pairs(A, B, src, dst, b, v, structure, params, r, work)
        if tracking:
            remember(G[dst, b, v], G[src, b, v], work[IMPULSE], params[r, MEMORY])


@njit(cache=True)
def action_workspace(n):
    """Scratch for the agents' choice in one replicate: float64[6, N, N] (choose_actions),
    the step's uniforms float64[N, N] and the chosen types int64[N, N]."""
    return np.zeros((6, n, n)), np.ones((n, n)), np.full((n, n), -1, dtype=np.int64)


@njit(cache=True)
def advance_one(A, B, G, src, dst, step, structure, params, type_weight, events, agency, streams,
                keys, work, drawn, values, miss, acts, counts, given):
    """advance_replicate for a single replicate (b = r = 0): the Mesa model's step."""
    advance_replicate(A, B, G, src, dst, 0, 0, step, structure, params, type_weight, events,
                      agency, streams, keys, work, drawn, values, miss, acts, counts, given)


@njit(cache=True)
def balance_denominators(capability):
    """inv_denom[i, j] = 1 / sum_{k != i, j} capability[k], or 0 where that sum is empty:
    the normalisation of the local balance term and of the agents' threat and ties."""
    n = capability.shape[0]
    total = capability.sum()
    inv_denom = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            rest = total - capability[i] - capability[j]
            if i != j and n > 2 and rest > 0.0:
                inv_denom[i, j] = 1.0 / rest
    return inv_denom


@njit(cache=True, inline="always")
def _bin(value, low, width, n_bins):
    k = int((value - low) / width)
    return min(n_bins - 1, max(0, k))


@njit(cache=True, inline="always")
def _fixed(value):
    return np.int64(math.floor(value * FIXED_POINT + 0.5))


@njit(cache=True, inline="always")
def _histogram(s, t, i, j, value, low, width, hist, lowest, highest, n_bins):
    hist[s, t, i, j, _bin(value, low, width, n_bins)] += 1
    lowest[s, t, i, j] = min(lowest[s, t, i, j], value)
    highest[s, t, i, j] = max(highest[s, t, i, j], value)


@njit(cache=True, inline="always")
def _add_fixed(values, reference, sums):
    """sums[i, j] += _fixed(values[i, j] - reference[i, j]) off the diagonal (reference None:
    of values[i, j] alone). Whole rows, then the diagonal taken back out: exact, integers."""
    n = values.shape[0]
    for i in range(n):
        for j in range(n):
            sums[i, j] += _fixed(values[i, j] if reference is None else values[i, j] - reference[i, j])
        sums[i, i] -= _fixed(values[i, i] if reference is None else values[i, i] - reference[i, i])


@njit(cache=True, inline="always")
def _record(t, A, cur, b, sums, hist, lowest, highest, n_bins):
    """Add replicate b's values at step t to the running sums, histograms and extremes.

    Series 0..V-1 are the variants on [-1, 1]; series V..2V-2 are variant v minus the
    reference on [-2, 2].
    """
    n_variants, n = A.shape[2], A.shape[3]
    for v in range(n_variants):
        _add_fixed(A[cur, b, v], None, sums[v, t])
        if v > 0:
            _add_fixed(A[cur, b, v], A[cur, b, 0], sums[n_variants + v - 1, t])
    if n_bins == 0:
        return
    for v in range(n_variants):
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                a = A[cur, b, v, i, j]
                _histogram(v, t, i, j, a, -1.0, 2.0 / n_bins, hist, lowest, highest, n_bins)
                if v > 0:
                    _histogram(n_variants + v - 1, t, i, j, a - A[cur, b, 0, i, j], -2.0,
                               4.0 / n_bins, hist, lowest, highest, n_bins)


def ensemble_outputs(n, n_reps, n_variants, n_steps, n_probes, n_keep, n_slots, n_bins, n_types,
                     counting):
    """Room for what both kernels return: each thread slot's running sums, counts and least
    and greatest values (the last three empty when n_bins is 0), the probes, the kept
    replicates and the counted actions (one unused cell when not counting). Allocated by
    NumPy, which asks for huge pages for large arrays (clearing 200 states' slot sums took a
    fifth of the time it took in numba's own allocation). Each slot clears its own
    (_slot_views), so that its pages are first written by the thread that uses them, in
    parallel. A slot counts in uint16 (half the memory traffic of int32), which holds up to
    MAX_BINNED_REPLICATES."""
    n_series = 2 * n_variants - 1
    cells = (n_slots, n_series, n_steps + 1, n, n) if n_bins > 0 else (n_slots, 0, 0, 0, 0)
    return (np.empty((n_slots, n_series, n_steps + 1, n, n), dtype=np.int64),
            np.empty((*cells, n_bins), dtype=np.uint16), np.empty(cells), np.empty(cells),
            np.zeros((n_reps, n_variants, n_probes)),
            np.zeros((min(n_keep, n_reps), n_variants, n_steps + 1, n, n)),
            np.zeros((n_reps, n_variants, n, n, n_types) if counting else (1, 1, n, n, n_types),
                     dtype=np.int32))


@njit(cache=True, inline="always")
def _slot_views(slot, slot_sums, slot_hist, slot_low, slot_high):
    """Slot `slot`'s sums, counts and extremes, cleared."""
    sums, hist, lowest, highest = slot_sums[slot], slot_hist[slot], slot_low[slot], slot_high[slot]
    sums.reshape(-1)[:] = 0
    hist.reshape(-1)[:] = 0
    lowest.reshape(-1)[:] = np.inf
    highest.reshape(-1)[:] = -np.inf
    return sums, hist, lowest, highest


@njit(cache=True, parallel=True)
def _merge_slots(slot_sums, slot_hist, slot_low, slot_high):
    """The slots' sums and extremes brought together (exact: integers, least and greatest),
    in parallel over cells; the counts stay per slot (add_counts adds them up)."""
    n_slots = slot_sums.shape[0]
    sums = slot_sums.reshape(n_slots, -1)
    for c in prange(sums.shape[1]):
        for slot in range(1, n_slots):
            sums[0, c] += sums[slot, c]
    if slot_hist.shape[2] > 0:
        lowest, highest = slot_low.reshape(n_slots, -1), slot_high.reshape(n_slots, -1)
        for c in prange(lowest.shape[1]):
            for slot in range(1, n_slots):
                lowest[0, c] = min(lowest[0, c], lowest[slot, c])
                highest[0, c] = max(highest[0, c], highest[slot, c])
    return slot_sums[0], slot_hist, slot_low[0], slot_high[0]


@njit(cache=True, parallel=True)
def add_counts(total, slot_counts):
    """total[...] += slot_counts.sum(axis=0), in parallel over cells; total: int32."""
    n_slots = slot_counts.shape[0]
    flat_total = total.reshape(-1)
    counts = slot_counts.reshape(n_slots, -1)
    for c in prange(flat_total.shape[0]):
        for slot in range(n_slots):
            flat_total[c] += counts[slot, c]


@njit(cache=True, parallel=True)
def run_ensemble_rows(A0, B0, structure, params, type_weight, events, agency, seed,
                      first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums, slot_hist,
                      slot_low, slot_high, probes, raw, counts):
    """Advance R replicates of V schedule variants over T steps, reducing as they run.

    A0, B0: float64[N, N] initial alignment and baseline; structure: balance_structure(...);
    params: float64[R, N_PARAMS + K] per replicate (PARAM_NAMES, then the action rate of each
    type); type_weight: float64[R, K] (Goldstein scale); events: (ev_ptr, ev_target,
    ev_source, ev_type, ev_factor): ev_ptr int64[V, T + 1], the events of variant v in step t
    (taking date t to t + 1) are ev_ptr[v, t] .. ev_ptr[v, t + 1] - 1 of the int64[M] and
    float64[M] columns; agency: (action_class int64[K], action_factor float64[K], agents_from
    int64[V], count_window int64[2]): the states act from step agents_from[v] on in variant v,
    and their choices at steps count_window[0] .. count_window[1] - 1 are counted whether or
    not they act. Replicate r draws from the streams (seed, first_replicate + r).
    probe_ptr: int64[T + 2]; the probes at date t are probe_ptr[t] .. probe_ptr[t + 1] - 1,
    cells (probe_i, probe_j). slot_sums .. counts: the room ensemble_outputs makes (its
    n_slots thread slots, n_bins and n_keep decide them).

    Returns sums int64[2V - 1, T + 1, N, N] (fixed point, FIXED_POINT per unit), the counts
    hist uint16[n_slots, 2V - 1, T + 1, N, N, n_bins] of each thread slot (their sum over the
    first axis is the histogram; add_counts), the least and greatest value of each cell
    (float64[2V - 1, T + 1, N, N], kept when n_bins > 0), probes float64[R, V, P] and
    raw float64[n_keep, V, T + 1, N, N] (the first n_keep replicates) and counts
    int32[R, V, N, N, K] (the actions counted). Integer reductions make every output
    independent of n_slots and block_size (hist: its sum over slots).
    """
    ev_ptr = events[0]
    n, n_reps, n_variants, n_steps = A0.shape[0], params.shape[0], ev_ptr.shape[0], ev_ptr.shape[1] - 1
    n_blocks = (n_reps + block_size - 1) // block_size
    n_slots, n_bins, n_keep = slot_sums.shape[0], slot_hist.shape[-1], raw.shape[0]
    given = np.empty((0, n, n), dtype=np.int64)
    for slot in prange(n_slots):
        sums, hist, lowest, highest = _slot_views(slot, slot_sums, slot_hist, slot_low, slot_high)
        A = np.empty((2, block_size, n_variants, n, n))
        B = np.empty((2, block_size, n_variants, n, n))
        G = np.zeros((2, block_size, n_variants, n, n))
        work, drawn, values, miss = workspace(n)
        acts = action_workspace(n)
        streams = np.empty(block_size, dtype=np.uint64)
        keys = np.empty(block_size, dtype=np.uint64)
        for blk in range(slot, n_blocks, n_slots):
            r0 = blk * block_size
            size = min(block_size, n_reps - r0)
            for b in range(size):
                streams[b] = stream_key(seed, first_replicate + r0 + b)
                keys[b] = action_key(seed, first_replicate + r0 + b)
                G[:, b] = 0.0
                for v in range(n_variants):
                    A[0, b, v] = A0
                    B[0, b, v] = B0
            for t in range(n_steps + 1):
                cur = t & 1
                if t > 0:
                    for b in range(size):
                        advance_replicate(A, B, G, 1 - cur, cur, b, r0 + b, t - 1, structure,
                                          params, type_weight, events, agency, streams, keys,
                                          work, drawn, values, miss, acts, counts, given)
                for b in range(size):
                    r = r0 + b
                    _record(t, A, cur, b, sums, hist, lowest, highest, n_bins)
                    for p in range(probe_ptr[t], probe_ptr[t + 1]):
                        for v in range(n_variants):
                            probes[r, v, p] = A[cur, b, v, probe_i[p], probe_j[p]]
                    if r < n_keep:
                        for v in range(n_variants):
                            raw[r, v, t] = A[cur, b, v]
    sums, hist, lowest, highest = _merge_slots(slot_sums, slot_hist, slot_low, slot_high)
    return sums, hist, lowest, highest, probes, raw, counts


# Replicates side by side. Below DOT_MIN_STATES states one replicate is too small a piece of
# work for the vector units, so a block's replicates are laid along the innermost axis
# (A[2, V, N, N, lanes]) and every per-pair operation, the ziggurat's common branch included,
# runs over the lanes at once. Each lane does the same arithmetic in the same order as
# step_pairs, draw_noise and _record do for one replicate, so the outputs are bit for bit
# those of run_ensemble_rows.


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
    _, ev_target, ev_source, ev_type, ev_factor, ev_thin = events
    n = impulse.shape[0]
    for i in range(n):
        for j in range(n):
            for b in range(size):
                impulse[i, j, b] = 0.0
    for m in range(first, last):
        target, source, kind, factor = ev_target[m], ev_source[m], ev_type[m], ev_factor[m]
        for b in range(size):
            if ev_thin[m] and not kept(m, events, (A[src, v, :, :, b], G[src, v, :, :, b]),
                                       (A[src, history, :, :, b], G[src, history, :, :, b]),
                                       structure, action_class, params[r0 + b], keys[b]):
                continue
            push = params[r0 + b, GAIN] * type_weight[r0 + b, kind] * 0.1 * factor
            impulse[target, source, b] += push
            impulse[source, target, b] += params[r0 + b, SOURCE_SHARE] * push


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def step_lanes(A, B, src, dst, v, size, structure, rates, impulse, noise, num):
    """step_pairs for lanes b < size of A, B: float64[2, V, N, N, lanes]; rates:
    float64[N_PARAMS + K, lanes]; num: float64[lanes] scratch."""
    n = A.shape[2]
    capability, inv_denom, free_diagonal, bounds = structure[1], structure[2], structure[4], structure[5]
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
                c = capability[k]
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
            if bounds == CLIP:  # a loop of its own, which vectorises as before
                for b in range(size):
                    base = B[src, v, i, j, b]
                    a = min(1.0, max(-1.0, A[src, v, i, j, b] + num[b]))
                    A[dst, v, i, j, b] = a
                    B[dst, v, i, j, b] = base + rates[MU, b] * (a - base)
            else:
                for b in range(size):
                    base = B[src, v, i, j, b]
                    a = bound(A[src, v, i, j, b], num[b], bounds)
                    A[dst, v, i, j, b] = a
                    B[dst, v, i, j, b] = base + rates[MU, b] * (a - base)


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def choose_actions_lanes(A, G, src, v, size, structure, rates, action_class, bounds, keys, step,
                         signed, levels, sums, chosen):
    """choose_actions for lanes b < size: chosen[i, j, b] the type (or -1), with the same
    arithmetic in the same order. G: float64[2, V, N, N, lanes]; bounds: float64[K + 1, lanes]
    each lane's slot_bounds; signed: float64[3, N, N, lanes], levels: float64[N_CLASSES,
    lanes], sums: float64[5, lanes] scratch."""
    n = A.shape[2]
    capability, threat_norm = structure[0], structure[3]
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
    slot = chosen[0, 0]  # the diagonal's cells hold each lane's slot until the end
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
                c = capability[k]
                for b in range(size):
                    threat[b] += c * neg_a[i, k, b] * neg_a[j, k, b]
                    loss[b] += neg_g[i, k, b] * neg_a[k, j, b]
                    ties[b] += c * pos_a[i, k, b] * neg_a[k, j, b]
            w = threat_norm[i, j]
            for b in range(size):
                base = (rates[AFFINITY, b] * A[src, v, i, j, b]
                        + rates[TIT_FOR_TAT, b] * G[src, v, i, j, b])
                cooperate = 1.0 + base + rates[SUBSTITUTION, b] * loss[b]
                secure = cooperate + rates[BALANCING, b] * (threat[b] * w)
                supply = secure - rates[CLIENT_TIES, b] * (ties[b] * w)
                levels[PASSIVE, b] = 0.0
                levels[COOPERATE, b] = max(0.0, cooperate)
                levels[SECURE, b] = max(0.0, secure)
                levels[SUPPLY, b] = max(0.0, supply)
                levels[OPPOSE, b] = max(0.0, 1.0 - base)
            if q % 2 == 0:
                for b in range(size):
                    words[b] = action_word(keys[b], step, q, n_pairs)
            for b in range(size):
                u[b] = half_uniform(words[b], q)
                slot[b] = -1
            for k in range(action_class.shape[0]):  # draw_type: the slot u falls in
                if action_class[k] != PASSIVE:
                    for b in range(size):
                        if u[b] >= bounds[k, b] and u[b] < bounds[k + 1, b]:
                            slot[b] = k
            for b in range(size):  # and whether the type's intensity reaches u
                k = slot[b]
                chosen[i, j, b] = -1
                if k >= 0 and u[b] - bounds[k, b] < rates[N_PARAMS + k, b] * levels[action_class[k], b]:
                    chosen[i, j, b] = k
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


@njit(cache=True, inline="always")
def _extremes_lanes(values, size, least, most):
    """(min, max) of least, most and values[:size], over four interleaved running pairs so
    that the comparisons do not wait on each other (min and max are exact in any order)."""
    l0 = l1 = l2 = l3 = least
    m0 = m1 = m2 = m3 = most
    quads = size // 4
    for q in range(quads):
        b = 4 * q
        l0, m0 = min(l0, values[b]), max(m0, values[b])
        l1, m1 = min(l1, values[b + 1]), max(m1, values[b + 1])
        l2, m2 = min(l2, values[b + 2]), max(m2, values[b + 2])
        l3, m3 = min(l3, values[b + 3]), max(m3, values[b + 3])
    for b in range(4 * quads, size):
        l0, m0 = min(l0, values[b]), max(m0, values[b])
    return min(min(l0, l1), min(l2, l3)), max(max(m0, m1), max(m2, m3))


@njit(cache=True)  # not inlined: the lanes kernel compiles faster in parts
def _record_lanes(t, A, cur, size, sums, hist, lowest, highest, n_bins, diff, slots):
    """_record for lanes b < size of A: float64[2, V, N, N, lanes]. Scratch: diff
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
                    total += _fixed(x[b])
                sums[s, t, i, j] += total
                if n_bins > 0:
                    lowest[s, t, i, j], highest[s, t, i, j] = _extremes_lanes(
                        x, size, lowest[s, t, i, j], highest[s, t, i, j])
                    offset = (i * n + j) * n_bins
                    for b in range(size):
                        slots[q, b] = offset + _bin(x[b], low, width, n_bins)
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


@njit(cache=True, parallel=True)
def run_ensemble_lanes(A0, B0, structure, params, type_weight, events, agency, seed,
                       first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums,
                       slot_hist, slot_low, slot_high, probes, raw, counts):
    """run_ensemble_rows with a block's replicates side by side (block_size lanes); the same
    arguments and the same outputs, bit for bit. For N < DOT_MIN_STATES."""
    ev_ptr = events[0]
    action_class, action_factor, agents_from, history = agency[0], agency[1], agency[2], agency[4][0]
    n, n_reps, n_variants, n_steps = A0.shape[0], params.shape[0], ev_ptr.shape[0], ev_ptr.shape[1] - 1
    n_rates = params.shape[1]
    lanes = block_size
    n_blocks = (n_reps + lanes - 1) // lanes
    n_slots, n_bins, n_keep = slot_sums.shape[0], slot_hist.shape[-1], raw.shape[0]
    for slot in prange(n_slots):
        sums, hist, lowest, highest = _slot_views(slot, slot_sums, slot_hist, slot_low, slot_high)
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
        pair_sums = np.empty((5, lanes))
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
                            choose_actions_lanes(A, G, 1 - cur, v, size, structure, rates,
                                                 action_class, bounds, keys, step, signed, levels,
                                                 pair_sums, chosen)
                            apply_actions_lanes(chosen, impulse, params, type_weight, r0, size,
                                                action_factor, acting, counts, v, counting)
                        step_lanes(A, B, 1 - cur, cur, v, size, structure, rates, impulse, noise,
                                   num)
                        if tracking:
                            remember_lanes(G, 1 - cur, cur, v, size, impulse, rates)
                _record_lanes(t, A, cur, size, sums, hist, lowest, highest, n_bins, diff, slots)
                for p in range(probe_ptr[t], probe_ptr[t + 1]):
                    for v in range(n_variants):
                        for b in range(size):
                            probes[r0 + b, v, p] = A[cur, v, probe_i[p], probe_j[p], b]
                for b in range(min(size, n_keep - r0)):
                    for v in range(n_variants):
                        for i in range(n):
                            for j in range(n):
                                raw[r0 + b, v, t, i, j] = A[cur, v, i, j, b]
    sums, hist, lowest, highest = _merge_slots(slot_sums, slot_hist, slot_low, slot_high)
    return sums, hist, lowest, highest, probes, raw, counts


BALANCE_FORMS = ("local", "canonical")


def balance_structure(capability, form="local", bounds="tanh"):
    """The fixed arrays of a run: (capability, the balance term's weights, its normalisation,
    the normalisation of the agents' threat and ties, whether the diagonal evolves, the code
    of the bounds form: TANH, HEIDER or CLIP for the names of BOUNDS_FORMS).

    local: sum_{k != i,j} w_k A[i,k] A[k,j] / sum_{k != i,j} w_k, the diagonal held at 0;
    canonical (Marvel, Kleinberg & Strogatz 2011): sum over every k of A[i,k] A[k,j],
    unweighted, the diagonal free (it starts where A0 puts it)."""
    if bounds not in BOUNDS_FORMS:
        raise ValueError(f"bounds form '{bounds}' is not one of {', '.join(BOUNDS_FORMS)}")
    code = np.int64(BOUNDS_FORMS.index(bounds))
    capability = np.ascontiguousarray(capability, dtype=np.float64)
    local = balance_denominators(capability)
    if form == "local":
        return capability, capability, local, local, False, code
    if form == "canonical":
        n = capability.shape[0]
        return capability, np.ones(n), np.ones((n, n)), local, True, code
    raise ValueError(f"balance form '{form}' is not one of {', '.join(BALANCE_FORMS)}")


def inert_agency(n_variants, n_steps, n_types):
    """An agency that never acts nor counts: the recorded events alone."""
    return (np.zeros(n_types, dtype=np.int64), np.ones(n_types),
            np.full(n_variants, n_steps, dtype=np.int64), np.zeros(2, dtype=np.int64),
            np.zeros(1, dtype=np.int64))


def run_ensemble(A0, B0, capability, params, type_weight, ev_ptr, ev_target, ev_source, ev_type,
                 ev_factor, seed, first_replicate, n_slots, block_size, n_bins, probe_ptr,
                 probe_i, probe_j, n_keep, balance="local", agency=None, ev_thin=None,
                 bounds="tanh"):
    """Advance R replicates of V schedule variants over T steps, reducing as they run (see
    run_ensemble_rows for the arguments and outputs; agency None: inert_agency; ev_thin None:
    no recorded event thinned; bounds: one of BOUNDS_FORMS), in n_slots
    thread slots, with n_bins histogram bins, keeping the first n_keep replicates whole.
    Below DOT_MIN_STATES states a block's replicates run side by side (run_ensemble_lanes,
    block_size >= 64 for speed); from there on one at a time, with matrix products
    (run_ensemble_rows). Only the kernel used is compiled. With n_bins > 0, at most
    MAX_BINNED_REPLICATES replicates per call."""
    n_reps, n_types = params.shape[0], type_weight.shape[1]
    if params.shape[1] != N_PARAMS + n_types:
        raise ValueError(f"parameter rows have {params.shape[1]} columns: expected {N_PARAMS} "
                         f"(PARAM_NAMES) + {n_types} action rates")
    if n_bins > 0 and n_reps > MAX_BINNED_REPLICATES:
        raise ValueError(f"{n_reps} replicates in one call with histograms: at most "
                         f"{MAX_BINNED_REPLICATES} (call again for the rest and add the counts)")
    n_variants, n_steps = ev_ptr.shape[0], ev_ptr.shape[1] - 1
    if agency is None:
        agency = inert_agency(n_variants, n_steps, n_types)
    kernel = run_ensemble_lanes if A0.shape[0] < DOT_MIN_STATES else run_ensemble_rows
    outputs = ensemble_outputs(A0.shape[0], n_reps, n_variants, n_steps, probe_i.shape[0], n_keep,
                               n_slots, n_bins, n_types, agency[3][1] > agency[3][0])
    return kernel(A0, B0, balance_structure(capability, balance, bounds), params, type_weight,
                  (ev_ptr, ev_target, ev_source, ev_type, ev_factor,
                   np.zeros(ev_type.shape[0], dtype=np.int64) if ev_thin is None else ev_thin),
                  agency, seed,
                  first_replicate, block_size, probe_ptr, probe_i, probe_j, *outputs)


@njit(cache=True, parallel=True)
def fixed_point_mean(sums, n_reps, out):
    """out = float64 means from fixed-point sums of n_reps values: sums / (FIXED_POINT *
    n_reps), element by element (what NumPy's division gives, in parallel)."""
    flat, flat_out = sums.reshape(-1), out.reshape(-1)
    scale = FIXED_POINT * n_reps
    for k in prange(flat.shape[0]):
        flat_out[k] = flat[k] / scale
    return out


@njit(cache=True, parallel=True)
def histogram_quantiles(hist, low, high, quantiles, out):
    """Quantiles (ascending) from counts of equal bins on [low, high], interpolating linearly
    within a bin; one pass over each cell's bins, cells in parallel. hist: [S, C, n_bins]
    integer counts of C cells in S parts that add up (thread slots, or one total); out:
    float64[Q, C], left as it is for a cell with no counts."""
    n_parts, n_cells, n_bins = hist.shape
    width = (high - low) / n_bins
    for c in prange(n_cells):
        total = 0
        for part in range(n_parts):
            for k in range(n_bins):
                total += hist[part, c, k]
        k = 0
        below = 0.0
        count = 0
        for part in range(n_parts):
            count += hist[part, c, 0]
        for q in range(quantiles.shape[0]):
            target = quantiles[q] * total
            while k < n_bins and not (count > 0 and below + count >= target):
                below += count
                k += 1
                count = 0
                if k < n_bins:
                    for part in range(n_parts):
                        count += hist[part, c, k]
            if k == n_bins:
                break
            out[q, c] = low + (k + (target - below) / count) * width
