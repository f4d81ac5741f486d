"""Invariants of the ensemble kernel on small random systems.

Inputs are drawn inside the documented ranges (sim.run.run.PARAM_RANGES, weights in
sim.run.run.WEIGHT_RANGE), with each way of keeping A inside [-1, 1]
(sim.model.bounds.BOUNDS_FORMS). Outputs are compared with the model's equations written out
in NumPy, and with themselves under relabelling of the states, changes of batch layout, and
special cases (decay only, structural balance only, two states).
"""

import itertools
import math

import hypothesis.extra.numpy as hnp
import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import N_TYPES, make_schedule, rate_rows, weight_rows

from sim.data.eventtypes import TYPE_NAMES
from sim.model import elementary
from sim.model.bounds import BOUNDS_FORMS, HEIDER_SUBSTEP, INSIDE, bound
from sim.model.ensemble import QUANTILES, RATE_COLUMNS, balance_structure, run_ensemble, simulate
from sim.model.kernel import balance_denominators, step_pairs
from sim.model.params import (
    BETA,
    DOT_MIN_STATES,
    GAIN,
    LAM,
    MU,
    PARAM_NAMES,
    PARAM_RANGES,
    RHO,
    SIGMA,
    SOURCE_SHARE,
    WEIGHT_RANGE,
)
from sim.model.reduce import MAX_BINNED_REPLICATES, histogram_quantiles
from sim.model.rng import standard_normal, stream_key

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TOL = 1e-9  # for results that differ only in the order of floating-point sums
BINS = 128  # quantile bins: enough to check them, and few to keep examples fast



