"""Stylized facts: which cells they read, how level/order/trend facts are decided on
hand-made probe values, and facts dated outside the run."""

import numpy as np
import pytest
import yaml

from sim.data.actors import load_actors
from sim.data.dates import parse_month
from sim.data.facts import Fact, fact_probes, fact_report, facts_met_by_replicate, load_facts
from sim.paths import resolve_path

CODES = ("AAA", "BBB", "CCC")
INDEX = {code: k for k, code in enumerate(CODES)}
START = parse_month("2015-01", "test", "start")
N_STEPS = 24  # dates 2015-01 .. 2017-01


def month(text):
    return parse_month(text, "test", "date")


def fact(ident, kind, pairs, dates, op, threshold):
    return Fact(ident, "", kind, tuple(tuple(p) for p in pairs), tuple(month(d) for d in dates),
                op, threshold, "doc.txt")


def probe_values(probes, cells_by_replicate):
    """values[R, P] from {(date, source, target): value} per replicate (cells not given: 0)."""
    values = np.zeros((len(cells_by_replicate), len(probes.step)))
    for r, cells in enumerate(cells_by_replicate):
        for (date, source, target), value in cells.items():
            hits = np.flatnonzero((probes.step == month(date) - START)
                                  & (probes.i == INDEX[source]) & (probes.j == INDEX[target]))
            assert len(hits) == 1, (date, source, target)
            values[r, hits[0]] = value
    return values


LEVEL = fact("level", "level", [["AAA", "BBB"]], ["2015-06"], ">", 0.2)
ORDER = fact("order", "order", [["AAA", "BBB"], ["AAA", "CCC"]], ["2016-01"], ">", 0.1)
TREND = fact("trend", "trend", [["BBB", "CCC"]], ["2015-06", "2016-06"], "<", -0.1)
AT_END = fact("at_end", "level", [["CCC", "AAA"]], ["2017-01"], "<", 0.0)
BEFORE = fact("before", "level", [["AAA", "BBB"]], ["2014-12"], ">", 0.0)
AFTER = fact("after", "trend", [["AAA", "BBB"]], ["2016-01", "2017-02"], ">", 0.0)


def test_probes_cover_the_cells_the_checked_facts_read():
    probes = fact_probes([LEVEL, ORDER, TREND, AT_END, BEFORE, AFTER], INDEX, START, N_STEPS)
    cells = set(zip(probes.step.tolist(), probes.i.tolist(), probes.j.tolist(), strict=True))
    assert cells == {(5, 0, 1), (12, 0, 1), (12, 0, 2), (5, 1, 2), (17, 1, 2), (24, 2, 0)}
    assert len(probes.step) == len(cells)
    assert (np.diff(probes.step) >= 0).all()
    assert probes.checked.tolist() == [True, True, True, True, False, False]


def test_level_order_and_trend_on_hand_made_values():
    facts = [LEVEL, ORDER, TREND, AT_END]
    probes = fact_probes(facts, INDEX, START, N_STEPS)
    replicates = [
        # every fact met
        {("2015-06", "AAA", "BBB"): 0.3, ("2016-01", "AAA", "BBB"): 0.5,
         ("2016-01", "AAA", "CCC"): 0.2, ("2015-06", "BBB", "CCC"): 0.4,
         ("2016-06", "BBB", "CCC"): 0.1, ("2017-01", "CCC", "AAA"): -0.5},
        # every fact just missed
        {("2015-06", "AAA", "BBB"): 0.1, ("2016-01", "AAA", "BBB"): 0.25,
         ("2016-01", "AAA", "CCC"): 0.2, ("2015-06", "BBB", "CCC"): 0.4,
         ("2016-06", "BBB", "CCC"): 0.35, ("2017-01", "CCC", "AAA"): 0.01},
        # order by the other pair's fall, trend rising: order met, trend not
        {("2015-06", "AAA", "BBB"): -0.9, ("2016-01", "AAA", "BBB"): -0.2,
         ("2016-01", "AAA", "CCC"): -0.9, ("2015-06", "BBB", "CCC"): -0.5,
         ("2016-06", "BBB", "CCC"): 0.5, ("2017-01", "CCC", "AAA"): -0.01},
    ]
    met = facts_met_by_replicate(probes, probe_values(probes, replicates))
    assert met.tolist() == [[True, True, True, True],
                            [False, False, False, False],
                            [False, True, False, True]]
    report = fact_report(probes, probe_values(probes, replicates), 0.6)
    fractions = {row["id"]: row["fraction"] for row in report["facts"]}
    assert fractions == pytest.approx({"level": 1 / 3, "order": 2 / 3, "trend": 1 / 3,
                                       "at_end": 2 / 3})
    assert [row["met"] for row in report["facts"]] == [False, True, False, True]
    assert report["facts_met"] == pytest.approx(0.5)


