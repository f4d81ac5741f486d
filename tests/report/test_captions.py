"""What the figures say in words: a scenario's settings and changes, the history and the
counterfactual, and swept values as a reader says them."""

import pandas as pd
import pytest

from sim.report.captions import (
    MAX_EDIT_GROUPS,
    TITLE_WIDTH,
    difference_label,
    scenario_title,
    value_text,
    variant_label,
)
from sim.report.tables import events_used


def event(date, source, target, kind, variant, id_):
    return {"id": id_, "date": date, "source": source, "target": target, "type": kind,
            "variant": variant}


RUSSIA_ARMS = {"name": "russia_arms", "history": "reference", "settings": {"factor": 0.0}}
RECORD = [  # two arms sales only the record has, an exercise both variants have
    event("2015-07-01", "RUS", "PAK", "arms_sale", "reference", "jf17"),
    event("2015-08-01", "RUS", "PAK", "arms_sale", "reference", "mi35"),
    event("2016-03-01", "RUS", "PAK", "exercise", "reference", "drill"),
    event("2016-03-01", "RUS", "PAK", "exercise", "scenario", "drill"),
]


def test_a_scenario_is_titled_with_its_settings_and_the_events_it_removes(tmp_path):
    events = events_used({"events_used": RECORD}, tmp_path)
    assert scenario_title(RUSSIA_ARMS, events) == (
        "'russia_arms' (factor 0): removes 2 arms sale events RUS → PAK (2015-07, 2015-08)")
    assert scenario_title(RUSSIA_ARMS) == "'russia_arms' (factor 0)"
    assert scenario_title(None) == ""


def test_added_events_and_many_kinds_are_said_briefly(tmp_path):
    added = [event(f"2018-{m:02d}-01", "USA", "PAK", "aid_cut", "scenario", f"cut{m}")
             for m in range(1, 6)]
    others = [event("2017-01-01", "PAK", kind[:3].upper(), kind, "reference", kind)
              for kind in ("visit", "support", "downgrade")]
    events = events_used({"events_used": added + others}, tmp_path)
    title = scenario_title({"name": "x"}, events)
    assert title.replace("\n", " ") == (
        "'x': adds 5 aid cut events USA → PAK (2018-01..2018-05); removes 1 visit event "
        f"PAK → VIS (2017-01); and {4 - MAX_EDIT_GROUPS} more kinds")
    assert all(len(line) <= TITLE_WIDTH for line in title.splitlines())
    both_ways = events_used({"events_used": [
        event("2018-02-01", "PAK", "RUS", "visit", "reference", "a"),
        event("2018-04-01", "RUS", "PAK", "visit", "reference", "b"),
        *[event("2018-05-01", "RUS", "PAK", "exercise", v, "c") for v in ("reference",
                                                                         "scenario")]]},
        tmp_path)
    assert scenario_title({"name": "y"}, both_ways) == (
        "'y': removes 1 visit event PAK → RUS (2018-02), 1 visit event RUS → PAK (2018-04)")


@pytest.mark.parametrize("key,value,text", [
    ("scenario.amount_usd", 2e9, "$2 bn"), ("amount_usd", 5e8, "$0.5 bn"),
    ("params.rho", 0.05, "0.05"), ("factor", 0.0, "0"),
    ("scenario.date", pd.Timestamp("2018-06-01"), "2018-06"), ("launcher", "local", "local"),
])
def test_values_as_a_reader_says_them(key, value, text):
    assert value_text(key, value) == text


@pytest.mark.parametrize("history", ["reference", "scenario"])
def test_the_history_and_the_counterfactual_are_named(history):
    other = {"reference": "scenario", "scenario": "reference"}[history]
    variants = ["reference", "scenario"]
    assert variant_label(history, history, variants) == (
        f"{history}: the history (the record, with the lever)")
    assert variant_label(other, history, variants) == f"{other}: the counterfactual"
    assert variant_label(history, None, variants) == history
    assert variant_label("reference", history, ["reference"]) == "reference"
    label = difference_label(history)
    assert label.startswith("scenario (the ") and " − reference (the " in label
    assert f"{history} (the history)" in label and f"{other} (the counterfactual)" in label
    assert difference_label(None) == "scenario − reference"
