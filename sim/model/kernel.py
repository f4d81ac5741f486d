"""The row kernel: one step of the alignment dynamics, and an ensemble run replicate by replicate.

Arrays in, arrays out. Shapes: N states, R replicates, V variants of the event schedule
(variant 0 is the reference; others share its random numbers), T steps (T + 1 dates),
M events over all variants, P probes, K event types.

One step, for every ordered pair i != j, from the previous step's values:

    balance = sum_k w_k A[i,k] A[k,j] / sum_{k != i,j} w_k
    dA      = -lam (A[i,j] - B[i,j]) + beta balance + rho (A[j,i] - A[i,j]) + E[i,j] + sigma noise
    A[i,j] <- bound(A[i,j], dA);         B[i,j] <- B[i,j] + mu (A[i,j] - B[i,j])

where bound keeps A inside [-1, 1] by the run's bounds form (sim.model.bounds: tanh, heider
or clip).

noise is N(0, 1), drawn afresh for each ordered pair, step and replicate (every variant of a
replicate shares it). Time is in steps (months); rates are per step. The diagonal of A is
held at 0, so the k = i and k = j terms of the balance sum vanish without a test (the
canonical form of balance_structure sums over every k and lets the diagonal move).

E holds the impulses of the recorded events of the step and, from a variant's agents_from
step on, of the actions the states choose themselves (sim.model.actions), drawn from their own
stream; G, the memory of recent impulses the states choose by, follows G <- memory G + E.

sim.model.lanes is its twin (replicates side by side), sim.model.reduce the exact sums,
histograms and quantiles both record into.
"""


from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from sim.model.actions import action_key, choose_actions, keeps_event, pair_level, step_uniforms
from sim.model.bounds import TANH, bound
from sim.model.bundles import ActionWorkspace, Workspace
from sim.model.params import BETA, DOT_MIN_STATES, GAIN, LAM, MEMORY, MU, RHO, SIGMA, SOURCE_SHARE
from sim.model.reduce import add_fixed, count_in_histogram, merge_slots, slot_views
from sim.model.rng import fill_standard_normal, stream_key

NOISE, IMPULSE, SCALED, PRODUCT, FLIPPED = range(5)  # the planes of a replicate's workspace
NOISE_CHUNK = 4096  # normal deviates drawn as candidates at once (fill_standard_normal)


