"""The kernel's tanh (sim.model.elementary) against the C library's."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.elementary import LATENT_LIMIT, tanh

ULPS = 5  # one above the largest difference seen over 6 x 10^7 values: 4


def ulps_apart(x, y):
    """How many units in the last place (of the larger in size) lie between x and y."""
    return abs(x - y) / np.spacing(max(abs(x), abs(y), np.finfo(float).tiny))


@settings(max_examples=2000, deadline=None)
@given(y=st.floats(-40.0, 40.0) | st.floats(-1e-6, 1e-6))
def test_tanh_is_the_c_librarys_within_a_few_units_and_odd(y):
    value = tanh(y)
    assert ulps_apart(value, math.tanh(y)) <= ULPS
    assert -1.0 <= value <= 1.0
    assert tanh(-y) == -value
    assert math.copysign(1.0, value) == math.copysign(1.0, y)


def test_the_bounds_are_the_libraries_fixed_points():
    assert tanh(math.inf) == 1.0 and tanh(-math.inf) == -1.0
    assert tanh(LATENT_LIMIT) == 1.0 == math.tanh(LATENT_LIMIT)
    assert tanh(1e300) == 1.0 and tanh(-1e300) == -1.0
    assert math.copysign(1.0, tanh(-0.0)) == -1.0


def test_tanh_keeps_its_order_on_a_fine_grid():
    """Monotone up to its rounding: a value above the next grid point's is at most a few
    units in the last place above it."""
    grid = np.linspace(-20.0, 20.0, 200_001)
    values = np.array([tanh(y) for y in grid])
    steps = np.diff(values)
    assert (steps >= -ULPS * np.spacing(np.abs(values[1:]))).all()
