"""tanh in plain double arithmetic, so that a loop over replicates calling it vectorises
(the C library's function is a call the compiler cannot vectorise: it cost the tanh bounds
about 34 ns a pair-update, against under 1 ns for the clip).

tanh reduces 2|y| = k ln 2 + r (Cody & Waite's two-part ln 2, as in fdlibm), takes expm1 r
from its Taylor series to r^13 (truncation below 5e-18 for |r| <= ln 2 / 2) and returns
expm1(2|y|) / (expm1(2|y|) + 2) with the sign of y. It is within a few units in the last
place of the C library's (tests/model/test_elementary.py), exactly odd, and identical on every
machine: it uses no library call and no fused multiply-add. As in the C library,
tanh(+-inf) = +-1.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

LATENT_LIMIT = 20.0  # tanh(20) = 1 - 8.5e-18 is 1.0 in double precision: beyond it, tanh is 1
LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts: k * LN2_HI is exact for |k| < 2^20
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e+00
EXPM1_TERMS = tuple(1.0 / math.factorial(n) for n in range(2, 14))  # 1/n!, n = 2..13


@intrinsic
def float_of(typingctx, bits):
    """The float64 whose IEEE 754 bits an int64 holds."""
    if bits != types.int64:
        return None
    return types.float64(types.int64), lambda context, builder, sig, args: builder.bitcast(
        args[0], ir.DoubleType())


@njit(cache=True, inline="always")
def expm1_reduced(r):
    """exp(r) - 1 for |r| <= ln 2 / 2, by Horner's rule on the Taylor series."""
    c = EXPM1_TERMS
    p = c[11]
    for n in range(10, -1, -1):
        p = c[n] + r * p
    return r + r * r * p


@njit(cache=True, inline="always")
def tanh(y):
    """tanh y, |tanh y| <= 1 for every y."""
    u = min(abs(y), LATENT_LIMIT)
    z = u + u
    k = math.floor(z * INV_LN2 + 0.5)
    r = (z - k * LN2_HI) - k * LN2_LO
    scale = float_of((np.int64(k) + 1023) << 52)  # 2^k, 0 <= k <= 58
    em1 = scale * expm1_reduced(r) + (scale - 1.0)  # exp(z) - 1: exact for k = 0 and 2^k - 1
    return math.copysign(em1 / (em1 + 2.0), y)
