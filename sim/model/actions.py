"""The states' own actions: intensities from the state of the system, and one draw per pair.

Each step every state i chooses at most one action toward every other state j, from the
previous step's alignment A and memory G (G[i, j]: the recent event impulses on i's
alignment toward j, decaying by `memory` a step). With a- = max(0, -a), a+ = max(0, a),
w the capabilities and the sums over k != i, j:

    threat  T[i,j] = sum_k w_k A-[i,k] A-[j,k] / sum_k w_k     a capable rival both oppose
    loss    S[i,j] = sum_k G-[i,k] A-[k,j]                     j is a rival of a partner i lost
    ties    X[i,j] = sum_k w_k A+[i,k] A-[k,j] / sum_k w_k     i's friends that oppose j

    cooperate = max(0, 1 + affinity A[i,j] + tit_for_tat G[i,j] + substitution S[i,j])
    secure    = max(0, cooperate' + balancing T[i,j])          (cooperate' before the max)
    supply    = max(0, secure' - client_ties X[i,j])
    oppose    = max(0, 1 - affinity A[i,j] - tit_for_tat G[i,j])

and the intensity of type k is rate_k times the level of its class (sim.data.eventtypes). The
type is drawn from one uniform u per ordered pair and step (pair_choice): each type owns a
fixed slot of [0, 1) and happens when u falls in the part of its slot its intensity fills.
Every variant of a replicate uses the same u (common random numbers), so a scenario
changes an action only where it changes that type's intensity.

The uniforms come from a stream of their own, keyed by (seed, replicate), and the draw of
step t and pair q (row order, i != j) is a pure function of (key, t, q): a step whose
actions are not needed is skipped at no cost to the others.
"""

import numpy as np
from numba import njit

from sim.data.eventtypes import COOPERATE, OPPOSE, PASSIVE, SECURE, SUPPLY
from sim.model.params import (
    AFFINITY,
    BALANCING,
    CLIENT_TIES,
    DOT_MIN_STATES,
    N_PARAMS,
    SUBSTITUTION,
    TIT_FOR_TAT,
)
from sim.model.rng import GOLDEN, mix64, stream_key

_ACTION_SALT = np.uint64(0xA5A5F00DC0FFEE11)
_EVENT_SALT = np.uint64(0x3C6EF372FE94F82B)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True)
def action_key(seed, replicate):
    """The key of replicate `replicate`'s action stream under `seed`."""
    return mix64(stream_key(seed, replicate) ^ _ACTION_SALT)