@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These tests run thousands of tiny ensembles; on a busy machine starting the thread
    pool can take longer than the ensemble, so they run on one thread. Results do not depend
    on the thread count (tests/model/test_determinism.py), and the slot and block logic is
    exercised whatever the number of threads."""
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


unit = st.floats(-1.0, 1.0, allow_nan=False)
capabilities = st.floats(1e-3, 100.0, allow_nan=False)
STATES = st.integers(2, 7)
BOUNDS = st.sampled_from(BOUNDS_FORMS)


def param_row(draw, sigma=None, **fixed) -> np.ndarray:
    row = []
    for name in PARAM_NAMES:
        if name in fixed:
            row.append(float(fixed[name]))
        elif name == "sigma" and sigma is not None:
            row.append(float(sigma))
        else:
            low, high = PARAM_RANGES[name]
            row.append(draw(st.floats(low, high, allow_nan=False)))
    return np.array(row + [0.0] * len(TYPE_NAMES))  # no action rates: the record alone


@st.composite
def systems(draw, n_states=STATES, max_variants=3, noise=True, events=True, bounds=BOUNDS):
    """A random ensemble input: alignment, capability, events of 1..max_variants variants,
    per-replicate parameters and weights, seed, probes and bounds form."""
    n = draw(n_states)
    n_steps = draw(st.integers(12, 36))
    n_reps = draw(st.integers(1, 5))
    alignment = draw(hnp.arrays(np.float64, (n, n), elements=unit))
    np.fill_diagonal(alignment, 0.0)
    capability = draw(hnp.arrays(np.float64, n, elements=capabilities))
    n_variants = draw(st.integers(1, max_variants))
    event = st.tuples(st.integers(0, n_steps - 1), st.integers(0, n - 1), st.integers(1, n - 1),
                      st.integers(0, len(TYPE_NAMES) - 1), st.floats(0.01, 20.0)).map(
        lambda e: (e[0], e[1], (e[1] + e[2]) % n, e[3], e[4]))
    variants = [draw(st.lists(event, max_size=12)) if events else [] for _ in range(n_variants)]
    rates = np.array([param_row(draw, sigma=None if noise else 0.0) for _ in range(n_reps)])
    weights = draw(hnp.arrays(np.float64, (n_reps, len(TYPE_NAMES)),
                              elements=st.floats(*WEIGHT_RANGE, allow_nan=False)))
    seed = draw(st.integers(0, 2**63 - 1))
    cells = draw(st.lists(st.tuples(st.integers(0, n_steps), st.integers(0, n - 1),
                                    st.integers(1, n - 1)), max_size=6))
    cells = sorted((t, i, (i + d) % n) for t, i, d in cells)
    return dict(alignment=alignment, capability=capability, variants=variants, rates=rates,
                weights=weights, seed=seed, n_steps=n_steps, cells=cells, bounds=draw(bounds))


def run(system, keep=None, quantile_bins=BINS, **kwargs):
    schedule = make_schedule(system["n_steps"], *system["variants"])
    cells = system["cells"]
    return simulate(system["alignment"], system["capability"], schedule, system["rates"],
                    system["weights"], system["seed"], keep=len(system["rates"]) if keep is None
                    else keep, probe_step=[c[0] for c in cells], probe_i=[c[1] for c in cells],
                    probe_j=[c[2] for c in cells], quantile_bins=quantile_bins,
                    bounds=system.get("bounds", "tanh"), **kwargs)


def rounding_tolerance(system, raw):
    """TOL, or more where the system amplifies rounding: 1000 times the largest change that
    nudging the starting alignments by a relative 1e-15 makes to the kept replicates raw. An
    expanding balance term (beta near 1 over states of like capability) turns a last-bit
    difference in the order of a sum into 2e-9 within 20 steps; where the system contracts the
    nudge leaves 1e-13 or less and the tolerance stays TOL."""
    nudged = dict(system, alignment=system["alignment"] * (1.0 + 1e-15))
    spread = np.abs(run(nudged, quantile_bins=0).raw - raw).max()
    return max(TOL, 1000.0 * spread)


# The kernel's own tanh (sim.model.elementary), held to the C library's by
# tests/model/test_elementary.py: a last bit of difference, amplified about sevenfold a step by
# the balance term in an expanding system, would part the reference from the kernel.
kernel_tanh = np.vectorize(elementary.tanh, otypes=[float])


def bounded(a, change, bounds):
    """The new alignments of each bounds form, written out in NumPy (README, "Bounds")."""
    if bounds == "clip":
        return np.clip(a + change, -1.0, 1.0)
    if bounds == "tanh":
        t = kernel_tanh(change)
        with np.errstate(invalid="ignore"):  # 0 / 0 at a = -t = +-1, where a is kept
            new = (a + t) / (1.0 + a * t)  # tanh(atanh(a) + change)
    else:
        substeps = np.maximum(1, np.ceil(np.abs(change) / HEIDER_SUBSTEP))
        h = change / substeps
        new = a
        for k in range(int(substeps.max())):
            new = np.where(k < substeps, new + (1.0 - new) * (1.0 + new) * h, new)
    # a value inside that would round onto a bound stops at the last double inside
    return np.where((change == 0.0) | (np.abs(a) == 1.0), a, np.clip(new, -INSIDE, INSIDE))


def reference_run(alignment, baseline, capability, schedule, rates, weights, seed, bounds="tanh"):
    """The model's step written out in NumPy, with the noise drawn from the same streams:
    raw float64[R, V, T + 1, N, N]."""
    n = len(capability)
    n_reps, n_variants, n_steps = len(rates), schedule.ptr.shape[0], schedule.ptr.shape[1] - 1
    others = np.array([[capability.sum() - capability[i] - capability[j] for j in range(n)]
                       for i in range(n)])
    third = np.array([[i != j and n > 2 for j in range(n)] for i in range(n)])
    out = np.zeros((n_reps, n_variants, n_steps + 1, n, n))
    for r in range(n_reps):
        lam, beta, rho, sigma, mu, gain, share = rates[r, :SOURCE_SHARE + 1]
        stream = np.array([stream_key(seed, r)], dtype=np.uint64)
        a = [alignment.copy() for _ in range(n_variants)]
        b = [baseline.copy() for _ in range(n_variants)]
        out[r, :, 0] = alignment
        for t in range(n_steps):
            noise = np.zeros((n, n))
            for i, j in itertools.product(range(n), range(n)):
                if i != j:
                    noise[i, j] = standard_normal(stream, 0)
            for v in range(n_variants):
                impulse = np.zeros((n, n))
                for m in range(schedule.ptr[v, t], schedule.ptr[v, t + 1]):
                    push = gain * weights[r, schedule.type[m]] / 10 * schedule.factor[m]
                    impulse[schedule.target[m], schedule.source[m]] += push
                    impulse[schedule.source[m], schedule.target[m]] += share * push
                numerator = np.zeros((n, n))
                for k in range(n):  # the kernel's order of the sum: the balance term amplifies
                    numerator += capability[k] * a[v][:, k, None] * a[v][None, k, :]  # rounding
                inv = np.where(third, 1.0 / np.where(third, others, 1.0), 0.0)
                change = (-lam * (a[v] - b[v]) + beta * numerator * inv  # the kernel's order
                          + rho * (a[v].T - a[v]) + impulse + sigma * noise)
                new = bounded(a[v], change, bounds)
                np.fill_diagonal(new, 0.0)
                b[v] = b[v] + mu * (new - b[v])
                a[v] = new
                out[r, v, t + 1] = new
    return out


def ensemble_raw(alignment, baseline, capability, schedule, rates, weights, seed, slots=1,
                 block=None, bounds="tanh"):
    """The kept replicates of run_ensemble (its last output), all of them kept."""
    n_steps = schedule.ptr.shape[1] - 1
    empty = np.zeros(0, dtype=np.int64)
    block = len(rates) if block is None else block
    return run_ensemble(alignment, baseline, capability, rates, weights, schedule.ptr,
                        schedule.target, schedule.source, schedule.type, schedule.factor,
                        np.int64(seed), np.int64(0), slots, block, 0,
                        np.zeros(n_steps + 2, dtype=np.int64), empty, empty, len(rates),
                        bounds=bounds)[5]


def symmetric(draw, n):
    upper = draw(hnp.arrays(np.float64, (n, n), elements=unit))
    matrix = np.triu(upper, 1)
    return matrix + matrix.T


# --- bounds and internal consistency --------------------------------------------------------

@SETTINGS
@given(system=systems())
def test_every_output_is_finite_and_inside_its_range(compiled, system):
    ens = run(system)
    n_variants = len(system["variants"])
    n = len(system["capability"])
    off = ~np.eye(n, dtype=bool)
    for name, values in (("mean", ens.mean), ("raw", ens.raw), ("probes", ens.probes),
                         ("quantiles", ens.quantiles)):
        assert np.isfinite(values).all(), name
    assert np.abs(ens.mean[:n_variants]).max() <= 1.0
    assert np.abs(ens.mean[n_variants:]).max(initial=0.0) <= 2.0
    assert np.abs(ens.quantiles[:, :n_variants]).max() <= 1.0
    assert np.abs(ens.raw).max() <= 1.0
    assert np.abs(ens.probes).max(initial=0.0) <= 1.0
    assert (ens.mean[..., ~off] == 0).all()
    assert (ens.quantiles[..., ~off] == 0).all()
    assert (ens.raw[..., ~off] == 0).all()


@SETTINGS
@given(system=systems())
def test_kernel_follows_the_model_equations(compiled, system):
    schedule = make_schedule(system["n_steps"], *system["variants"])
    ens = simulate(system["alignment"], system["capability"], schedule, system["rates"],
                   system["weights"], system["seed"], keep=len(system["rates"]), quantile_bins=0,
                   bounds=system["bounds"])
    expected = reference_run(system["alignment"], system["alignment"], system["capability"],
                             schedule, system["rates"], system["weights"], system["seed"],
                             system["bounds"])
    np.testing.assert_allclose(ens.raw, expected, rtol=0, atol=rounding_tolerance(system, ens.raw))


@settings(max_examples=5, deadline=None)
@given(system=systems(n_states=st.integers(DOT_MIN_STATES, DOT_MIN_STATES + 2), max_variants=1))
def test_kernel_follows_the_model_equations_with_many_states(compiled, system):
    schedule = make_schedule(system["n_steps"], *system["variants"])
    rates, weights = system["rates"][:1], system["weights"][:1]
    ens = simulate(system["alignment"], system["capability"], schedule, rates, weights,
                   system["seed"], keep=1, quantile_bins=0, bounds=system["bounds"])
    expected = reference_run(system["alignment"], system["alignment"], system["capability"],
                             schedule, rates, weights, system["seed"], system["bounds"])
    np.testing.assert_allclose(ens.raw, expected, rtol=0, atol=TOL)


@SETTINGS
@given(system=systems())
def test_mean_is_the_mean_of_the_replicates(compiled, system):
    ens = run(system)
    n_variants = len(system["variants"])
    np.testing.assert_allclose(ens.mean[:n_variants], ens.raw.mean(axis=0), rtol=0, atol=1e-9)
    for v in range(1, n_variants):
        difference = (ens.raw[:, v] - ens.raw[:, 0]).mean(axis=0)
        np.testing.assert_allclose(ens.mean[n_variants + v - 1], difference, rtol=0, atol=1e-9)


@SETTINGS
@given(system=systems())
def test_quantiles_are_ordered_and_agree_with_the_replicates(compiled, system):
    """Within one bin width, a fraction q of the replicates lies below quantile q."""
    ens = run(system, quantile_bins=1000)
    n_variants = len(system["variants"])
    q = ens.quantiles
    assert (np.diff(q, axis=0) >= 0).all()
    n_reps = len(system["rates"])
    for s in range(q.shape[1]):
        values = ens.raw[:, s] if s < n_variants else ens.raw[:, s - n_variants + 1] - ens.raw[:, 0]
        width = (2.0 if s < n_variants else 4.0) / ens.quantile_bins + 1e-9
        for k, level in enumerate(QUANTILES):
            below = (values < q[k, s][None] - width).sum(axis=0)
            at_or_below = (values <= q[k, s][None] + width).sum(axis=0)
            assert (below <= level * n_reps + 1e-9).all()
            assert (at_or_below >= level * n_reps - 1e-9).all()


def quantile_by_definition(counts, low, high, level):
    """The quantile read off one cell's bins as written out: the first bin whose counts
    reach level * total, and linearly inside it."""
    width = (high - low) / len(counts)
    target = level * counts.sum()
    below = 0.0
    for k, count in enumerate(counts):
        if count > 0 and below + count >= target:
            return low + (k + (target - below) / count) * width
        below += count
    return None


@settings(max_examples=60, deadline=None)
@given(data=st.data(), parts=st.integers(1, 3), n_bins=st.integers(1, 40))
def test_quantiles_from_counts_in_parts_are_those_of_the_totals(compiled, data, parts, n_bins):
    """histogram_quantiles reads counts split into parts (the thread slots) in one pass;
    it must give what each quantile's own scan of the total counts gives, bit for bit."""
    counts = data.draw(hnp.arrays(np.uint16, (parts, 4, n_bins),
                                  elements=st.integers(0, 3)))
    out = np.full((len(QUANTILES), 4), -9.0)
    histogram_quantiles(counts, -2.0, 2.0, np.array(QUANTILES), out)
    totals = counts.sum(axis=0, dtype=np.int64)
    for c in range(4):
        for k, level in enumerate(QUANTILES):
            expected = quantile_by_definition(totals[c], -2.0, 2.0, level)
            assert out[k, c] == (-9.0 if expected is None else expected)


