"""Counter-based random streams for the kernel, one per replicate.

Replicate r of seed s draws from its own SplitMix64 stream (Steele, Lea & Flood,
OOPSLA 2014), keyed by (s, r) alone, so its numbers do not depend on the batch it
runs in, on the thread that runs it or on the other replicates. Normal deviates come
from the 256-layer ziggurat of Marsaglia & Tsang (2000) in the 52-bit form NumPy uses,
with tables computed here.
"""

import math

import numpy as np
from numba import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
GOLDEN_INVERSE = np.uint64(0xF1DE83E19937733D)  # GOLDEN * GOLDEN_INVERSE = 1 (mod 2**64)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_S8, _S1, _S11 = np.uint64(8), np.uint64(1), np.uint64(11)
_LOW8 = np.uint64(0xFF)
_LOW52 = np.uint64(0x000FFFFFFFFFFFFF)
_ONE = np.uint64(1)


def _ziggurat_tables(layers: int = 256, r: float = 3.6541528853610088):
    """Right edges x_i (as widths per 2**52 unit), inner ratios k_i and heights f_i."""
    scale = 2.0**52
    pdf = math.exp(-0.5 * r * r)
    area = r * pdf + math.sqrt(math.pi / 2) * math.erfc(r / math.sqrt(2))
    k = np.zeros(layers, dtype=np.uint64)
    w = np.zeros(layers)
    f = np.zeros(layers)
    q = area / pdf
    k[0] = np.uint64((r / q) * scale)
    w[0] = q / scale
    w[-1] = r / scale
    f[0] = 1.0
    f[-1] = pdf
    edge, previous = r, r
    for i in range(layers - 2, 0, -1):
        edge = math.sqrt(-2.0 * math.log(area / edge + math.exp(-0.5 * edge * edge)))
        k[i + 1] = np.uint64((edge / previous) * scale)
        previous = edge
        f[i] = math.exp(-0.5 * edge * edge)
        w[i] = edge / scale
    return k, w, f, r


ZIG_K, ZIG_W, ZIG_F, ZIG_R = _ziggurat_tables()
ZIG_INV_R = 1.0 / ZIG_R


@njit(cache=True, inline="always")
def mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def stream_key(seed, replicate):
    """The starting state of replicate `replicate`'s stream under `seed` (both >= 0)."""
    return mix64(mix64(np.uint64(seed) + GOLDEN) ^ mix64(np.uint64(replicate) * GOLDEN + _ONE))


@njit(cache=True, inline="always")
def next_u64(state, slot):
    state[slot] += GOLDEN
    return mix64(state[slot])


@njit(cache=True, inline="always")
def next_double(state, slot):
    return np.float64(next_u64(state, slot) >> _S11) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def _layer_and_magnitude(word):
    """A 64-bit word's ziggurat layer (its low 8 bits) and 52-bit magnitude (bits 9-60)."""
    return np.int64(word & _LOW8), ((word >> _S8) >> _S1) & _LOW52


@njit(cache=True, inline="always")
def _common_branch(word):
    """The ziggurat's common branch for one word: the deviate it gives, and whether the word
    misses it (and must go to the slow path instead). Branch-free, so loops vectorise."""
    layer, rabs = _layer_and_magnitude(word)
    x = (np.float64(np.int64(rabs)) * ZIG_W[layer]
         * (1.0 - 2.0 * np.float64(np.int64((word >> _S8) & _ONE))))
    return x, rabs >= ZIG_K[layer]


@njit(cache=True)
def _normal_slow_path(state, slot, word, x):
    """The ziggurat's rare branches for a word that missed the common branch (x: what that
    gave): the tail (layer 0) and the wedges; may redraw."""
    while True:
        layer, rabs = _layer_and_magnitude(word)
        if layer == 0:
            while True:
                xx = -ZIG_INV_R * math.log1p(-next_double(state, slot))
                yy = -math.log1p(-next_double(state, slot))
                if yy + yy > xx * xx:
                    return -(ZIG_R + xx) if ((rabs >> _S8) & _ONE) == _ONE else ZIG_R + xx
        elif (ZIG_F[layer - 1] - ZIG_F[layer]) * next_double(state, slot) + ZIG_F[layer] < math.exp(
            -0.5 * x * x
        ):
            return x
        word = next_u64(state, slot)
        x, missed = _common_branch(word)
        if not missed:
            return x


@njit(cache=True, inline="always")
def standard_normal(state, slot):
    """One N(0, 1) deviate from stream `state[slot]` (advances it)."""
    word = next_u64(state, slot)
    x, missed = _common_branch(word)
    if not missed:
        return x
    return _normal_slow_path(state, slot, word, x)


@njit(cache=True, inline="always")
def _candidates(start, values, miss, size):
    """values[c] = what draw c + 1 after counter `start` gives if it takes the common branch;
    miss[c] whether it does not. Returns the number of misses. Vectorised."""
    misses = 0
    for c in range(size):
        values[c], miss[c] = _common_branch(mix64(start + np.uint64(c + 1) * GOLDEN))
        misses += miss[c]
    return misses


@njit(cache=True, inline="always")
def _copy(out, values, count):
    """out[:count] = values[:count], on views: indices from range() need no negative-index
    check, so the loop vectorises."""
    for c in range(count):
        out[c] = values[c]


@njit(cache=True, inline="always")
def fill_standard_normal(state, slot, out, values, miss):
    """out[:] = the next len(out) standard_normal(state, slot) draws, in order.

    Stream draws are counter-based, so a chunk of candidates (what each draw would give if
    none before it in the chunk took the slow path) is computed at once, vectorised. The
    rare slow path takes draws of its own; the candidates after it shift by that many.
    Scratch: values float64[C], miss bool[8 * ceil(C / 8)], for chunks of C.
    """
    count = out.shape[0]
    chunk = values.shape[0]
    words = miss.view(np.uint64)
    done = 0
    while done < count:
        start = state[slot]
        size = min(chunk, count - done)
        misses = _candidates(start, values, miss, size)
        taken = 0  # candidates of this chunk used up
        if misses:
            for w in range((size + 7) // 8):
                if words[w] == 0 or taken >= size:
                    continue
                for at in range(max(taken, 8 * w), min(size, 8 * w + 8)):
                    if not miss[at] or at < taken:
                        continue
                    _copy(out[done:], values[taken:], at - taken)
                    done += at - taken
                    state[slot] = start + np.uint64(at + 1) * GOLDEN
                    out[done] = _normal_slow_path(state, slot, mix64(state[slot]), values[at])
                    done += 1
                    taken = np.int64((state[slot] - start) * GOLDEN_INVERSE)
        if taken < size:
            _copy(out[done:], values[taken:], size - taken)
            done += size - taken
            state[slot] = start + np.uint64(size) * GOLDEN
