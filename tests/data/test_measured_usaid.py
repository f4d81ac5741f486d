"""US aid: the importer, the committed table, the cut rule and the events, rebuilt from rows
cut from the real source files (tests/data/fixtures)."""

from pathlib import Path

import pandas as pd
import pytest

from sim.data.events.__main__ import main as events_main
from sim.data.events.catalogue import load_catalogue
from sim.data.measured.__main__ import main as measured_main
from sim.data.measured.usaid import (
    CHANGE_FLOOR_USD,
    CHANGE_SHARE,
    MILLION,
    aid_changes,
    aid_cuts,
    aid_events,
    aid_table,
    fiscal_mid,
    partial_years,
    read_aid_table,
    read_country_summary,
)
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SUMMARY = FIXTURES / "us_foreign_aid_country.csv"
SPLIT = FIXTURES / "foreign-assistance-all.csv"
COMMITTED = ROOT / "data" / "measured" / "us_aid.csv"


def pakistan(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["recipient"] == "PAK"].set_index("fiscal_year")


def test_fy2018_cut_to_pakistan_is_the_figure_data_md_quotes():
    pak = pakistan(aid_table(SUMMARY).table)
    assert round(pak.loc[2017, "obligations"]) == 873 and round(pak.loc[2018, "obligations"]) == 431
    assert round(pak.loc[2017, "disbursements"]) == 931
    assert round(pak.loc[2018, "disbursements"]) == 491


def test_fixture_rebuild_matches_the_committed_table():
    built = aid_table(SUMMARY, SPLIT).table
    built = built[built["recipient"] == "PAK"]
    committed = read_aid_table(COMMITTED)
    merged = built.merge(committed, on=["recipient", "fiscal_year"], suffixes=("", "_c"))
    assert len(merged) == len(built)
    for column in ("obligations", "disbursements"):
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_c"], check_names=False)
    shared = merged[merged["military_share"].notna()]  # the fixture's split holds FY2015 on
    assert len(shared) and (shared["military_share"] == shared["military_share_c"]).all()
    assert (merged["partial"] == merged["partial_c"]).all()


def test_military_share_falls_to_almost_nothing_in_fy2018():
    pak = pakistan(aid_table(SUMMARY, SPLIT).table)
    assert pak.loc[2018, "military_share"] < 0.1 * pak.loc[2017, "military_share"]
    assert pak.loc[2014, "military_share"] != pak.loc[2014, "military_share"]  # outside the split


def test_regions_and_the_transition_quarter_are_left_out_historical_states_kept():
    result = aid_table(SUMMARY)
    assert "Asia Region" in set(result.left_out["name"])
    assert result.transition_quarter_usd > 0
    codes = set(result.table["recipient"])
    assert {"PAK", "SUN", "XKX"} <= codes and "ASN" not in codes


def test_the_last_years_of_a_snapshot_are_partial():
    table = aid_table(SUMMARY).table
    assert sorted(table.loc[table["partial"], "fiscal_year"].unique()) == [2020, 2021]
    totals = pd.Series([100.0, 100.0, 100.0, 100.0, 100.0, 95.0, 50.0, 5.0],
                       index=range(2014, 2022))
    assert partial_years(totals) == [2020, 2021]
    assert partial_years(totals.drop([2020])) == [2021]  # the last year is always partial


def test_a_copy_in_another_constant_dollar_base_is_refused(tmp_path):
    frame = pd.read_csv(SUMMARY, dtype=str, keep_default_na=False)
    in_2019 = frame["fiscal_year"] == "2019"
    frame.loc[in_2019, "constant_amount"] = (frame.loc[in_2019, "current_amount"].astype(int) * 1.02
                                             ).round().astype(int).astype(str)
    frame.loc[frame["fiscal_year"] == "2021", "constant_amount"] = frame["current_amount"]
    rebased = tmp_path / "rebased.csv"
    frame.to_csv(rebased, index=False)
    with pytest.raises(InputError, match="constant FY2021 dollars"):
        read_country_summary(rebased)