def test_histograms_take_at_most_what_their_counts_can_hold():
    n_reps = MAX_BINNED_REPLICATES + 1
    schedule = make_schedule(1)
    empty = np.zeros(0, dtype=np.int64)
    with pytest.raises(ValueError, match=f"at most {MAX_BINNED_REPLICATES}"):
        run_ensemble(np.zeros((2, 2)), np.zeros((2, 2)), np.ones(2), rate_rows(n_reps),
                     weight_rows(n_reps), schedule.ptr, schedule.target, schedule.source,
                     schedule.type, schedule.factor, np.int64(0), np.int64(0), 1, 64, 100,
                     np.zeros(3, dtype=np.int64), empty, empty, 0)


@pytest.mark.parametrize("sigma", [0.0, 0.05])
def test_quantiles_lie_within_the_range_of_the_replicates(compiled, sigma):
    """No quantile of a sample lies outside the sample. Without noise every replicate has
    the same value, and so must every quantile; with noise, the cells no event has reached
    and the scenario's zero effect before its first change are still constant."""
    rng = np.random.default_rng(17)
    n, n_steps, n_reps = 4, 24, 40
    alignment = rng.uniform(-0.9, 0.9, (n, n))
    np.fill_diagonal(alignment, 0.0)
    system = dict(alignment=alignment, capability=rng.uniform(0.1, 2.0, n), n_steps=n_steps,
                  variants=[[(3, 0, 1, 0, 2.0)], [(3, 0, 1, 0, 2.0), (12, 2, 3, 10, 1.0)]],
                  rates=rate_rows(n_reps, lam=0.05, beta=0.2, rho=0.1, sigma=sigma, mu=0.01,
                                     gain=0.3, source_share=0.5),
                  weights=weight_rows(n_reps, np.linspace(-10, 10, N_TYPES)), seed=4,
                  cells=[])
    ens = run(system, quantile_bins=1000)
    for s in range(ens.quantiles.shape[1]):
        values = ens.raw[:, s] if s < 2 else ens.raw[:, 1] - ens.raw[:, 0]
        low, high = values.min(axis=0), values.max(axis=0)
        assert (ens.quantiles[:, s] >= low - 1e-12).all(), s
        assert (ens.quantiles[:, s] <= high + 1e-12).all(), s


