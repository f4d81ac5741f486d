"""`python -m sim` end to end: the files of the public contract, the printed report, run
directories, figures, and every shipped scenario."""

import json
import os

import numpy as np
import pandas as pd
import pytest
from support import ROOT, run_directory, run_sim, start_sim

from sim.run.run import run

SCENARIOS = sorted(p.stem for p in (ROOT / "configs" / "scenario").glob("*.yaml"))
STATS = {"mean", "p05", "p25", "p50", "p75", "p95"}
SUMMARY_KEYS = {"actors", "start", "end", "seed", "replicates", "final_mean", "effects",
                "events_outside", "facts", "facts_met", "versions", "timings"}


@pytest.fixture(scope="module")
def aid_freeze(compiled, tmp_path_factory):
    """One run of the aid_freeze scenario with figures, 40 replicates, 2016-01..2019-06."""
    tmp = tmp_path_factory.mktemp("cli")
    run_dir = tmp / "run"
    proc = run_sim(["+scenario=aid_freeze", "replicates=40", "start=2016-01", "end=2019-06",
                    "plot=true", f"hydra.run.dir={run_dir}"], tmp)
    return proc, run_dir


@pytest.fixture(scope="module")
def outputs(aid_freeze):
    proc, run_dir = aid_freeze
    assert proc.returncode == 0, proc.stderr
    return (pd.read_parquet(run_dir / "trajectories.parquet"),
            pd.read_parquet(run_dir / "effects.parquet"),
            json.loads((run_dir / "summary.json").read_text()))


def test_run_exits_cleanly_and_reports(aid_freeze):
    proc, run_dir = aid_freeze
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Effect of scenario 'aid_freeze'" in proc.stdout
    assert "PAK -> USA" in proc.stdout
    assert run_directory(proc.stdout).resolve() == run_dir.resolve()


