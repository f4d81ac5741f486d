"""The measured inputs (data.measured): through data.measured_until they replace the
background's rows of the types and sources they hold, after it they are left out; the seed
catalogue stays whole."""

import csv
from pathlib import Path

import pandas as pd
import pytest
from support import ROOT

from sim.data.dates import parse_month
from sim.data.events.catalogue import catalogue_lines, load_catalogue, load_catalogues
from sim.data.events.measured import background_rows, measured_kinds, measured_rows
from sim.run.run import prepare

UNTIL = parse_month("2015-12", "test", "until")
MEASURED = ["data.measured=[data/events/sipri.csv,data/events/us_aid.csv]"]


def frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(month YYYY-MM, type, source, target) rows as a catalogue's columns."""
    return pd.DataFrame({"month": [parse_month(r[0], "test", "month") for r in rows],
                         "type": [r[1] for r in rows], "source": [r[2] for r in rows],
                         "target": [r[3] for r in rows]})


def test_a_background_row_of_a_measured_type_and_source_goes_up_to_the_month_only():
    measured = frame([("2012-04", "aid", "USA", "IND")])
    background = frame([("2011-07", "aid", "USA", "PAK"), ("2016-07", "aid", "USA", "PAK"),
                        ("2011-07", "visit", "USA", "PAK"), ("2011-07", "aid", "CHN", "PAK"),
                        ("2015-12", "aid", "USA", "RUS"), ("2016-01", "aid", "USA", "RUS")])
    kinds = measured_kinds([measured])
    assert kinds == {("aid", "USA")}
    assert background_rows(background, kinds, UNTIL).tolist() == [False, True, True, True, False, True]


def test_measured_rows_after_the_month_are_left_out():
    measured = frame([("2015-12", "arms_sale", "RUS", "IND"), ("2016-01", "arms_sale", "RUS", "IND")])
    assert measured_rows(measured, UNTIL).tolist() == [True, False]


def write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "date", "source", "target", "type",
                                                    "magnitude", "unit", "cameo", "source_doc", "note"])
        writer.writeheader()
        writer.writerows({"magnitude": "1", "unit": "level", "cameo": "", "source_doc": "test",
                          "note": "test", **row} for row in rows)
    return path


def test_load_catalogues_splices_and_says_what_it_left_out(tmp_path):
    seeds = write(tmp_path / "seeds.csv", [{"id": "s", "date": "2014-03", "source": "USA",
                                            "target": "PAK", "type": "arms_sale"}])
    background = write(tmp_path / "bg.csv", [
        {"id": "b1", "date": "2013-05", "source": "USA", "target": "PAK", "type": "arms_sale"},
        {"id": "b2", "date": "2017-05", "source": "USA", "target": "PAK", "type": "arms_sale"},
        {"id": "b3", "date": "2013-05", "source": "USA", "target": "PAK", "type": "visit"}])
    measured = write(tmp_path / "m.csv", [
        {"id": "m1", "date": "2013", "source": "USA", "target": "IND", "type": "arms_sale",
         "unit": "tiv"},
        {"id": "m2", "date": "2016", "source": "USA", "target": "PAK", "type": "arms_sale",
         "unit": "tiv"},
        {"id": "m3", "date": "2013", "source": "USA", "target": "XYZ", "type": "arms_sale",
         "unit": "tiv"}])
    uses = []
    got = load_catalogues([seeds], ["USA", "PAK", "IND"], [background], uses,
                          measured=[measured], measured_until=UNTIL)
    assert sorted(got["id"]) == ["b2", "b3", "m1", "s"]
    assert [(u.rows, u.left_out, u.skipped) for u in uses] == [(1, 0, 0), (2, 1, 0), (1, 1, 1)]
    lines = catalogue_lines(uses)
    assert any("bg.csv: 1 events left out: of the types and sources data.measured holds, dated "
               "up to 2015-12" in line for line in lines)
    assert any("m.csv: 1 events left out: dated after 2015-12" in line for line in lines)


@pytest.fixture(scope="module")
def runs(compose_config):
    return prepare(compose_config([])), prepare(compose_config(MEASURED))


def test_the_measured_record_of_the_five(runs):
    default, measured = runs
    record = measured.catalogue
    background = load_catalogue(ROOT / "seeds" / "background.csv")
    from_background = record["id"].isin(background["id"])
    of_measured = record["id"].str.startswith(("sipri:", "usaid"))
    # SIPRI deliveries and US aid of the five, every year of 2010-2015, and none after
    inside = record.loc[of_measured & record["month"].between(parse_month("2010-01", "t", "m"), UNTIL)]
    assert {(s, t) for s, t in zip(inside["source"], inside["target"], strict=True)} >= {
        ("RUS", "IND"), ("CHN", "PAK"), ("USA", "PAK"), ("USA", "IND"), ("USA", "RUS")}
    assert record.loc[of_measured, "month"].max() == parse_month("2015-07", "t", "m")
    # the background's US aid and arms rows go through 2015, stay after it
    replaced = from_background & record["type"].isin(["aid", "aid_cut", "arms_sale"])
    assert record.loc[replaced, "month"].min() > UNTIL
    assert len(record.loc[replaced & (record["source"] == "USA") & (record["type"] == "aid")]) == 5
    # the rest of the background and every seed event stay
    kept = background.loc[~background["type"].isin(["aid", "aid_cut", "arms_sale"])]
    assert set(kept["id"]) <= set(record["id"])
    seeds = default.catalogue.loc[~default.catalogue["id"].isin(background["id"]), "id"]
    assert set(seeds) <= set(record["id"])
    # the states hand over after the record, as before: no measured row moves the month
    assert measured.agents_from == default.agents_from


def test_a_runs_answer_says_what_the_measured_record_left_out(compiled, compose_config, tmp_path):
    from sim.run.console import answer_lines
    from sim.run.run import run

    summary = run(compose_config([*MEASURED, "replicates=10", "output.quantile_bins=0"]), tmp_path,
                  progress=False)
    background = load_catalogue(ROOT / "seeds" / "background.csv")
    replaced = background["type"].isin(["aid", "aid_cut", "arms_sale"]) & (background["month"] <= UNTIL)
    lines = answer_lines(summary)
    assert (f"seeds/background.csv: {replaced.sum()} events left out: of the types and sources "
            "data.measured holds, dated up to 2015-12") in lines
    sipri = next(use for use in summary["catalogues"] if use["path"].endswith("sipri.csv"))
    assert sipri["left_out"] > 0 and f"data/events/sipri.csv: {sipri['left_out']} events left out: " \
        "dated after 2015-12 (data.measured_until)" in lines


def test_a_month_that_is_not_one_stops_with_its_key(compose_config):
    from sim.errors import InputError

    with pytest.raises(InputError) as caught:
        prepare(compose_config([*MEASURED, "data.measured_until=2015-13"]))
    assert caught.value.field == "data.measured_until" and "2015-13" in str(caught.value)
