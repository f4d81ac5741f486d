"""`python -m sim.events check|import` in a subprocess, as a user runs it."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from checks import assert_one_line_error

from sim.data.events.catalogue import load_catalogue

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# the file builders of the import tests, loaded by path so that this works whatever
# pytest's import mode
_spec = importlib.util.spec_from_file_location("_events_files", HERE / "test_events_import.py")
_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_files)
GDELT1, GDELT2, GDELT_EVENTS, KEPT, STATES = (
    _files.GDELT1, _files.GDELT2, _files.GDELT_EVENTS, _files.KEPT, _files.STATES)
gdelt_line, write_gdelt, write_icews = _files.gdelt_line, _files.write_gdelt, _files.write_icews


def run(tmp_path, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sim.events", *map(str, args)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)



CATALOGUE = """id,date,date_precision,source,target,type,magnitude,unit,cameo,source_doc,note
a,2018-01-05,day,USA,PAK,aid_cut,2000000000,usd,162,doc1,freeze
b,2018-01,month,USA,PAK,visit,1,level,042,doc1,
c,2019-03-02,,PAK,USA,hostile_statement,1,level,,doc2,
d,2019,year,RUS,PAK,arms_sale,150000000,usd,072,doc2,"Mi-35, four"
e,2020-06-01,day,CHN,PAK,investment,1,level,061,doc3,
"""


def test_check_prints_counts(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    proc = run(tmp_path, "check", path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    pair = {line.split()[0] + line.split()[2]: line.split()[3] for line in lines if " -> " in line}
    assert pair == {"USAPAK": "2", "PAKUSA": "1", "RUSPAK": "1", "CHNPAK": "1"}
    words = [line.split() for line in lines]
    assert ["aid_cut", "1"] in words and ["visit", "1"] in words
    assert ["2018", "2"] in words and ["2019", "2"] in words and ["2020", "1"] in words
    assert "total: 5 events" in proc.stdout


def test_check_with_actors(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    actors = tmp_path / "actors.yaml"
    actors.write_text("actors:\n" + "".join(f"  - {{code: {c}}}\n" for c in STATES),
                      encoding="utf-8")
    proc = run(tmp_path, "check", path, "--actors", actors)
    assert proc.returncode == 0, proc.stderr
    assert "total: 5 events" in proc.stdout

    narrow = tmp_path / "narrow.yaml"
    narrow.write_text("actors:\n  - {code: USA}\n  - {code: PAK}\n", encoding="utf-8")
    proc = run(tmp_path, "check", path, "--actors", narrow)
    assert_one_line_error(proc, f"{path}:5", "source", "RUS")


@pytest.mark.parametrize("content, words", [
    (CATALOGUE.replace("2019-03-02", "2019-13-02"), ["events.csv:4", "date"]),
    (CATALOGUE.replace("visit", "parade"), ["events.csv:3", "type", "parade"]),
    (CATALOGUE.replace(",unit,", ",units,"), ["events.csv", "columns", "unit"]),
])
def test_check_bad_catalogue(tmp_path, content, words):
    path = tmp_path / "events.csv"
    path.write_text(content, encoding="utf-8")
    assert_one_line_error(run(tmp_path, "check", path), *words)


def test_check_missing_file(tmp_path):
    assert_one_line_error(run(tmp_path, "check", tmp_path / "nope.csv"), "nope.csv", "path")


def test_import_gdelt(tmp_path):
    path = write_gdelt(tmp_path / "20180101.export.CSV", GDELT1)
    out = tmp_path / "gdelt.csv"
    proc = run(tmp_path, "import", "--format", "gdelt", path, "-o", out,
               "--states", ",".join(STATES))
    assert proc.returncode == 0, proc.stderr
    assert f"read {len(GDELT_EVENTS)} events from 1 file (GDELT 1.0: {len(GDELT_EVENTS)})" \
        in proc.stdout
    assert "kept: 6 events -> 6 rows" in proc.stdout
    assert "out of scope (a state not configured, or source = target): 3" in proc.stdout
    assert "not mapped to an event type: 2" in proc.stdout
    words = [line.split() for line in proc.stdout.splitlines()]
    assert ["01", "1"] in words and ["14", "1"] in words
    assert ["aid_cut", "3"] in words
    frame = load_catalogue(out, STATES)
    assert set(frame["id"]) == set(KEPT)
    assert sorted(os.listdir(tmp_path)) == ["20180101.export.CSV", "gdelt.csv"]


def test_import_aggregate_and_mentions(tmp_path):
    path = write_gdelt(tmp_path / "e.CSV", GDELT2)
    out = tmp_path / "agg.csv"
    proc = run(tmp_path, "import", "--format", "gdelt", path, "-o", out, "--aggregate", "month",
               "--weight", "mentions")
    assert proc.returncode == 0, proc.stderr
    assert "GDELT 2.0" in proc.stdout
    assert "kept: 6 events -> 4 rows after monthly aggregation" in proc.stdout
    frame = load_catalogue(out, STATES).set_index("id")
    assert frame.loc["gdelt:2018-01:USA:PAK:aid_cut", "magnitude"] == 9
    assert frame.loc["gdelt:2018-01:USA:PAK:aid_cut", "date_precision"] == "month"


def test_import_states_from_actors_file(tmp_path):
    path = write_icews(tmp_path / "events.tab")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "actors.yaml").write_text(
        "actors:\n  - {code: USA}\n  - {code: PAK}\n", encoding="utf-8")
    out = tmp_path / "icews.csv"
    # the default actors file, seeds/actors.yaml in the working directory
    proc = run(tmp_path, "import", "--format", "icews", path, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "states: USA, PAK (from seeds/actors.yaml)" in proc.stdout
    assert list(load_catalogue(out, ["USA", "PAK"])["id"]) == ["icews:20001"]
    # an explicit one
    wide = tmp_path / "wide.yaml"
    wide.write_text("actors:\n" + "".join(f"  - {{code: {c}}}\n" for c in STATES),
                    encoding="utf-8")
    proc = run(tmp_path, "import", "--format", "icews", path, "-o", out, "--actors", wide)
    assert proc.returncode == 0, proc.stderr
    assert len(load_catalogue(out, STATES)) == 4


def bad_gdelt(tmp_path):
    path = tmp_path / "bad.CSV"
    path.write_text(gdelt_line(GDELT1, GDELT_EVENTS[0]) + "\n" + "\t".join(["1"] * 30) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["columns", "missing", "header", "date", "weight", "states"])
def test_import_bad_input(tmp_path, case):
    out = tmp_path / "out" / "cat.csv"
    args = ["import", "--format", "gdelt", bad_gdelt(tmp_path), "-o", out]
    words = ["bad.CSV:2", "columns"]
    if case == "missing":
        args[3], words = tmp_path / "nope.CSV", ["nope.CSV", "path"]
    elif case == "header":
        icews = write_icews(tmp_path / "i.tab", columns=["Event ID", "Event Date", "Source Name"])
        args[2:4], words = ["icews", icews], ["i.tab:1", "header", "CAMEO Code"]
    elif case == "date":
        args[3] = write_gdelt(tmp_path / "d.CSV", GDELT1,
                              [("9", "2018-1-5", "USA", "PAK", "162", "-5.6", "1")])
        words = ["d.CSV:1", "SQLDATE"]
    elif case == "weight":
        args[2:4], words = ["icews", write_icews(tmp_path / "i.tab")], ["weight", "ICEWS"]
        args += ["--weight", "mentions"]
    elif case == "states":
        args[3], words = write_gdelt(tmp_path / "g.CSV", GDELT1), ["--states"]
        args += ["--states", "usa;pak"]
    assert_one_line_error(run(tmp_path, *args), *words)
    assert not out.exists()
    assert not out.parent.exists() or os.listdir(out.parent) == []


def test_failed_import_keeps_previous_output(tmp_path):
    out = tmp_path / "cat.csv"
    out.write_text("previous\n", encoding="utf-8")
    proc = run(tmp_path, "import", "--format", "gdelt", bad_gdelt(tmp_path), "-o", out)
    assert proc.returncode == 2
    assert out.read_text(encoding="utf-8") == "previous\n"