def test_trajectories_table(outputs):
    trajectories, _, summary = outputs
    assert list(trajectories.columns) == ["variant", "stat", "step", "date", "source", "target",
                                          "value"]
    assert set(trajectories["variant"]) == {"reference", "scenario"}
    assert set(trajectories["stat"]) == STATS
    codes = [a["code"] for a in summary["actors"]]
    n_dates = 2019 * 12 + 5 - (2016 * 12) + 1  # 2016-01 .. 2019-06
    assert len(trajectories) == 2 * len(STATS) * n_dates * len(codes) * (len(codes) - 1)
    assert (trajectories["source"] != trajectories["target"]).all()
    assert set(trajectories["step"]) == set(range(n_dates))
    dates = pd.to_datetime(trajectories["date"])
    assert dates.min() == pd.Timestamp("2016-01-01") and dates.max() == pd.Timestamp("2019-06-01")
    assert trajectories["value"].between(-1, 1).all()
    wide = trajectories.pivot_table(index=["variant", "step", "source", "target"], columns="stat",
                                    values="value")
    ordered = wide[["p05", "p25", "p50", "p75", "p95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()


def test_effects_table_is_scenario_minus_reference(outputs):
    trajectories, effects, _ = outputs
    assert list(effects.columns[:4]) == ["step", "date", "source", "target"]
    assert STATS <= set(effects.columns)
    means = trajectories[trajectories["stat"] == "mean"].pivot_table(
        index=["step", "source", "target"], columns="variant", values="value")
    difference = (means["scenario"] - means["reference"]).rename("expected")
    joined = effects.set_index(["step", "source", "target"]).join(difference)
    assert len(joined) == len(means)
    np.testing.assert_allclose(joined["mean"], joined["expected"], rtol=0, atol=1e-9)


def test_summary_contract(outputs):
    trajectories, _, summary = outputs
    assert SUMMARY_KEYS <= set(summary)
    assert summary["start"] == "2016-01" and summary["end"] == "2019-06"
    assert summary["replicates"] == 40 and summary["seed"] == 0
    codes = [a["code"] for a in summary["actors"]]
    assert summary["final_mean"].keys() == set(codes)
    last = trajectories[(trajectories["stat"] == "mean")
                        & (trajectories["step"] == trajectories["step"].max())]
    final = {(s, t): v for s, row in summary["final_mean"].items() for t, v in row.items()}
    assert len(final) == len(codes) * (len(codes) - 1)
    matches = []
    for _, variant in last.groupby("variant"):
        values = {(r.source, r.target): r.value for r in variant.itertuples()}
        matches.append(all(abs(values[k] - v) < 1e-12 for k, v in final.items()))
    assert any(matches), "final_mean is not the mean of any variant at the end"
    assert all({"source", "target", "date", "mean", "p05", "p95"} <= set(e) for e in summary["effects"])
    assert {e["date"] for e in summary["effects"] if e["when"] in ("12m", "end")} == \
        {"2019-01", "2019-06"}  # 12 months after the lever date, end
    assert "us_pak_aid_freeze_2018" not in summary["events_outside"]
    assert "abbottabad_raid_2011" in summary["events_outside"]
    assert summary["versions"]["numba"] and summary["versions"]["mesa"]
    assert all(value >= 0 for value in summary["timings"].values())
    for fact in summary["facts"]:
        early = min(fact["dates"]) < "2016-01"
        assert (fact["met"] is None) == early, fact["id"]
        assert (fact["fraction"] is None) == early, fact["id"]
    checked = [f["met"] for f in summary["facts"] if f["met"] is not None]
    assert summary["facts_met"] == pytest.approx(np.mean(checked))


@pytest.mark.parametrize("when", ["12m", "peak", "end"])
def test_aid_freeze_lowers_pakistan_toward_the_us(outputs, when):
    _, _, summary = outputs
    rows = [e for e in summary["effects"]
            if (e["source"], e["target"], e.get("when")) == ("PAK", "USA", when)]
    assert len(rows) == 1
    assert rows[0]["mean"] < 0
    # the interval holds the posterior's parameter uncertainty: it lies mostly below zero
    assert rows[0]["p05"] < 0 and rows[0]["p95"] < 0.1 * abs(rows[0]["p05"])


def test_effects_before_the_first_change_are_zero(outputs):
    """Both variants replay the same events on the same random numbers until 2018-01, so
    the effect is exactly zero there, and a 90% interval around it must contain zero."""
    _, effects, _ = outputs
    before = effects[pd.to_datetime(effects["date"]) <= pd.Timestamp("2018-01-01")]
    assert len(before) > 0
    assert (before["mean"] == 0).all()
    assert (before["p05"] <= 0).all() and (before["p95"] >= 0).all()


def test_figures_are_written(aid_freeze):
    _, run_dir = aid_freeze
    figures = sorted((run_dir / "figures").glob("*.png"))
    assert figures
    assert all(f.stat().st_size > 1000 for f in figures)


def test_output_files_honour_the_umask(aid_freeze):
    """Results are shared: files are created with the permissions of the user's umask."""
    _, run_dir = aid_freeze
    mask = os.umask(0)
    os.umask(mask)
    if 0o666 & ~mask == 0o600:
        pytest.skip("this umask gives 0600 anyway")
    for name in ("trajectories.parquet", "effects.parquet", "summary.json"):
        assert (run_dir / name).stat().st_mode & 0o777 == 0o666 & ~mask, name


def test_runs_started_together_get_their_own_directories(compiled, tmp_path):
    args = ["replicates=20", "start=2018-01", "end=2018-12"]
    procs = [start_sim(args, tmp_path) for _ in range(2)]
    directories = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        directories.append(run_directory(out))
    assert directories[0] != directories[1]
    for directory in directories:
        assert (directory / "summary.json").is_file()
        assert tmp_path in directory.parents


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_runs(compiled, compose_config, tmp_path, name):
    cfg = compose_config([f"+scenario={name}", "replicates=40"])
    summary = run(cfg, tmp_path, progress=False)
    assert summary["variants"] == ["reference", "scenario"]
    assert summary["scenario"]["name"] == name
    assert summary["effects"]
    assert any(abs(e["mean"]) > 1e-6 for e in summary["effects"]), "the scenario changes nothing"
    for name_ in ("trajectories.parquet", "effects.parquet", "summary.json"):
        assert (tmp_path / name_).is_file()


def test_scenarios_are_found():
    assert "aid_freeze" in SCENARIOS


def test_any_set_of_states_runs(compiled, compose_config, tmp_path):
    """Nothing assumes five states or these five: three historical states, their own
    events and facts, no scenario."""
    actors = tmp_path / "actors.yaml"
    actors.write_text(
        "actors:\n"
        "  - {code: GBR, name: Britain, capability: 0.3}\n"
        "  - {code: FRA, name: France, capability: 0.2}\n"
        "  - {code: PRU, name: Prussia, capability: 0.25}\n"
        "alignment_default: 0.0\n"
        "alignment:\n"
        "  - {source: GBR, target: FRA, value: -0.2}\n"
        "  - {source: FRA, target: PRU, value: -0.6}\n"
        "  - {source: PRU, target: FRA, value: -0.5}\n")
    events = tmp_path / "events.csv"
    events.write_text(
        "date,source,target,type,magnitude,unit,cameo,source_doc,note\n"
        "1904-04,GBR,FRA,agreement,3,level,057,entente.txt,Entente cordiale\n"
        "1905-03,PRU,FRA,hostile_statement,2,level,111,tangier.txt,Tangier crisis\n")
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "facts:\n"
        "  - {id: entente, kind: trend, pairs: [[FRA, GBR]], dates: ['1904-01', '1906-01'],\n"
        "     op: '>', threshold: 0.0, source_doc: entente.txt}\n")
    cfg = compose_config([f"data.actors={actors}", f"data.events={events}", f"data.facts={facts}",
                          "data.extra_events=[]",
                          "start=1903-01", "end=1907-12", "replicates=30"])
    summary = run(cfg, tmp_path / "run", progress=False)
    assert [a["code"] for a in summary["actors"]] == ["GBR", "FRA", "PRU"]
    assert set(summary["final_mean"]) == {"GBR", "FRA", "PRU"}
    assert [f["id"] for f in summary["facts"]] == ["entente"]
    assert summary["facts"][0]["met"] is not None
    table = pd.read_parquet(tmp_path / "run" / "trajectories.parquet")
    assert set(table["source"]) == {"GBR", "FRA", "PRU"}
    assert set(table["variant"]) == {"reference"}
