"""Reductions the kernels record into: exact fixed-point sums (any order adds up the same),
streaming histograms of equal bins, thread slots merged, and quantiles from the counts."""

import math

import numpy as np
from numba import njit

FIXED_POINT = 2.0**36  # sums of values are kept as exact integers, so any order adds up the same
MAX_BINNED_REPLICATES = 65535  # replicates per call when histograms are kept (uint16 counts)


@njit(cache=True, inline="always")
def bin_index(value, low, width, n_bins):
    k = int((value - low) / width)
    return min(n_bins - 1, max(0, k))


@njit(cache=True, inline="always")
def to_fixed(value):
    return np.int64(math.floor(value * FIXED_POINT + 0.5))


@njit(cache=True, inline="always")
def count_in_histogram(s, t, i, j, value, low, width, hist, lowest, highest, n_bins):
    hist[s, t, i, j, bin_index(value, low, width, n_bins)] += 1
    lowest[s, t, i, j] = min(lowest[s, t, i, j], value)
    highest[s, t, i, j] = max(highest[s, t, i, j], value)


@njit(cache=True, inline="always")
def add_fixed(values, reference, sums):
    """sums[i, j] += to_fixed(values[i, j] - reference[i, j]) off the diagonal (reference None:
    of values[i, j] alone). Whole rows, then the diagonal taken back out: exact, integers."""
    n = values.shape[0]
    for i in range(n):
        for j in range(n):
            sums[i, j] += to_fixed(values[i, j] if reference is None else values[i, j] - reference[i, j])
        sums[i, i] -= to_fixed(values[i, i] if reference is None else values[i, i] - reference[i, i])


def ensemble_outputs(n, n_reps, n_variants, n_steps, n_probes, n_keep, n_slots, n_bins, n_types,
                     counting):
    """Room for what both kernels return: each thread slot's running sums, counts and least
    and greatest values (the last three empty when n_bins is 0), the probes, the kept
    replicates and the counted actions (one unused cell when not counting). Allocated by
    NumPy, which asks for huge pages for large arrays (clearing 200 states' slot sums took a
    fifth of the time it took in numba's own allocation). Each slot clears its own
    (slot_views), so that its pages are first written by the thread that uses them, in
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
def slot_views(slot, slot_sums, slot_hist, slot_low, slot_high):
    """Slot `slot`'s sums, counts and extremes, cleared."""
    sums, hist, lowest, highest = slot_sums[slot], slot_hist[slot], slot_low[slot], slot_high[slot]
    sums.reshape(-1)[:] = 0
    hist.reshape(-1)[:] = 0
    lowest.reshape(-1)[:] = np.inf
    highest.reshape(-1)[:] = -np.inf
    return sums, hist, lowest, highest


def merge_slots(slot_sums, slot_hist, slot_low, slot_high):
    """The slots' sums and extremes brought together into slot 0 (exact: integers, least and
    greatest); the counts stay per slot (add_counts adds them up). In NumPy: a compiled
    parallel loop would add seconds to the first run's compile for no gain here."""
    for slot in range(1, slot_sums.shape[0]):
        np.add(slot_sums[0], slot_sums[slot], out=slot_sums[0])
        if slot_hist.shape[2] > 0:
            np.minimum(slot_low[0], slot_low[slot], out=slot_low[0])
            np.maximum(slot_high[0], slot_high[slot], out=slot_high[0])
    return slot_sums[0], slot_hist, slot_low[0], slot_high[0]


def add_counts(total, slot_counts):
    """total[...] += slot_counts.sum(axis=0); total: int32. In NumPy, slot by slot: no
    temporary of the total's size, and no compiled parallel loop, whose idle threads would
    spin for the cores beside the kernel's slots."""
    for counts in slot_counts:
        np.add(total, counts, out=total)


@njit(cache=True, inline="always")
def extremes_lanes(values, size, least, most):
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


def fixed_point_mean(sums, n_reps, out):
    """out = float64 means from fixed-point sums of n_reps values: sums / (FIXED_POINT *
    n_reps), element by element."""
    np.divide(sums, FIXED_POINT * n_reps, out=out)
    return out


@njit(cache=True)
def histogram_quantiles(hist, low, high, quantiles, out):
    """Quantiles (ascending) from counts of equal bins on [low, high], interpolating linearly
    within a bin; one pass over each cell's bins (not a parallel loop, which would take
    longer to compile than it saves). hist: [S, C, n_bins]
    integer counts of C cells in S parts that add up (thread slots, or one total); out:
    float64[Q, C], left as it is for a cell with no counts."""
    n_parts, n_cells, n_bins = hist.shape
    width = (high - low) / n_bins
    for c in range(n_cells):
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
