"""How an alignment stays inside [-1, 1]: the new value of A[i, j] after a step's change dA,
shared by the row kernel and its lanes twin (README, "Bounds").

tanh (default): a latent state x = atanh(A) takes the whole change, A <- tanh(atanh(A) + dA),
computed as (A + t) / (1 + A t) with t = tanh(dA) (the addition theorem of tanh: one tanh and
no atanh a value, in the vectorisable arithmetic of sim.model.elementary);
heider: the change damped by (1 - A^2) (Kulakowski, Gawronski & Gronek 2005), in as many
equal Euler substeps as keep each inside the interval; clip: A <- clip(A + dA, -1, 1). The
bounded forms round a value that would fall onto +-1 to the last double inside (INSIDE).
"""

import math

from numba import njit

from sim.model.elementary import tanh

BOUNDS_FORMS = ("tanh", "heider", "clip")
TANH, HEIDER, CLIP = range(3)  # the codes of BOUNDS_FORMS in a run's structure

# The largest change of a Heider substep. A step a + (1 - a^2) h maps [-1, 1] onto itself,
# monotonically, while |h| <= 1/2; at h = 1/2 it snaps onto the bound (1 - a' = (1 - a)^2 / 2,
# which reaches 1.0 in floating point in six steps), so substeps take at most 1/4: each then
# at most halves the distance to the bound, approaching it geometrically as the continuous
# form does.
HEIDER_SUBSTEP = 0.25

# The double next to +1 toward 0 (1 - 2^-53; its negative is the one next to -1). A bounded
# step whose value rounds onto a bound (tanh beyond |atanh A| = 18.7, a Heider substep within
# the spacing of doubles at 1) stops here instead: at +-1 a value is a fixed point, deaf to
# every later change, which from inside the continuous forms never reach.
INSIDE = 1.0 - 2.0**-53


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


# NumPy's error model: the 0 / 0 of the tanh form at a = -t = +-1 (a value then kept) gives NaN
# rather than raising, as in the kernels it inlines into
@njit(cache=True, inline="always", error_model="numpy")
def bound(a, change, bounds):
    """The new value of an alignment a in [-1, 1] after a step's change, by the bounds form
    (TANH, HEIDER or CLIP); in [-1, 1] for every finite change, never NaN. No change leaves
    a as it is, to the bit. Under the bounded forms a value at +-1 stays there and one inside
    stays inside, within +-INSIDE."""
    if bounds == CLIP:
        return min(1.0, max(-1.0, a + change))
    if bounds == TANH:  # computed, then a kept by a select: an early return stops the loops
        # that bound a row or a block of lanes from vectorising (on some targets' cost models)
        t = tanh(change)  # tanh(atanh(a) + change), with no atanh; a = -t = +-1 (0 / 0) is kept
        new = min(INSIDE, max(-INSIDE, (a + t) / (1.0 + a * t)))
        return a if abs(a) == 1.0 else new
    if change == 0.0 or abs(a) == 1.0:  # before heider, whose substeps grow with the change
        return a
    return min(INSIDE, max(-INSIDE, heider(a, change)))


def bounds_code(form: str) -> int:
    """The code of a bounds form's name (ValueError for a name not in BOUNDS_FORMS)."""
    if form not in BOUNDS_FORMS:
        raise ValueError(f"bounds form '{form}' is not one of {', '.join(BOUNDS_FORMS)}")
    return BOUNDS_FORMS.index(form)