@pytest.mark.parametrize("edit, field", [
    (lambda text: text.replace("constant_amount", "amount"), "columns"),
    (lambda text: text.replace(",Obligations,", ",Pledges,", 1), "transaction_type_name"),
    (lambda text: text.replace(",2018,", ",FY18,", 1), "fiscal_year"),
])
def test_a_wrong_summary_is_one_input_error(tmp_path, edit, field):
    bad = tmp_path / "bad.csv"
    bad.write_text(edit(SUMMARY.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(InputError) as err:
        aid_table(bad)
    assert err.value.field == field


def _table(obligations: dict[int, float], partial=()) -> pd.DataFrame:
    return pd.DataFrame({"recipient": "PAK", "fiscal_year": list(obligations),
                         "obligations": [value / MILLION for value in obligations.values()],
                         "disbursements": float("nan"), "military_share": float("nan"),
                         "partial": [year in partial for year in obligations]})


def test_a_cut_is_a_fall_beyond_the_share_from_at_least_the_floor():
    big = 10 * CHANGE_FLOOR_USD
    just_over, just_under = big * (1 - CHANGE_SHARE) * 0.99, big * (1 - CHANGE_SHARE) * 1.01
    assert len(aid_cuts(_table({2010: big, 2011: just_over}))) == 1
    assert len(aid_cuts(_table({2010: big, 2011: just_under}))) == 0
    small = 0.5 * CHANGE_FLOOR_USD
    assert len(aid_cuts(_table({2010: small, 2011: 0.0}))) == 0
    assert len(aid_cuts(_table({2010: big, 2012: 0.0}))) == 0  # no record in between
    assert len(aid_cuts(_table({2010: big, 2011: 0.0}, partial={2011}))) == 0


def test_pakistan_cuts_in_the_fixture_are_fy2018_only():
    cuts = aid_cuts(aid_table(SUMMARY).table)
    pak = cuts[cuts["recipient"] == "PAK"]
    assert list(pak["fiscal_year"]) == [2018]
    assert pak["fall"].iloc[0] == pytest.approx(pak["previous"].iloc[0] - pak["obligations"].iloc[0])


def test_events_are_the_rises_and_cuts_dated_the_fiscal_years_middle(tmp_path):
    out = tmp_path / "us_aid.csv"
    assert events_main(["import", "--format", "usaid", str(SUMMARY), "-o", str(out)]) == 0
    catalogue = load_catalogue(out)
    table = aid_table(SUMMARY).table
    changes = aid_changes(table)
    assert (catalogue["type"] == "aid").sum() == (changes["change"] > 0).sum() > 0
    cut = catalogue[catalogue["type"] == "aid_cut"]
    assert list(cut["target"]) == ["PAK"] and list(cut["date"]) == ["2018-04"]
    pak = pakistan(table)
    expected = (pak.loc[2017, "obligations"] - pak.loc[2018, "obligations"]) * MILLION
    assert float(cut["magnitude"].iloc[0]) == pytest.approx(expected, abs=1.0)
    assert set(catalogue["source"]) == {"USA"} and set(catalogue["unit"]) == {"usd"}
    assert fiscal_mid(2018) == "2018-04"


def test_a_steady_flow_is_no_event_and_a_rise_beyond_the_share_is_aid_of_the_rise():
    big = 10 * CHANGE_FLOOR_USD
    steady = _table({2010: big, 2011: big * (1 + CHANGE_SHARE) * 0.99, 2012: big})
    assert aid_events(steady) == []
    rows = aid_events(_table({2010: big, 2011: big * (1 + CHANGE_SHARE) * 1.01}))
    assert [(row["id"], row["type"]) for row in rows] == [("usaid:FY2011:PAK", "aid")]
    assert rows[0]["magnitude"] == round(big * ((1 + CHANGE_SHARE) * 1.01 - 1))


def test_the_committed_events_are_the_changes_of_the_committed_table():
    committed = load_catalogue(ROOT / "data" / "events" / "us_aid.csv")
    rebuilt = pd.DataFrame(aid_events(read_aid_table(COMMITTED)))
    assert list(committed["id"]) == list(rebuilt["id"])
    assert (committed["magnitude"].to_numpy() == rebuilt["magnitude"].to_numpy()).all()


def test_build_writes_the_table_and_refuses_an_input_as_output(tmp_path, capsys):
    assert measured_main(["build", "--usaid", str(SUMMARY), "--military-share", str(SPLIT),
                          "--out", str(tmp_path)]) == 0
    assert len(read_aid_table(tmp_path / "us_aid.csv")) == len(aid_table(SUMMARY).table)
    own = tmp_path / "us_aid.csv"
    own.write_bytes(SUMMARY.read_bytes())
    assert measured_main(["build", "--usaid", str(own), "--out", str(tmp_path)]) == 2
    assert "is also an input file" in capsys.readouterr().err
    assert measured_main(["build", "--military-share", str(SPLIT), "--out", str(tmp_path)]) == 2
