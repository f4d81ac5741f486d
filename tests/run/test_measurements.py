"""measurements.parquet: the observation model's values of every variant beside the observed."""

import numpy as np
import pandas as pd

from sim.data.measured.observed import MEASURES, observed
from sim.model.observation import predictive_samples
from sim.run import measurements
from sim.run.run import run


def test_a_run_writes_its_measurements_beside_the_observed_values(compiled, compose_config, tmp_path):
    overrides = ["+scenario=aid_freeze", "scenario.date=2014-06", "replicates=20", "start=2014-01",
                 "end=2015-12"]
    run(compose_config(overrides), tmp_path, overrides=overrides, progress=False)
    table = pd.read_parquet(tmp_path / "measurements.parquet")
    assert set(table["variant"]) == {"reference", "scenario", "observed"}
    simulated = table.loc[table["variant"] != "observed"]
    assert set(simulated["measure"]) == set(measurements.load_observation())
    votes = simulated.loc[simulated["measure"] == "unga_agreement"]
    assert votes["value"].between(0, 1).all() and set(votes["period"]) == {"2014", "2015"}
    wide = votes.pivot_table(index=["source", "target", "period", "variant"], columns="stat", values="value")
    assert (wide["p05"] <= wide["p50"]).all() and (wide["p50"] <= wide["p95"]).all()
    seen = observed(["USA", "PAK", "RUS", "CHN", "IND"], "2014-01", "2015-11")  # the months that end
    # inside the run (its last date is the first day of `end`)
    got = table.loc[table["variant"] == "observed"].sort_values(["measure", "source", "target", "period"])
    want = seen.sort_values(["measure", "source", "target", "period"])
    assert got["value"].tolist() == want["value"].tolist()


def test_measurements_can_be_left_out(compiled, compose_config, tmp_path):
    overrides = ["replicates=5", "start=2015-01", "output.measurements=false"]
    run(compose_config(overrides), tmp_path, overrides=overrides, progress=False)
    assert not (tmp_path / "measurements.parquet").exists()
    assert (tmp_path / "trajectories.parquet").exists()


def test_a_large_actor_set_measures_the_focus_states_pairs_only():
    codes = tuple(f"S{k:02d}" for k in range(measurements.MAX_MEASURED_STATES + 3))
    pairs = measurements.measured_pairs(codes, "S04")
    assert len(pairs) == 2 * (len(codes) - 1) and all(4 in pair for pair in pairs)


def test_each_pair_takes_the_next_errors_of_its_measures_stream():
    codes = ("PAK", "USA", "CHN")
    where, _ = measurements.cells(codes, "PAK", 24, 0)
    probes = np.random.default_rng(0).uniform(-1, 1, size=(50, 1, len(where.pairs) * 24))
    fitted = {"intercepts": {"PAK-USA": 0.1, "USA-PAK": -0.2}, "slope": 0.4, "sd": 0.2}
    table = measurements.simulated_table(probes, ["reference"], codes, where, 0,
                                         {"net_cooperation": fitted}, seed=3)
    pairs, periods, latent = measurements.latent_series(probes[:, 0], where, 0, "net_cooperation")
    rng = np.random.default_rng([3, measurements.NOISE_STREAM, MEASURES.index("net_cooperation")])
    for k, (i, j) in enumerate(pairs):
        intercept = fitted["intercepts"].get(f"{codes[i]}-{codes[j]}", -0.05)  # else their mean
        samples = predictive_samples("net_cooperation", latent[:, k], intercept, 0.4, 0.2, rng)
        rows = table.loc[(table["source"] == codes[i]) & (table["target"] == codes[j])]
        assert rows["period"].tolist() == periods * len(measurements.STATS)
        values = rows.set_index(["stat", "period"])["value"]
        np.testing.assert_array_equal(values["mean"].to_numpy(), samples.mean(axis=0))
        np.testing.assert_array_equal(values["p95"].to_numpy(), np.quantile(samples, 0.95, axis=0))