@njit(cache=True)
def workspace(n):
    """Scratch for stepping one replicate of N states: float64[5, N, N] planes (the noise,
    the event impulses, A scaled by capability, the balance product, A transposed), the draws
    of a step in a row and the buffers of fill_standard_normal (a Workspace)."""
    chunk = min(NOISE_CHUNK, max(1, n * (n - 1)))
    return Workspace(np.zeros((5, n, n)), np.empty(n * (n - 1)), np.empty(chunk),
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
    impulse[:] = 0.0
    for m in range(first, last):
        if events.thin[m] and not kept(m, events, now, history, structure, action_class,
                                       params[r], key):
            continue
        push = params[r, GAIN] * type_weight[r, events.type[m]] * 0.1 * events.factor[m]
        impulse[events.target[m], events.source[m]] += push
        impulse[events.source[m], events.target[m]] += params[r, SOURCE_SHARE] * push


@njit(cache=True)
def kept(m, events, now, history, structure, action_class, row, key):
    """Whether recorded event m (a choice to thin) happens in the variant whose alignment and
    memory are now = (A, G), given that it happened where they are history."""
    source, target, cls = events.source[m], events.target[m], action_class[events.type[m]]
    capability, threat_norm = structure.capability, structure.threat_norm
    level = pair_level(now[0], now[1], capability, threat_norm, source, target, cls, row)
    level_history = pair_level(history[0], history[1], capability, threat_norm, source, target,
                               cls, row)
    return keeps_event(key, m, level, level_history)


@njit(cache=True, inline="always")
def balance_numerators(a, weight, planes):
    """planes[PRODUCT][i, j] = sum_k weight[k] a[i, k] a[k, j], as one matrix product."""
    n = a.shape[0]
    scaled = planes[SCALED]
    for i in range(n):
        for k in range(n):
            scaled[i, k] = a[i, k] * weight[k]
    np.dot(scaled, a, planes[PRODUCT])


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

    A, B: float64[2, size, V, N, N] double buffers; structure: a Structure; work: the
    planes of a workspace(N).
    """
    weight = structure.balance_weight
    n = A.shape[3]
    lam, beta, rho = params[r, LAM], params[r, BETA], params[r, RHO]
    sigma, mu = params[r, SIGMA], params[r, MU]
    a_old, b_old, a_new, b_new = A[src, b, v], B[src, b, v], A[dst, b, v], B[dst, b, v]
    noise, numerator, flipped = work[NOISE], work[PRODUCT], work[FLIPPED]
    if n >= DOT_MIN_STATES:
        balance_numerators(a_old, weight, work)
    else:
        for i in range(n):
            for j in range(n):
                num = 0.0
                for k in range(n):
                    num += weight[k] * a_old[i, k] * a_old[k, j]
                numerator[i, j] = num
    transpose_into(a_old, flipped)
    update_pairs(a_old, b_old, a_new, b_new, numerator, flipped, structure.inv_denom,
                 work[IMPULSE], noise, lam, beta, rho, sigma, mu, structure.free_diagonal,
                 structure.bounds)


@njit(cache=True, error_model="numpy")  # a division by zero is inf: no test stops vectorising
def update_pairs(a_old, b_old, a_new, b_new, numerator, flipped, inv_denom, impulse, noise, lam,
                 beta, rho, sigma, mu, free_diagonal, bounds):
    """a_new, b_new from a_old, b_old and the terms of the change (all float64[N, N]), kept
    inside [-1, 1] by the bounds form; the diagonal is held unless free_diagonal. Each row's
    changes replace its balance numerators, then the row is bounded in a loop of its own, on
    the row's views and with the form a constant: so written it vectorises (the tanh update of
    200 states' pairs 1.9 -> 0.27 ms); computed and bounded in one loop it did not."""
    n = a_old.shape[0]
    for i in range(n):
        change, a_row, b_row, a_next, b_next = numerator[i], a_old[i], b_old[i], a_new[i], b_new[i]
        for j in range(n):
            a = a_row[j]
            change[j] = (-lam * (a - b_row[j]) + beta * change[j] * inv_denom[i, j]
                         + rho * (flipped[i, j] - a) + impulse[i, j] + sigma * noise[i, j])
        if bounds == TANH:  # the form a constant of the loop, which then vectorises
            for j in range(n):
                base = b_row[j]
                a = bound(a_row[j], change[j], TANH)
                a_next[j] = a
                b_next[j] = base + mu * (a - base)
        else:
            for j in range(n):
                base = b_row[j]
                a = bound(a_row[j], change[j], bounds)
                a_next[j] = a
                b_next[j] = base + mu * (a - base)
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
    agents_from, window = agency.agents_from, agency.count_window
    counting = window[0] <= step < window[1]
    first = agents_from.min() if agents_from.shape[0] > 0 else n_steps
    return counting or step >= first, counting, first < n_steps or window[1] > window[0]


@njit(cache=True, inline="always")
def advance_replicate(A, B, G, src, dst, b, r, step, structure, params, type_weight, events,
                      agency, streams, keys, space, acts, counts, given):
    """Step `step` (date step -> step + 1) of replicate b (global row r of params) for every
    variant, on one draw of noise from streams[b] and of action uniforms from keys[b]: the
    variants share random numbers. G: float64[2, size, V, N, N] memory (double buffered);
    space: a workspace(N); acts: an action_workspace(N); counts: int32[R, V, N, N, K] (empty
    when no window is counted). given: int64[V, N, N] actions chosen outside (the Mesa
    agents), or empty to choose them here."""
    ev_ptr = events.ptr
    action_class, agents_from, history = agency.action_class, agency.agents_from, agency.history
    work, uniforms, chosen = space.planes, acts.uniforms, acts.chosen
    n_steps = ev_ptr.shape[1] - 1
    deciding, counting, tracking = agency_state(agency, step, n_steps)
    draw_noise(streams, b, work[NOISE], space.drawn, space.values, space.miss)
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
                choose_actions(A[src, b, v], G[src, b, v], structure.capability,
                               structure.threat_norm, params[r], action_class, uniforms, chosen,
                               acts.planes)
            apply_actions(chosen, work[IMPULSE], params[r], type_weight[r], agency.action_factor,
                          acting, counts[r, v] if counting else counts[0, 0], counting)
        step_pairs(A, B, src, dst, b, v, structure, params, r, work)
        if tracking:
            remember(G[dst, b, v], G[src, b, v], work[IMPULSE], params[r, MEMORY])


@njit(cache=True)
def action_workspace(n):
    """Scratch for the agents' choice in one replicate (an ActionWorkspace): float64[6, N, N]
    (choose_actions), the step's uniforms float64[N, N] and the chosen types int64[N, N]."""
    return ActionWorkspace(np.zeros((6, n, n)), np.ones((n, n)),
                           np.full((n, n), -1, dtype=np.int64))


@njit(cache=True)
def advance_one(A, B, G, src, dst, step, structure, params, type_weight, events, agency, streams,
                keys, space, acts, counts, given):
    """advance_replicate for a single replicate (b = r = 0): the Mesa model's step."""
    advance_replicate(A, B, G, src, dst, 0, 0, step, structure, params, type_weight, events,
                      agency, streams, keys, space, acts, counts, given)


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
def record_step(t, A, cur, b, sums, hist, lowest, highest, n_bins):
    """Add replicate b's values at step t to the running sums, histograms and extremes.

    Series 0..V-1 are the variants on [-1, 1]; series V..2V-2 are variant v minus the
    reference on [-2, 2].
    """
    n_variants, n = A.shape[2], A.shape[3]
    for v in range(n_variants):
        add_fixed(A[cur, b, v], None, sums[v, t])
        if v > 0:
            add_fixed(A[cur, b, v], A[cur, b, 0], sums[n_variants + v - 1, t])
    if n_bins == 0:
        return
    for v in range(n_variants):
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                a = A[cur, b, v, i, j]
                count_in_histogram(v, t, i, j, a, -1.0, 2.0 / n_bins, hist, lowest, highest, n_bins)
                if v > 0:
                    count_in_histogram(n_variants + v - 1, t, i, j, a - A[cur, b, 0, i, j], -2.0,
                               4.0 / n_bins, hist, lowest, highest, n_bins)


def run_ensemble_rows(A0, B0, structure, params, type_weight, events, agency, seed,
                      first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums,
                      slot_hist, slot_low, slot_high, probes, raw, counts):
    """Advance R replicates of V schedule variants over T steps, reducing as they run.

    A0, B0: float64[N, N] initial alignment and baseline; structure: a Structure
    (balance_structure); params: float64[R, N_PARAMS + K] per replicate (PARAM_NAMES, then
    the action rate of each type); type_weight: float64[R, K] (Goldstein scale); events: an
    Events bundle (sim.model.bundles), the events of variant v in step t (taking date t to
    t + 1) being events.ptr[v, t] .. events.ptr[v, t + 1] - 1; agency: an AgencyArrays
    bundle: the states act from step agents_from[v] on in variant v, and their choices at
    steps count_window[0] .. count_window[1] - 1 are counted whether or not they act.
    Replicate r draws from the streams (seed, first_replicate + r).
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
    return run_slots(run_rows_slot, A0, B0, structure, params, type_weight, events, agency,
                     seed, first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums,
                     slot_hist, slot_low, slot_high, probes, raw, counts)


def run_slots(run_slot, A0, B0, structure, params, type_weight, events, agency, seed,
              first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums, slot_hist,
              slot_low, slot_high, probes, raw, counts):
    """run_slot(slot, ...) for every thread slot of slot_sums, each on a thread of its own (the
    compiled slot releases the GIL), then the slots merged: the outputs of run_ensemble_rows.
    Python threads rather than a parallel loop, because a compiled parallel loop over the
    slot's body links and optimises all of its code twice more (most of the first run's
    compile time)."""
    args = (A0, B0, structure, params, type_weight, events, agency, seed, first_replicate,
            block_size, probe_ptr, probe_i, probe_j, slot_sums, slot_hist, slot_low, slot_high,
            probes, raw, counts)
    n_slots = slot_sums.shape[0]
    if n_slots == 1:
        run_slot(0, *args)
    else:
        with ThreadPoolExecutor(n_slots) as pool:
            for done in [pool.submit(run_slot, slot, *args) for slot in range(n_slots)]:
                done.result()
    sums, hist, lowest, highest = merge_slots(slot_sums, slot_hist, slot_low, slot_high)
    return sums, hist, lowest, highest, probes, raw, counts


@njit(cache=True, nogil=True)
def run_rows_slot(slot, A0, B0, structure, params, type_weight, events, agency, seed,
                  first_replicate, block_size, probe_ptr, probe_i, probe_j, slot_sums, slot_hist,
                  slot_low, slot_high, probes, raw, counts):
    """The blocks of thread slot `slot` of run_ensemble_rows (blocks slot, slot + n_slots,
    ...), with its own scratch (run_slots runs one on each thread)."""
    ev_ptr = events.ptr
    n, n_reps, n_variants, n_steps = A0.shape[0], params.shape[0], ev_ptr.shape[0], ev_ptr.shape[1] - 1
    n_blocks = (n_reps + block_size - 1) // block_size
    n_slots, n_bins, n_keep = slot_sums.shape[0], slot_hist.shape[-1], raw.shape[0]
    given = np.empty((0, n, n), dtype=np.int64)
    sums, hist, lowest, highest = slot_views(slot, slot_sums, slot_hist, slot_low, slot_high)
    A = np.empty((2, block_size, n_variants, n, n))
    B = np.empty((2, block_size, n_variants, n, n))
    G = np.zeros((2, block_size, n_variants, n, n))
    space = workspace(n)
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
                                      space, acts, counts, given)
            for b in range(size):
                r = r0 + b
                record_step(t, A, cur, b, sums, hist, lowest, highest, n_bins)
                for p in range(probe_ptr[t], probe_ptr[t + 1]):
                    for v in range(n_variants):
                        probes[r, v, p] = A[cur, b, v, probe_i[p], probe_j[p]]
                if r < n_keep:
                    for v in range(n_variants):
                        raw[r, v, t] = A[cur, b, v]