@SETTINGS
@given(system=systems())
def test_probes_are_the_alignment_at_their_cells(compiled, system):
    ens = run(system)
    for p, (t, i, j) in enumerate(system["cells"]):
        np.testing.assert_array_equal(ens.probes[:, :, p], ens.raw[:, :, t, i, j])


changes = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=500, deadline=None)
@given(a=unit, change=changes, form=BOUNDS)
def test_a_bounded_step_stays_inside_the_interval(compiled, a, change, form):
    """Whatever the change, the new value lies in [-1, 1] and is a number; it moves the way
    the change points; a bounded form never moves a value at +-1 (its fixed points)."""
    code = BOUNDS_FORMS.index(form)
    new = bound(a, change, code)
    assert -1.0 <= new <= 1.0
    assert (new - a) * change >= 0.0 or abs(new - a) < 1e-15  # the round trip's last bit
    if form == "clip":
        assert new == min(1.0, max(-1.0, a + change))
    elif abs(a) == 1.0:
        assert new == a


@settings(max_examples=300, deadline=None)
@given(a=st.floats(-1.0, 1.0, exclude_min=True, exclude_max=True), change=changes,
       form=st.sampled_from(["tanh", "heider"]))
def test_a_bounded_form_never_reaches_a_bound_from_inside(compiled, a, change, form):
    """From inside the interval a bounded form stays strictly inside (a clipped value pins at
    +-1, so that two variants there differ by exactly 0, and a value at +-1 is deaf to every
    later change), for every value and change, also where the exact step would round onto the
    bound (tanh beyond |atanh A| = 18.7, the Heider form within the spacing of doubles at 1):
    it stops at the last double inside, from which a shock the other way moves it back."""
    code = BOUNDS_FORMS.index(form)
    new = bound(a, change, code)
    assert -1.0 < new < 1.0
    side = math.copysign(1.0, new)
    assert (bound(new, -2.0 * side, code) - new) * side < 0.0


