"""Effect summaries: the lever date, the peak, the cumulative sum, exact quantiles held against
the kept replicates, and the console table."""

import json

import numpy as np
import pandas as pd
import pytest

import sim.run.run
from sim.run.console import report_lines
from sim.run.effects import CONSOLE_PAIRS, decimals, effect_lines
from sim.run.run import run

REPLICATES = 40
WINDOW = ["start=2016-01", "end=2019-06"]


def run_kept(compose_config, tmp_path, *overrides):
    """A run keeping every replicate whole; (summary, trajectories, effects)."""
    cfg = compose_config([*WINDOW, "params=calibrated", f"replicates={REPLICATES}",
                          f"output.keep_replicates={REPLICATES}", *overrides])
    summary = run(cfg, tmp_path, progress=False)
    return (summary, pd.read_parquet(tmp_path / "trajectories.parquet"),
            pd.read_parquet(tmp_path / "effects.parquet"))


@pytest.fixture(scope="module")
def aid_freeze(compiled, compose_config, tmp_path_factory):
    return run_kept(compose_config, tmp_path_factory.mktemp("freeze"), "+scenario=aid_freeze")


def replicate_effects(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Scenario minus reference of every kept replicate: index (step, source, target), one
    column per replicate."""
    raw = trajectories[trajectories["stat"].str.startswith("raw")]
    wide = raw.pivot_table(index=["step", "source", "target"], columns=["variant", "stat"],
                           values="value")
    return wide["scenario"] - wide["reference"]


def test_entries_are_exact_quantiles_of_the_kept_replicates(aid_freeze):
    summary, trajectories, _ = aid_freeze
    diff = replicate_effects(trajectories)
    steps = {d.strftime("%Y-%m"): s for s, d in
             trajectories[["step", "date"]].drop_duplicates().itertuples(index=False)}
    assert summary["effects"]
    for e in summary["effects"]:
        pair = (e["source"], e["target"])
        if e["when"] == "cumulative":
            window = range(steps[e["date"]], steps[e["date_to"]] + 1)
            assert len(window) == e["months"]
            values = sum(diff.loc[(t, *pair)].to_numpy() for t in window)
        else:
            values = diff.loc[(steps[e["date"]], *pair)].to_numpy()
        assert len(values) == REPLICATES
        low, median, high = np.quantile(values, [0.05, 0.5, 0.95])
        assert e["p05"] == pytest.approx(low, abs=1e-12), e
        assert e["p95"] == pytest.approx(high, abs=1e-12), e
        assert e["median"] == pytest.approx(median, abs=1e-12), e
        assert e["mean"] == pytest.approx(values.mean(), abs=1e-9), e
        moved = np.mean(values * np.sign(e["mean"]) > summary["effect_threshold"])
        assert e["moved"] == moved, e


def test_entries_sit_at_the_lever_peak_and_end(aid_freeze):
    summary, _, effects = aid_freeze
    assert summary["scenario"]["lever_date"] == "2018-01"
    assert summary["effect_window"] == {"from": "2018-01", "to": "2019-06"}  # clipped at the end
    rows = {(e["source"], e["target"], e["when"]): e for e in summary["effects"]}
    assert rows[("PAK", "USA", "12m")]["date"] == "2019-01"
    assert rows[("PAK", "USA", "end")]["date"] == "2019-06"
    for (source, target, when), e in rows.items():
        if when != "peak":
            continue
        series = effects[(effects["source"] == source) & (effects["target"] == target)]
        assert abs(e["mean"]) == pytest.approx(series["mean"].abs().max(), abs=1e-15)
    peak = rows[("PAK", "USA", "peak")]
    assert peak["mean"] < 0 and abs(peak["mean"]) >= abs(rows[("PAK", "USA", "12m")]["mean"])
    assert "2018-02" <= peak["date"] <= "2019-06"  # after the freeze acts
    sizes = [abs(e["mean"]) for e in summary["effects"] if e["when"] == "peak"]
    assert sizes == sorted(sizes, reverse=True)


def test_reported_pairs_are_the_touched_and_the_focus_pairs(aid_freeze):
    summary, _, _ = aid_freeze
    assert sorted(summary["effect_pairs_touched"]) == [["PAK", "USA"], ["USA", "PAK"]]
    pairs = {(e["source"], e["target"]) for e in summary["effects"]}
    assert pairs == {p for k in ("USA", "RUS", "CHN", "IND") for p in (("PAK", k), (k, "PAK"))}


def test_effects_table_is_exact_where_probed_and_marks_the_entries(aid_freeze):
    summary, trajectories, effects = aid_freeze
    diff = replicate_effects(trajectories)
    exact = effects[effects["exact"]]
    assert set(zip(exact["source"], exact["target"], strict=True)) == {
        (e["source"], e["target"]) for e in summary["effects"]}
    for row in exact.sample(50, random_state=1).itertuples():
        values = diff.loc[(row.step, row.source, row.target)].to_numpy()
        assert row.p05 == pytest.approx(np.quantile(values, 0.05), abs=1e-12)
        assert row.p50 == pytest.approx(np.quantile(values, 0.5), abs=1e-12)
        assert row.moved == np.mean(values * np.sign(row.mean) > summary["effect_threshold"])
    assert effects.loc[~effects["exact"], "moved"].isna().all()
    assert (exact["p05"] <= exact["p50"] + 1e-12).all() and (exact["p50"] <= exact["p95"] + 1e-12).all()
    marked = effects[effects["entry"] != ""]
    month = pd.to_datetime(marked["date"]).dt.strftime("%Y-%m")
    found = {(s, t, w, m) for s, t, entry, m in zip(marked["source"], marked["target"],
                                                    marked["entry"], month, strict=True)
             for w in entry.split("+")}
    wanted = {(e["source"], e["target"], e["when"], e["date"]) for e in summary["effects"]
              if e["when"] != "cumulative"}
    assert found == wanted


def test_histogram_quantiles_are_within_their_stated_resolution(aid_freeze):
    """Histogram quantiles lie in the bin of the empirical quantile (the inverse of the
    empirical distribution), so within one bin width of it."""
    summary, trajectories, effects = aid_freeze
    resolution = summary["quantile_resolution"]
    raw = trajectories[trajectories["stat"].str.startswith("raw")]
    values = raw.pivot_table(index=["variant", "step", "source", "target"], columns="stat",
                             values="value")
    stats = trajectories[trajectories["stat"].isin(["p05", "p50", "p95"])].pivot_table(
        index=["variant", "step", "source", "target"], columns="stat", values="value")
    exact = np.quantile(values.to_numpy(), [0.05, 0.5, 0.95], axis=1, method="inverted_cdf").T
    error = np.abs(stats.loc[values.index, ["p05", "p50", "p95"]].to_numpy() - exact)
    assert error.max() <= resolution["alignment"] + 1e-12
    approximate = effects[~effects["exact"]]
    effect = replicate_effects(trajectories).loc[
        list(zip(approximate["step"], approximate["source"], approximate["target"], strict=True))]
    exact = np.quantile(effect.to_numpy(), 0.95, axis=1, method="inverted_cdf")
    error = np.abs(approximate["p95"].to_numpy() - exact)
    assert error.max() <= resolution["effect"] + 1e-12


def test_a_second_pass_gives_the_same_entries(compiled, compose_config, tmp_path, monkeypatch):
    """When the per-replicate values of every date do not fit the budget, a second pass on the
    same random numbers probes only the dates the entries read."""
    overrides = ("+scenario=aid_freeze", "scenario.date=2017-01")
    one, _, effects_one = run_kept(compose_config, tmp_path / "one", *overrides)
    monkeypatch.setattr(sim.run.run, "PROBE_BUDGET_MB", 0)
    two, _, effects_two = run_kept(compose_config, tmp_path / "two", *overrides)
    assert two["effects"] == one["effects"]
    assert 0 < effects_two["exact"].sum() < effects_one["exact"].sum()


def test_lever_date_of_a_scenario_without_a_date(compiled, compose_config, tmp_path):
    cfg = compose_config([*WINDOW, "params=calibrated", "replicates=8", "+scenario=no_visits"])
    summary = run(cfg, tmp_path, progress=False)
    assert summary["scenario"]["lever_date"] == "2018-02"
    assert summary["scenario"]["first_change"] < "2016-02"  # 2015 visits are edited too
    twelve = {e["date"] for e in summary["effects"] if e["when"] == "12m"}
    assert twelve == {"2019-02"}
    assert json.loads(json.dumps(summary)) == summary


def test_console_shows_small_effects_and_counts_facts(aid_freeze, tmp_path):
    summary = aid_freeze[0]
    lines = report_lines(summary, tmp_path)
    text = "\n".join(lines)
    assert "lever 2018-01" in text and "model noise only" in text
    assert "+0.000 [" not in text and "-0.000 [" not in text
    assert any(line.startswith("Facts met: ") and "/" in line for line in lines)
    table = effect_lines(summary)
    peaks = [e for e in summary["effects"] if e["when"] == "peak"]
    largest = max(peaks, key=lambda e: abs(e["mean"]))
    assert table[4].lstrip(" *").startswith(f"{largest['source']} -> {largest['target']}")
    assert "more than 0.01 the way of the mean" in table[2]  # the threshold, in the header


def test_the_answer_reads_as_a_sentence(aid_freeze):
    """The first line of the answer: the share of worlds that moved, by how much, when; the
    figures are the leading entry's at 12 months."""
    summary = aid_freeze[0]
    lead = next(e for e in summary["effects"] if e["when"] == "12m")
    line = effect_lines(summary)[1]
    names = {a["code"]: a["name"] for a in summary["actors"]}
    verb = "falls" if lead["mean"] < 0 else "rises"
    assert line.startswith(f"In {lead['moved']:.0%} of {REPLICATES} worlds "
                           f"{names[lead['source']]}'s alignment toward {names[lead['target']]} "
                           f"{verb} by more than 0.01 by {lead['date']}, 12 months after the lever")
    assert f"(median {lead['median']:+.2f}"[:11] in line and "90% interval [" in line


def test_a_larger_threshold_counts_fewer_replicates_moved(compiled, compose_config, tmp_path):
    cfg = [*WINDOW, "params=calibrated", "replicates=16", "+scenario=aid_freeze"]
    small = run(compose_config(cfg), tmp_path / "small", progress=False)
    large = run(compose_config([*cfg, "output.effect_threshold=0.2"]), tmp_path / "large",
                progress=False)
    assert large["effect_threshold"] == 0.2
    pairs = zip(small["effects"], large["effects"], strict=True)
    assert all(b["moved"] <= a["moved"] for a, b in pairs)
    assert any(b["moved"] < a["moved"] for a, b in zip(small["effects"], large["effects"],
                                                        strict=True))


def test_console_marks_a_mean_outside_its_interval():
    """With states that act, an effect can come from a few replicates only: the exact 90%
    interval then excludes the mean, and the table says so."""
    def entry(when, mean, low, high):
        return {"source": "PAK", "target": "RUS", "when": when, "date": "2019-01",
                "date_to": "2019-12", "months": 12, "mean": mean, "p05": low, "p95": high,
                "median": 0.0, "moved": 0.0}
    summary = {"scenario": {"name": "s", "description": "", "lever_date": "2018-01"},
               "replicates": 40, "effect_interval": "model noise only", "effect_threshold": 0.01,
               "effects": [entry("12m", -0.0001, 0.0, 0.0), entry("peak", -0.0002, -0.0003, 0.0),
                           entry("end", 0.0, 0.0, 0.0), entry("cumulative", -0.001, -0.002, 0.0)]}
    lines = effect_lines(summary)
    assert lines[4].count("‡") == 1 and lines[-1].lstrip().startswith("‡")


def test_console_of_a_world_shows_the_largest_pairs_and_counts_the_rest():
    """384 focus pairs (193 states): the largest CONSOLE_PAIRS and every touched pair shown,
    the others counted."""
    def entries(source, target, size):
        return [{"source": source, "target": target, "when": when, "date": "2019-01",
                 "date_to": "2019-12", "months": 12, "mean": size, "p05": size - 0.1,
                 "p95": size + 0.1, "median": size, "moved": 0.5}
                for when in ("12m", "peak", "end", "cumulative")]
    pairs = [("PAK", f"S{k:03d}") for k in range(384)]
    summary = {"scenario": {"name": "s", "description": "", "lever_date": "2018-01"},
               "replicates": 40, "effect_interval": "model noise only",
               "effect_threshold": 0.01, "effect_pairs_touched": [["USA", "PAK"]],
               "effects": [e for k, pair in enumerate(pairs)
                           for e in entries(*pair, 0.5 - k * 1e-3)] + entries("USA", "PAK", 1e-4)}
    lines = effect_lines(summary)
    rows = [line for line in lines if " -> " in line]
    assert len(rows) == CONSOLE_PAIRS + 1
    assert rows[0].lstrip(" *").startswith("PAK -> S000") and "USA -> PAK" in rows[-1]
    assert any(f"and {384 - CONSOLE_PAIRS} more" in line for line in lines)


@pytest.mark.parametrize("means,digits", [([0.2, 0.03], 3), ([0.2, 0.00012], 5),
                                          ([0.0, 3e-9], 6), ([0.0], 3)])
def test_decimals_follow_the_smallest_mean(means, digits):
    assert decimals(means) == digits