@pytest.mark.parametrize("op", [">", "<"])
def test_a_value_at_the_threshold_meets_neither_comparison(op):
    level = fact("edge", "level", [["AAA", "BBB"]], ["2015-06"], op, 0.25)
    probes = fact_probes([level], INDEX, START, N_STEPS)
    values = probe_values(probes, [{("2015-06", "AAA", "BBB"): 0.25}])
    assert not facts_met_by_replicate(probes, values)[0, 0]


def test_facts_outside_the_run_are_not_checked():
    facts = [LEVEL, BEFORE, AFTER]
    probes = fact_probes(facts, INDEX, START, N_STEPS)
    # values that would meet the outside facts had they been read
    values = probe_values(probes, [{("2015-06", "AAA", "BBB"): 0.9}] * 2)
    met = facts_met_by_replicate(probes, values)
    assert met.tolist() == [[True, False, False]] * 2
    report = fact_report(probes, values, 0.8)
    rows = {row["id"]: row for row in report["facts"]}
    assert rows["level"]["met"] is True and rows["level"]["fraction"] == 1.0
    for ident in ("before", "after"):
        assert rows[ident]["met"] is None and rows[ident]["fraction"] is None
    assert report["facts_met"] == 1.0


def test_no_fact_inside_the_run_gives_no_share():
    probes = fact_probes([BEFORE, AFTER], INDEX, START, N_STEPS)
    assert len(probes.step) == 0
    report = fact_report(probes, np.zeros((3, 0)), 0.8)
    assert report["facts_met"] is None
    assert all(row["met"] is None for row in report["facts"])


def test_fact_report_uses_the_fraction_threshold():
    probes = fact_probes([LEVEL], INDEX, START, N_STEPS)
    values = probe_values(probes, [{("2015-06", "AAA", "BBB"): v} for v in (0.3, 0.3, 0.3, 0.0)])
    assert fact_report(probes, values, 0.75)["facts"][0]["met"] is True
    assert fact_report(probes, values, 0.76)["facts"][0]["met"] is False


def test_load_facts_reads_every_kind(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump({"facts": [
        {"id": "l", "kind": "level", "pairs": [["AAA", "BBB"]], "dates": ["2015-06"], "op": ">",
         "threshold": 0.2, "source_doc": "a.txt", "text": "a level"},
        {"id": "o", "kind": "order", "pairs": [["AAA", "BBB"], ["AAA", "CCC"]],
         "dates": ["2016-01"], "op": ">", "threshold": 0.1, "source_doc": "b.txt"},
        {"id": "t", "kind": "trend", "pairs": [["BBB", "CCC"]], "dates": ["2015-06", "2016-06"],
         "op": "<", "threshold": -0.1, "source_doc": "c.txt"},
    ]}))
    loaded = load_facts(path, CODES)
    assert loaded[0] == Fact("l", "a level", "level", (("AAA", "BBB"),), (month("2015-06"),), ">",
                             0.2, "a.txt")
    assert [f.kind for f in loaded] == ["level", "order", "trend"]
    assert loaded[1].pairs == (("AAA", "BBB"), ("AAA", "CCC"))
    assert loaded[2].months == (month("2015-06"), month("2016-06"))


def test_seed_facts_load_and_cite_their_sources(compose_config):
    cfg = compose_config([])
    codes = load_actors(resolve_path(cfg.data.actors)).codes
    facts = load_facts(resolve_path(cfg.data.facts), codes)
    assert facts
    assert all(f.source_doc for f in facts)
    assert {f.kind for f in facts} <= {"level", "order", "trend", "effect"}


def test_an_effect_fact_must_name_a_scenario_that_exists(compose_config, tmp_path):
    """A misspelt scenario would leave its fact unchecked in every run: refused."""
    from sim.errors import InputError
    from sim.run.run import prepare

    facts = yaml.safe_load((resolve_path("seeds/facts.yaml")).read_text(encoding="utf-8"))
    effect = next(f for f in facts["facts"] if f["kind"] == "effect")
    effect["scenario"] = "aid_freez"
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(facts), encoding="utf-8")
    with pytest.raises(InputError) as info:
        prepare(compose_config([f"data.facts={path}", "replicates=10"]))
    assert info.value.field == "scenario" and "aid_freez" in info.value.fix
    assert "aid_freeze" in info.value.fix