def test_a_tie_deepened_past_the_last_double_can_still_be_undone(compiled):
    """Four years of months that deepen a tie by 0.5 each (tanh's latent state far past
    18.7, where tanh(atanh(A) + dA) rounds onto 1, so that A would stay at +1 whatever
    followed) leave A at the last double inside, with its latent depth atanh(INSIDE) = 18.7:
    a hostile shock then moves it as the latent form moves it, to a few units of 1."""
    t = elementary.tanh(0.5)
    assert (INSIDE + t) / (1.0 + INSIDE * t) == 1.0
    code = BOUNDS_FORMS.index("tanh")
    a = 0.5
    for _ in range(48):
        a = bound(a, 0.5, code)
    assert a == INSIDE
    assert bound(a, -2.0, code) < a
    for shock in (-2.0, -5.0, -10.0):
        exact = math.tanh(math.atanh(INSIDE) + shock)
        assert abs(bound(a, shock, code) - exact) <= 4 * np.spacing(1.0)


@settings(max_examples=2000, deadline=None)
@given(a=st.floats(-1.0, 1.0, exclude_min=True, exclude_max=True), change=st.floats(-5.0, 5.0))
def test_the_tanh_form_is_the_latent_step_to_a_few_units(compiled, a, change):
    """(a + t) / (1 + a t), t = tanh dA, is tanh(atanh(a) + dA) (the addition theorem) to a
    few units in the last place of 1 over |1 + a t|: within 2.1 units for every step of
    |dA| <= 1 (measured over 2 x 10^6 values), more only where a strong tie reverses in one
    step (a = -0.98 under dA = 4: 4.5 units)."""
    exact = math.tanh(math.atanh(a) + change)
    t = elementary.tanh(change)
    error = abs(bound(a, change, BOUNDS_FORMS.index("tanh")) - exact)
    assert error * abs(1.0 + a * t) <= 4 * np.spacing(1.0)


@settings(max_examples=200, deadline=None)
@given(a=unit, b=unit, h=st.floats(-HEIDER_SUBSTEP, HEIDER_SUBSTEP))
def test_a_heider_substep_keeps_the_order_of_values(compiled, a, b, h):
    """a + (1 - a^2) h is monotone in a for |h| <= HEIDER_SUBSTEP (<= 1/2), so it maps
    [-1, 1] onto itself: why a larger change is split into substeps."""
    low, high = min(a, b), max(a, b)
    code = BOUNDS_FORMS.index("heider")
    assert bound(low, h, code) <= bound(high, h, code)