@njit(cache=True, inline="always")
def action_word(key, step, pair, n_pairs):
    """The 64-bit word that pairs 2m and 2m + 1 (of n_pairs) share at step `step`."""
    words = (n_pairs + 1) // 2
    return mix64(key + np.uint64(step * words + pair // 2 + 1) * GOLDEN)


@njit(cache=True, inline="always")
def half_uniform(word, pair):
    """Uniform on [0, 1) with 32 bits, from the low half of the word for an even pair and the
    high half for an odd one (half the hashing of a word a pair; 2**-32 is fine enough for
    monthly probabilities of 1e-4 and up)."""
    half = (word >> _S32) if pair & 1 else (word & _LOW32)
    return np.float64(half) * (1.0 / 4294967296.0)


@njit(cache=True, inline="always")
def action_uniform(key, step, pair, n_pairs):
    """Uniform on [0, 1) for pair `pair` (of n_pairs) at step `step`."""
    return half_uniform(action_word(key, step, pair, n_pairs), pair)


@njit(cache=True, inline="always")
def event_uniform(key, event):
    """Uniform on [0, 1) for recorded event `event` (its row in the schedule), from the
    action stream with key `key` (a sequence of its own, apart from the pairs' draws)."""
    word = mix64((key ^ _EVENT_SALT) + np.uint64(event + 1) * GOLDEN)
    return np.float64(word >> _S11) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def step_uniforms(key, step, n, out):
    """out[i, j] = the uniform of pair (i, j) at `step` (row order over i != j); out[i, i] = 1."""
    q = 0
    for i in range(n):
        for j in range(n):
            if i == j:
                out[i, j] = 1.0
                continue
            out[i, j] = action_uniform(key, step, q, n * (n - 1))
            q += 1
    return out


@njit(cache=True, inline="always")
def pair_sums(a, g, capability, i, j):
    """(sum_k w_k A-[i,k] A-[j,k], sum_k G-[i,k] A-[k,j], sum_k w_k A+[i,k] A-[k,j]) over
    k != i, j, added in k order: the threat, loss and ties of pair (i, j) before their
    normalisation (the module docstring)."""
    t_sum = 0.0
    s_sum = 0.0
    x_sum = 0.0
    for k in range(a.shape[0]):
        c = capability[k]
        away_j = max(0.0, -a[k, j]) if k != j else 0.0
        t_sum += c * (max(0.0, -a[i, k]) if k != i else 0.0) * (max(0.0, -a[j, k]) if k != j else 0.0)
        s_sum += (max(0.0, -g[i, k]) if k != i else 0.0) * away_j
        x_sum += c * (max(0.0, a[i, k]) if k != i else 0.0) * away_j
    return t_sum, s_sum, x_sum


@njit(cache=True)
def signed_parts(a, g, neg_a, pos_a, neg_g):
    """A-, A+ and G- with zero diagonals (so the k = i, j terms of the sums vanish)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            x = a[i, j]
            neg_a[i, j] = max(0.0, -x) if i != j else 0.0
            pos_a[i, j] = max(0.0, x) if i != j else 0.0
            neg_g[i, j] = max(0.0, -g[i, j]) if i != j else 0.0


@njit(cache=True)
def pair_features(a, g, capability, threat_norm, work, threat, loss, ties):
    """threat, loss, ties [N, N] of the module docstring. From DOT_MIN_STATES states on the
    sums are matrix products of the signed parts (in work[0..2], overwritten by the
    capability-weighted factors, so that no temporary is allocated); below, pair_sums."""
    n = a.shape[0]
    if n < DOT_MIN_STATES:
        for i in range(n):
            for j in range(n):
                t_sum, s_sum, x_sum = pair_sums(a, g, capability, i, j)
                threat[i, j] = t_sum * threat_norm[i, j]
                loss[i, j] = s_sum
                ties[i, j] = x_sum * threat_norm[i, j]
        return
    neg_a, pos_a, neg_g = work[0], work[1], work[2]
    signed_parts(a, g, neg_a, pos_a, neg_g)
    np.dot(neg_g, neg_a, loss)
    weighted = neg_g  # free once loss is made
    for i in range(n):
        for k in range(n):
            weighted[i, k] = neg_a[i, k] * capability[k]
            pos_a[i, k] *= capability[k]
    np.dot(weighted, neg_a.T, threat)
    np.dot(pos_a, neg_a, ties)
    threat *= threat_norm
    ties *= threat_norm


@njit(cache=True, inline="always")
def class_levels(a, g, threat, loss, ties, affinity, tit_for_tat, balancing, substitution,
                 client_ties):
    """The levels (cooperate, secure, supply, oppose) of one pair, as the module docstring
    defines them, from its alignment a, memory g and normalised threat, loss and ties."""
    base = affinity * a + tit_for_tat * g
    cooperate = 1.0 + base + substitution * loss
    secure = cooperate + balancing * threat
    supply = secure - client_ties * ties
    return max(0.0, cooperate), max(0.0, secure), max(0.0, supply), max(0.0, 1.0 - base)


@njit(cache=True, inline="always")
def class_level(cls, a, g, threat, loss, ties, affinity, tit_for_tat, balancing, substitution,
                client_ties):
    """The level of class `cls` for one pair (0 for PASSIVE): class_levels, selected without
    a branch."""
    cooperate, secure, supply, oppose = class_levels(a, g, threat, loss, ties, affinity,
                                                     tit_for_tat, balancing, substitution,
                                                     client_ties)
    level = cooperate if cls == COOPERATE else 0.0
    level = secure if cls == SECURE else level
    level = supply if cls == SUPPLY else level
    return oppose if cls == OPPOSE else level


@njit(cache=True, inline="always")
def takes(u, start, rate, level):
    """Whether a pair whose uniform u falls in a type's slot (from start) takes that type:
    u falls in the part of the slot its intensity rate * level fills."""
    return u - start < rate * level


@njit(cache=True)
def slot_bounds(rates, action_class, out):
    """out[k], out[k + 1]: the slot of type k in slot_of (empty for a type never chosen);
    rates: the action rates of one replicate; out: float64[K + 1]."""
    total_rate = 0.0
    for k in range(action_class.shape[0]):
        if action_class[k] != PASSIVE:
            total_rate += rates[k]
    scale = 1.0 / total_rate if total_rate > 0.0 else 0.0
    out[0] = 0.0
    for k in range(action_class.shape[0]):
        out[k + 1] = out[k] + rates[k] * scale if action_class[k] != PASSIVE else out[k]
    return out


@njit(cache=True, inline="always")
def slot_of(u, bounds):
    """The type whose slot of [0, 1) holds u (slot_bounds), or -1. Each chosen type k owns a
    slot of width rates[k] / (the sum of the rates), in type order; k happens when u falls
    in the first rates[k] * level of its slot (pair_choice). So a type's intensity, capped
    at its slot, moves only its own actions: a scenario that makes visits likelier adds
    visits and takes no other action away (a monotone coupling of the variants)."""
    for k in range(bounds.shape[0] - 1):
        if u < bounds[k + 1]:  # an empty slot (a type never chosen) never holds u
            return k
    return -1


@njit(cache=True, inline="always")
def pair_choice(u, bounds, row, action_class, a, g, threat, loss, ties):
    """The rule of the states' choice for one pair: the type state i takes toward j this step
    (-1: none), from the pair's uniform u, the replicate's slots (slot_bounds) and parameter
    row (PARAM_NAMES, then one rate per type), and the pair's alignment a, memory g and
    normalised threat, loss and ties. The Mesa agents call it (choose_pair); the kernels call
    its parts, class_levels, then slot_of and takes as one pass over the slots, over a row's
    pairs (choose_actions) or a block's lanes (choose_actions_lanes) at once: for rates of
    at least 0 (a run's range) the slot that holds u is the one slot_of finds. Inlined
    whole, its early returns cost the row kernel's loop over 200 states' pairs 2.5 times
    its time."""
    k = slot_of(u, bounds)
    if k < 0:
        return -1
    level = class_level(action_class[k], a, g, threat, loss, ties, row[AFFINITY],
                        row[TIT_FOR_TAT], row[BALANCING], row[SUBSTITUTION], row[CLIENT_TIES])
    return k if takes(u, bounds[k], row[N_PARAMS + k], level) else -1


@njit(cache=True)
def pair_level(a, g, capability, threat_norm, i, j, action_class, row):
    """The level of class action_class for pair (i, j) alone, its sums from pair_sums (for
    the recorded events a counterfactual keeps, and the Mesa agents' intensities)."""
    t_sum, s_sum, x_sum = pair_sums(a, g, capability, i, j)
    return class_level(action_class, a[i, j], g[i, j], t_sum * threat_norm[i, j], s_sum,
                       x_sum * threat_norm[i, j], row[AFFINITY], row[TIT_FOR_TAT], row[BALANCING],
                       row[SUBSTITUTION], row[CLIENT_TIES])


@njit(cache=True)
def choose_pair(a, g, capability, threat_norm, row, action_class, bounds, i, j, u):
    """pair_choice for pair (i != j) with uniform u, its sums from pair_sums."""
    t_sum, s_sum, x_sum = pair_sums(a, g, capability, i, j)
    return pair_choice(u, bounds, row, action_class, a[i, j], g[i, j], t_sum * threat_norm[i, j],
                       s_sum, x_sum * threat_norm[i, j])


@njit(cache=True)
def choose_toward(a, g, capability, threat_norm, row, action_class, bounds, i, uniforms, out):
    """out[j] = choose_pair for state i toward every j (-1 for itself); uniforms[j]: the
    step's uniform of pair (i, j). The Mesa agents' choice."""
    for j in range(a.shape[0]):
        out[j] = -1
        if j != i:
            out[j] = choose_pair(a, g, capability, threat_norm, row, action_class, bounds, i, j,
                                 uniforms[j])
    return out


@njit(cache=True)
def keeps_event(key, event, level, level_history):
    """Whether a counterfactual keeps a recorded choice: with probability level /
    level_history (thinning, Lewis & Shedler 1979), always where the history's intensity
    is 0 (the model cannot tell) or lower."""
    if level_history <= 0.0:
        return True
    return event_uniform(key, event) * level_history < level


@njit(cache=True)
def choose_actions(a, g, capability, threat_norm, row, action_class, uniforms, chosen, work):
    """chosen[i, j] = the type state i takes toward j this step (-1: none), for one replicate:
    pair_choice for every pair (its parts, the row's parameters read once), its sums from
    pair_features. A row's pairs at once: its class levels, then one pass over the slots
    (slot_of and takes, as choose_actions_lanes does over its lanes), so that the loops over
    the row vectorise (a search with an early exit for each pair does not).

    a, g: float64[N, N] alignment and memory; row: its parameter row (PARAM_NAMES, then
    one rate per type); uniforms: step_uniforms; work: float64[6, N, N] (row i of planes
    0-3 then holds row i's levels of class 1-4, the threat's row each read before it is
    written).
    """
    n = a.shape[0]
    threat, loss, ties = work[3], work[4], work[5]
    pair_features(a, g, capability, threat_norm, work, threat, loss, ties)
    rates = row[N_PARAMS:]
    bounds = slot_bounds(rates, action_class, np.empty(action_class.shape[0] + 1))
    affinity, tit_for_tat, balancing = row[AFFINITY], row[TIT_FOR_TAT], row[BALANCING]
    substitution, client_ties = row[SUBSTITUTION], row[CLIENT_TIES]
    for i in range(n):
        u, choice = uniforms[i], chosen[i]
        cooperate, secure, supply, oppose = work[COOPERATE - 1, i], work[SECURE - 1, i], \
            work[SUPPLY - 1, i], work[OPPOSE - 1, i]
        for j in range(n):
            cooperate[j], secure[j], supply[j], oppose[j] = class_levels(
                a[i, j], g[i, j], threat[i, j], loss[i, j], ties[i, j], affinity, tit_for_tat,
                balancing, substitution, client_ties)
            choice[j] = -1
        for k in range(action_class.shape[0]):
            if action_class[k] == PASSIVE:
                continue
            start, end, rate, level = bounds[k], bounds[k + 1], rates[k], work[action_class[k] - 1, i]
            for j in range(n):
                holds = (u[j] >= start) & (u[j] < end)
                taken = takes(u[j], start, rate, level[j])
                choice[j] = (k if taken else -1) if holds else choice[j]
        choice[i] = -1
