"""The calibration's `measured` evidence: within-pair summaries that ignore the pairs' levels,
a simulation that reproduces the record when the model does, errors that show in the
within-pair sd, no measured series after 2015-12, and the observation values' priors."""

import numpy as np
import pytest

from sim.errors import InputError
from sim.studies.calibration.measured import (
    LAST_MONTH,
    OBSERVATION_VALUES,
    Series,
    observation_values,
    simulated_values,
    within_pair,
)


def series(measure: str, pairs: int = 3, years: int = 4, per_year: int = 12, seed: int = 0) -> Series:
    rng = np.random.default_rng(seed)
    periods = per_year * years
    values = rng.normal(0.2, 0.3, (pairs, periods))
    values[rng.random((pairs, periods)) < 0.3] = np.nan  # months without a measurement
    labels = tuple(f"{2010 + t // per_year}-{t % per_year + 1:02d}" if per_year > 1 else str(2010 + t)
                   for t in range(periods))
    year = np.repeat(np.arange(years), per_year).astype(np.int64)
    return Series(measure, tuple(f"P{k}-Q{k}" for k in range(pairs)), labels, values, year)


def test_the_summary_ignores_each_pairs_level():
    s = series("net_cooperation")
    shifted = s.values + np.array([[5.0], [-2.0], [0.7]])
    base = within_pair(s.values[None], s.mask, s.year, s.components())
    moved = within_pair(shifted[None], s.mask, s.year, s.components())
    np.testing.assert_allclose(moved, base, atol=1e-12)
    changed = s.values.copy()
    changed[0, np.flatnonzero(s.mask[0])[0]] += 0.5  # one month of one pair
    assert not np.allclose(within_pair(changed[None], s.mask, s.year, s.components()), base)


@pytest.mark.parametrize("measure", ["unga_agreement", "net_cooperation"])
def test_a_model_that_made_the_record_without_error_gives_the_records_summary(measure):
    s = series(measure, per_year=1 if measure == "unga_agreement" else 12)
    slope, offsets = 0.8, np.array([[0.3], [-0.1], [0.05]])
    latent = np.where(s.mask, (s.values - offsets) / slope, 0.0)[None].repeat(2, axis=0)
    simulated = simulated_values(s, latent, np.full(2, slope), np.zeros(2), np.random.default_rng(1))
    np.testing.assert_allclose(np.where(s.mask, simulated, 0.0)[0], np.where(s.mask, s.values, 0.0),
                               atol=1e-12)
    record = within_pair(s.values[None], s.mask, s.year, s.components())
    np.testing.assert_allclose(within_pair(simulated, s.mask, s.year, s.components()),
                               np.repeat(record, 2, axis=0), atol=1e-12)


def test_the_within_pair_sd_reads_the_error_sd():
    s = series("net_cooperation", pairs=4, years=6)
    latent = np.zeros((400, 4, s.values.shape[1]))
    for sd in (0.05, 0.2):
        simulated = simulated_values(s, latent, np.full(400, 0.5), np.full(400, sd), np.random.default_rng(2))
        pooled = within_pair(simulated, s.mask, s.year, s.components())[:, -1]
        assert abs(pooled.mean() - sd) < 0.1 * sd


def test_a_pair_measured_once_gives_no_component():
    s = series("net_cooperation")
    values = s.values.copy()
    values[1] = np.nan
    values[1, 5] = 0.4
    single = Series(s.measure, s.keys, s.periods, values, s.year)
    assert not single.components()[1].any() and single.components()[0].any()


def test_observation_values_come_from_the_fitted_columns_or_the_fixed_ones():
    fixed = {name: float(k + 1) for k, name in enumerate(OBSERVATION_VALUES)}
    values = np.array([[0.5, 9.0], [0.7, 9.0]])
    got = observation_values([OBSERVATION_VALUES[0], "lam"], values, fixed)
    np.testing.assert_allclose(got[:, 0], [0.5, 0.7])
    np.testing.assert_allclose(got[:, 1:], [[2.0, 3.0, 4.0]] * 2)


@pytest.fixture(scope="module")
def problem(compose_config):
    """The default calibration's problem (its evidence holds the measured part)."""
    from hydra import compose, initialize_config_dir
    from support import CONFIG_DIR

    from sim.studies.calibration.evidence import build_problem

    compose_config()  # registers the schema
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("calibrate")
    assert "measured" in cfg.calibration.evidence
    return build_problem(cfg)


def test_no_measured_series_after_2015_enters_the_evidence(problem):
    names = problem.measured.names()
    years = {int(n.split(":")[3]) for n in names if not n.endswith("within_sd")}
    assert max(years) == int(LAST_MONTH[:4]) and min(years) == 2010
    for s in problem.measured.series:
        assert max(s.periods) <= LAST_MONTH[:len(s.periods[0])]
    assert problem.measured.cells.steps.max() + problem.setup.start - 1 <= 2015 * 12 + 11


def test_the_history_run_probes_facts_and_measured_cells_in_date_order(problem):
    step, _, _ = problem.history_probes
    assert np.all(np.diff(step) >= 0)
    restored = step[problem.restore]
    np.testing.assert_array_equal(restored[:len(problem.probes.step)], problem.probes.step)


def test_simulated_summaries_line_up_with_the_names(problem, compiled):
    from sim.studies.calibration.evidence import evidence_names, observed, run_sets, summaries

    reference = problem.setup.params
    observation = np.tile([1.0, 0.3, 0.5, 0.2], (3, 1))
    sim = run_sets(problem, [reference] * 3, 5, observation=observation)
    x = summaries(problem, sim)
    names = evidence_names(problem)
    assert x.shape == (3, len(names)) == (3, len(observed(problem)))
    measured = [k for k, n in enumerate(names) if n.startswith("measured:")]
    assert np.isfinite(x[:, measured]).all()
    assert len({tuple(row) for row in x[:, measured]}) == 3  # each replicate its own errors


def test_an_observation_sd_prior_reaching_zero_stops_with_one_line(problem, tmp_path):
    from omegaconf import OmegaConf

    from sim.studies.calibration.calibrate import fitted_priors

    path = tmp_path / "priors.yaml"
    path.write_text("priors:\n  lam: {dist: uniform, low: 0.01, high: 0.1}\n"
                    "  observation.net_cooperation.sd: {dist: uniform, low: 0.0, high: 1.0}\n")
    cal = OmegaConf.create({"priors": str(path), "without": []})
    with pytest.raises(InputError, match="observation.net_cooperation.sd"):
        fitted_priors(cal, problem.setup.params, problem)


def test_a_shorter_record_window_ends_the_measured_series_with_it(compose_config):
    from hydra import compose, initialize_config_dir
    from support import CONFIG_DIR

    from sim.studies.calibration.evidence import build_problem

    compose_config()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("calibrate", overrides=["calibration.record=[2010-01,2013-12]"])
    series = {s.measure: s for s in build_problem(cfg).measured.series}
    assert series["unga_agreement"].periods[-1] == "2013"
    assert series["net_cooperation"].periods[-1] == "2013-12"