# --- symmetry and relabelling ---------------------------------------------------------------

@SETTINGS
@given(data=st.data(), n=st.integers(3, 7), uniform=st.booleans())
def test_symmetric_alignment_stays_symmetric_without_noise_or_events(compiled, data, n,
                                                                     uniform):
    bounds = data.draw(BOUNDS)
    alignment = symmetric(data.draw, n)
    capability = np.ones(n) if uniform else data.draw(hnp.arrays(np.float64, n,
                                                                 elements=capabilities))
    rates = np.array([param_row(data.draw, sigma=0.0) for _ in range(2)])
    ens = simulate(alignment, capability, make_schedule(24), rates, weight_rows(2), 3, keep=2,
                   quantile_bins=0, bounds=bounds)
    raw = ens.raw[:, 0]
    if uniform:  # every product and sum is then the same in both orders
        np.testing.assert_array_equal(raw, raw.transpose(0, 1, 3, 2))
    else:
        np.testing.assert_allclose(raw, raw.transpose(0, 1, 3, 2), rtol=0, atol=TOL)


@SETTINGS
@given(data=st.data(), n=st.integers(2, 7))
def test_balance_increment_is_symmetric_for_a_symmetric_alignment(compiled, data, n):
    alignment = symmetric(data.draw, n) * 0.5
    capability = data.draw(hnp.arrays(np.float64, n, elements=capabilities))
    beta = data.draw(st.floats(0.0, 1.0))
    params = np.zeros((1, len(RATE_COLUMNS)))
    params[0, BETA] = beta
    a = np.zeros((2, 1, 1, n, n))
    b = np.zeros((2, 1, 1, n, n))
    a[0, 0, 0] = b[0, 0, 0] = alignment
    work = np.zeros((5, n, n))  # no noise, no impulses
    step_pairs(a, b, 0, 1, 0, 0, balance_structure(capability, "local", "clip"), params, 0, work)
    increment = a[1, 0, 0] - alignment
    np.testing.assert_allclose(increment, increment.T, rtol=0, atol=1e-12)
    others = capability.sum() - capability[:, None] - capability[None, :]
    expected = beta * np.einsum("k,ik,kj->ij", capability, alignment, alignment) / np.where(
        others > 0, others, 1.0)
    if n == 2:
        expected[:] = 0.0
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(increment, expected, rtol=0, atol=1e-12)


@SETTINGS
@given(system=systems(noise=False), data=st.data())
def test_relabelling_the_states_permutes_the_outputs(compiled, system, data):
    """Synchronous update: the order of the states cannot matter. Without noise (noise is
    drawn cell by cell in index order, so it moves with the labels) a relabelled run is the
    relabelled run, up to the order of floating-point sums."""
    n = len(system["capability"])
    perm = np.array(data.draw(st.permutations(range(n))))  # new label k is old state perm[k]
    new_label = np.argsort(perm)
    relabelled = dict(system)
    relabelled["alignment"] = system["alignment"][np.ix_(perm, perm)]
    relabelled["capability"] = system["capability"][perm]
    relabelled["variants"] = [[(t, int(new_label[s]), int(new_label[g]), k, f) for t, s, g, k, f in ev]
                              for ev in system["variants"]]
    relabelled["cells"] = sorted((t, int(new_label[i]), int(new_label[j]))
                                 for t, i, j in system["cells"])
    ens, ens2 = run(system), run(relabelled)

    def permuted(x):
        return x[..., perm, :][..., perm]

    tol = rounding_tolerance(system, ens.raw)
    np.testing.assert_allclose(ens2.raw, permuted(ens.raw), rtol=0, atol=tol)
    np.testing.assert_allclose(ens2.mean, permuted(ens.mean), rtol=0, atol=tol)
    order = {cell: p for p, cell in enumerate(relabelled["cells"])}
    for p, (t, i, j) in enumerate(system["cells"]):
        p2 = order[(t, int(new_label[i]), int(new_label[j]))]
        np.testing.assert_allclose(ens2.probes[:, :, p2], ens.probes[:, :, p], rtol=0, atol=tol)


# --- special cases ----------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), n=st.integers(2, 7), n_steps=st.integers(12, 36),
       lam=st.floats(0.0, 1.0))
