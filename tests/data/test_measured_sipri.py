"""SIPRI arms transfers: the importer, the committed table and its events, rebuilt from rows
cut from the real source files (tests/data/fixtures)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.data.events.__main__ import main as events_main
from sim.data.events.catalogue import load_catalogue
from sim.data.measured.__main__ import main as measured_main
from sim.data.measured.names import identify
from sim.data.measured.sipri import (
    BELOW_HALF_TIV,
    arms_events,
    read_sipri,
    read_tiv_table,
    tiv_table,
)
from sim.errors import InputError
from sim.run.inputs import event_factor
from sim.run.parameters import check_params

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
PROCESSED = FIXTURES / "sipri-exports-processed.csv"
EXPORTERS = [FIXTURES / "TIV-Export-USA-1950-2021.csv", FIXTURES / "TIV-Export-FRG-1950-2021.csv"]
COMMITTED = ROOT / "data" / "measured" / "sipri_tiv.csv"


def tiv(table: pd.DataFrame, supplier: str, recipient: str, year: int) -> int:
    row = table[(table["supplier"] == supplier) & (table["recipient"] == recipient)
                & (table["year"] == year)]
    assert len(row) == 1, (supplier, recipient, year)
    return int(row["tiv"].iloc[0])


def test_usa_to_pakistan_2010_is_the_figure_data_md_quotes():
    for files in ([PROCESSED], EXPORTERS, [*EXPORTERS, PROCESSED]):
        assert tiv(tiv_table(files).table, "USA", "PAK", 2010) == 1033


def test_fixture_rebuild_matches_the_committed_table():
    built = tiv_table([*EXPORTERS, PROCESSED]).table
    committed = read_tiv_table(COMMITTED)
    key = ["supplier", "recipient", "year"]
    merged = built.merge(committed, on=key, how="left", suffixes=("", "_committed"))
    assert merged["tiv_committed"].notna().all()
    assert (merged["tiv"] == merged["tiv_committed"]).all()


def test_exporter_tables_and_processed_file_agree_where_both_hold_a_row():
    merged, read = read_sipri([*EXPORTERS, PROCESSED])
    processed, _ = read_sipri([PROCESSED])
    exporters, _ = read_sipri(EXPORTERS)
    key = ["supplier", "recipient", "year"]
    shared = processed.merge(exporters, on=key, suffixes=("_p", "_e"))
    assert len(shared) > 0 and (shared["tiv_p"] == shared["tiv_e"]).all()
    assert len(merged) == len(exporters.merge(processed, on=key, how="outer"))
    assert read["sipri-exports-processed.csv"] == len(processed)


def test_west_germany_before_1991_comes_from_the_exporter_table_only():
    only_processed = tiv_table([PROCESSED]).table
    both = tiv_table([*EXPORTERS, PROCESSED]).table
    before = both[(both["supplier"] == "DEU") & (both["year"] < 1991)]
    assert len(before) > 0
    assert not ((only_processed["supplier"] == "DEU") & (only_processed["year"] < 1991)).any()


def test_a_second_copy_that_disagrees_is_one_input_error(tmp_path):
    text = PROCESSED.read_text(encoding="utf-8").replace("Pakistan,2010,1033", "Pakistan,2010,1034")
    assert "1034" in text
    changed = tmp_path / "changed.csv"
    changed.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="United States -> Pakistan 2010 differs"):
        read_sipri([*EXPORTERS, changed])


@pytest.mark.parametrize("edit, field", [
    (lambda text: text.replace("value,", "amount,", 1), "columns"),
    (lambda text: text.replace("Pakistan,2010,1033", "Pakistan,2010,lots"), "value"),
    (lambda text: text.replace("Pakistan,2010,1033", "Pakistan,20x0,1033"), "year"),
])
def test_a_wrong_processed_file_is_one_input_error(tmp_path, edit, field):
    bad = tmp_path / "bad.csv"
    bad.write_text(edit(PROCESSED.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(InputError) as err:
        tiv_table([bad])
    assert err.value.field == field and str(bad) in err.value.where


def test_a_bad_cell_in_an_exporter_table_names_its_line_and_year(tmp_path):
    lines = EXPORTERS[0].read_text(encoding="utf-8").splitlines()
    row = next(k for k, line in enumerate(lines) if line.startswith("Pakistan,"))
    cells = lines[row].split(",")
    cells[61] = "x"  # the 2010 column
    lines[row] = ",".join(cells)
    bad = tmp_path / "TIV-Export-USA-1950-2021.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as err:
        tiv_table([bad])
    assert err.value.where == f"{bad}:{row + 1}" and err.value.field == "2010"


def test_parties_that_are_not_states_are_left_out_and_counted():
    result = tiv_table([*EXPORTERS, PROCESSED])
    codes = set(result.table["supplier"]) | set(result.table["recipient"])
    assert codes <= {"USA", "PAK", "AFG", "CHN", "SUN", "IND", "DEU", "GRC"}
    kinds = dict(zip(result.left_out["name"], result.left_out["kind"], strict=True))
    assert kinds["NATO**"] == "organisation"
    assert kinds["Anti-Castro rebels (Cuba)*"] == "non_state"


def test_historical_states_keep_a_code_of_their_own():
    table = tiv_table([PROCESSED]).table
    assert {"SUN"} == set(table.loc[table["recipient"] == "IND", "supplier"]) - {"USA", "CHN"}
    assert identify("Soviet Union").code != identify("Russia").code
    assert identify("UAE").code == "ARE"  # not taken for an ISO3 code
    assert identify("Ruritania").kind == "unmatched"


def test_events_are_one_arms_sale_per_dyad_year_that_the_catalogue_loads(tmp_path):
    table = tiv_table([*EXPORTERS, PROCESSED]).table
    out = tmp_path / "sipri.csv"
    assert events_main(["import", "--format", "sipri", *map(str, EXPORTERS), str(PROCESSED),
                        "-o", str(out)]) == 0
    catalogue = load_catalogue(out)
    assert len(catalogue) == len(table)
    assert set(catalogue["type"]) == {"arms_sale"} and set(catalogue["unit"]) == {"tiv"}
    assert set(catalogue["date_precision"]) == {"year"}
    assert (catalogue["month"] % 12 == 6).all()  # a year is placed in July
    row = catalogue[catalogue["id"] == "sipri:2010:USA:PAK"]
    assert float(row["magnitude"].iloc[0]) == 1033


def test_a_delivery_rounded_to_zero_is_an_event_of_the_below_half_class():
    table = pd.DataFrame({"supplier": ["USA", "USA"], "recipient": ["PAK", "IND"],
                          "year": [2010, 2011], "tiv": [0, 5]})
    rows = {row["target"]: row for row in arms_events(table)}
    assert rows["PAK"]["magnitude"] == BELOW_HALF_TIV and rows["IND"]["magnitude"] == 5


def test_import_refuses_to_write_over_its_input(tmp_path, capsys):
    copy = tmp_path / "sipri.csv"
    copy.write_bytes(PROCESSED.read_bytes())
    assert events_main(["import", "--format", "sipri", str(copy), "-o", str(copy)]) == 2
    assert "is also an input file" in capsys.readouterr().err
    assert copy.read_bytes() == PROCESSED.read_bytes()


def test_build_writes_the_table_and_refuses_an_input_as_output(tmp_path, capsys):
    assert measured_main(["build", "--sipri", *map(str, EXPORTERS), "--out", str(tmp_path)]) == 0
    built = read_tiv_table(tmp_path / "sipri_tiv.csv")
    assert tiv(built, "USA", "PAK", 2010) == 1033
    source = tmp_path / "sipri_tiv.csv"
    source.write_bytes(PROCESSED.read_bytes())
    assert measured_main(["build", "--sipri", str(source), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_tiv_factor_is_concave_and_one_at_zero():
    tiv_values = np.array([0.0, 16.0, 160.0, 1600.0])
    factor = event_factor(tiv_values, np.array(["tiv"] * 4), 1.0e8, 16.0)
    assert factor[0] == 1.0 and factor[1] == pytest.approx(1.0 + np.log10(2.0))
    steps = np.diff(factor)
    assert (steps > 0).all() and steps[2] < 10 * steps[1]
    dollars = event_factor(np.array([1.0e8]), np.array(["usd"]), 1.0e8, 16.0)
    assert dollars[0] == pytest.approx(1.0 + np.log10(2.0))
    level = event_factor(np.array([2.0]), np.array(["level"]), 1.0e8, 16.0)
    assert level[0] == 2.0


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan")])
def test_tiv_ref_must_be_positive(compose_config, value):
    params = dict(compose_config([]).params)
    params["weights"] = dict(params["weights"])
    params["tiv_ref"] = value
    with pytest.raises(InputError, match="params.tiv_ref"):
        check_params(params)
