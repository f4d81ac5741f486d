"""measurements.parquet: the observation model's values of every variant beside the observed."""

import pandas as pd

from sim.data.measured.observed import observed
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