def test_decay_alone_converges_geometrically_to_the_baseline(compiled, data, n, n_steps,
                                                            lam):
    alignment = data.draw(hnp.arrays(np.float64, (n, n), elements=unit))
    baseline = data.draw(hnp.arrays(np.float64, (n, n), elements=unit))
    np.fill_diagonal(alignment, 0.0)
    np.fill_diagonal(baseline, 0.0)
    capability = data.draw(hnp.arrays(np.float64, n, elements=capabilities))
    rates = np.array([param_row(data.draw, lam=lam, beta=0.0, rho=0.0, sigma=0.0, mu=0.0)
                      for _ in range(2)])
    raw = ensemble_raw(alignment, baseline, capability, make_schedule(n_steps), rates,
                       weight_rows(2), 5, bounds="clip")
    factor = (1.0 - lam) ** np.arange(n_steps + 1)
    expected = baseline + factor[:, None, None] * (alignment - baseline)
    np.fill_diagonal(expected[0], 0.0)
    for r in range(2):
        np.testing.assert_allclose(raw[r, 0], expected, rtol=1e-9, atol=1e-12)


def triad(x, y, z):
    """A symmetric 3-state alignment with A01 = x, A12 = y, A20 = z."""
    a = np.zeros((3, 3))
    a[0, 1], a[1, 2], a[2, 0] = x, y, z
    return a + a.T


def triad_product(raw):
    return raw[..., 0, 1] * raw[..., 1, 2] * raw[..., 2, 0]


magnitudes = st.floats(0.05, 1.0)


@SETTINGS
@given(friends=magnitudes, enmity=st.tuples(magnitudes, magnitudes), beta=st.floats(0.01, 1.0), bounds=BOUNDS)
def test_balanced_triad_stays_balanced(compiled, friends, enmity, beta, bounds):
    """Two friends (0, 1) and a common enemy (2): every sign is kept and no tie weakens."""
    alignment = triad(friends, -enmity[0], -enmity[1])
    ens = simulate(alignment, np.ones(3), make_schedule(36), rate_rows(1, beta=beta),
                   weight_rows(1), 0, keep=1, quantile_bins=0, bounds=bounds)
    raw = ens.raw[0, 0]
    signs = np.sign(alignment)
    assert (np.sign(raw) == signs).all()
    assert (np.diff(np.abs(raw), axis=0) >= -1e-15).all()
    assert (np.diff(triad_product(raw)) >= -1e-15).all()


@SETTINGS
@given(a=magnitudes, b=magnitudes, c=magnitudes, beta=st.floats(0.01, 1.0),
       hostile=st.booleans(), bounds=BOUNDS)
def test_frustrated_triad_moves_toward_balance(compiled, a, b, c, beta, hostile, bounds):
    """Two friendships and one enmity, or three enmities: A01 A12 A20 < 0 rises every step.
    A bounded form holds a value at +-1 where it is, and a value within a few doubles of +-1
    moves by less than their spacing, so there one tie at least starts clearly inside."""
    assume(bounds == "clip" or min(a, b, c) <= 0.999)
    alignment = triad(-a, -b, -c) if hostile else triad(a, b, -c)
    ens = simulate(alignment, np.ones(3), make_schedule(36), rate_rows(1, beta=beta),
                   weight_rows(1), 0, keep=1, quantile_bins=0, bounds=bounds)
    product = triad_product(ens.raw[0, 0])
    assert product[0] < 0
    assert product[1] > product[0]
    assert (np.diff(product) >= -1e-15).all()
    assert product[-1] > product[0]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 8), beta=st.floats(0.2, 1.0), bounds=BOUNDS)
def test_balance_dynamics_split_states_into_two_blocs(compiled, seed, n, beta, bounds):
    """From a random symmetric start, balance alone ends in at most two mutually hostile
    blocs of friends (Marvel, Kleinberg & Strogatz 2011): every triad balanced."""
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.uniform(-0.5, 0.5, (n, n)), 1)
    ens = simulate(upper + upper.T, np.ones(n), make_schedule(300), rate_rows(1, beta=beta),
                   weight_rows(1), 0, keep=1, quantile_bins=0, bounds=bounds)
    final = ens.raw[0, 0, -1]
    for i, j, k in itertools.combinations(range(n), 3):
        assert final[i, j] * final[j, k] * final[k, i] > 0
    signs = np.sign(final[0])
    signs[0] = 1.0
    np.testing.assert_array_equal(np.sign(final + np.eye(n)), np.outer(signs, signs))


@SETTINGS
@given(system=systems(n_states=st.just(2)), beta=st.floats(0.0, 1.0))
def test_two_states_have_no_balance_term(compiled, system, beta):
    assert (balance_denominators(system["capability"]) == 0).all()
    ens = run(system)
    system = dict(system, rates=system["rates"].copy())
    system["rates"][:, BETA] = beta
    ens2 = run(system)
    np.testing.assert_array_equal(ens.raw, ens2.raw)
    np.testing.assert_array_equal(ens.mean, ens2.mean)


# --- batch layout -----------------------------------------------------------------------------

@SETTINGS
@given(system=systems(max_variants=2))
def test_replicate_is_the_same_in_a_small_and_a_large_batch(compiled, system):
    big = dict(system, rates=np.resize(system["rates"], (40, len(RATE_COLUMNS))),
               weights=np.resize(system["weights"], (40, system["weights"].shape[1])))
    small = dict(big, rates=big["rates"][:3], weights=big["weights"][:3])
    ens_small = run(small, keep=3)
    ens_big = run(big, keep=40)
    np.testing.assert_array_equal(ens_small.raw, ens_big.raw[:3])
    np.testing.assert_array_equal(ens_small.probes, ens_big.probes[:3])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(system=systems(max_variants=2), slots=st.integers(1, 5), block=st.integers(1, 9))
def test_outputs_do_not_depend_on_slots_and_blocks(compiled, system, slots, block):
    schedule = make_schedule(system["n_steps"], *system["variants"])
    rates = np.resize(system["rates"], (23, len(RATE_COLUMNS)))
    weights = np.resize(system["weights"], (23, system["weights"].shape[1]))
    n_steps = system["n_steps"]
    empty = np.zeros(0, dtype=np.int64)
    probe_ptr = np.zeros(n_steps + 2, dtype=np.int64)

    def once(n_slots, block_size):
        return run_ensemble(system["alignment"], system["alignment"].copy(), system["capability"],
                            rates, weights, schedule.ptr, schedule.target, schedule.source,
                            schedule.type, schedule.factor, np.int64(system["seed"]), np.int64(0),
                            n_slots, block_size, 200, probe_ptr, empty, empty, 23,
                            bounds=system["bounds"])

    one, many = list(once(1, 23)), list(once(slots, block))
    one[1], many[1] = one[1].sum(axis=0), many[1].sum(axis=0)  # the slots' counts, added up
    for first, second in zip(one, many, strict=True):
        np.testing.assert_array_equal(first, second)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(system=systems(max_variants=2), chunk=st.integers(1, 11))
def test_outputs_do_not_depend_on_chunks(compiled, system, chunk):
    system = dict(system, rates=np.resize(system["rates"], (12, len(RATE_COLUMNS))),
                  weights=np.resize(system["weights"], (12, system["weights"].shape[1])))
    keep = min(chunk, 12)
    whole = run(system, keep=keep)
    parts = run(system, keep=keep, chunk=chunk)
    for name in ("mean", "quantiles", "probes", "raw"):
        np.testing.assert_array_equal(getattr(parts, name), getattr(whole, name), err_msg=name)


def test_kept_replicates_span_chunks(compiled):
    """keep=R gives every replicate, also when the replicates run in several chunks."""
    n_reps = 12
    rates = rate_rows(n_reps, lam=0.05, beta=0.2, rho=0.1, sigma=0.1, gain=0.2)
    alignment = np.array([[0.0, 0.4, -0.2], [0.1, 0.0, 0.3], [-0.5, 0.2, 0.0]])
    schedule = make_schedule(12, [(2, 0, 1, 0, 1.0)])
    kwargs = dict(keep=n_reps, quantile_bins=0)
    whole = simulate(alignment, np.ones(3), schedule, rates, weight_rows(n_reps), 8, **kwargs)
    parts = simulate(alignment, np.ones(3), schedule, rates, weight_rows(n_reps), 8, chunk=5,
                     **kwargs)
    assert whole.raw.shape[0] == n_reps
    np.testing.assert_array_equal(parts.raw, whole.raw)


def test_parameter_columns_are_those_the_reference_unpacks():
    assert PARAM_NAMES[:7] == ("lam", "beta", "rho", "sigma", "mu", "gain", "source_share")
    assert (LAM, BETA, RHO, SIGMA, MU, GAIN, SOURCE_SHARE) == tuple(range(7))
    assert RATE_COLUMNS[len(PARAM_NAMES):] == tuple(f"action_rates.{t}" for t in TYPE_NAMES)
    assert set(PARAM_RANGES) == set(PARAM_NAMES)
