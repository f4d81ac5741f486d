"""The ICEWS05-15 benchmark: entity-to-state rule, tenure bounds, dedup, counts, CLI.

The fixture folder holds real lines cut from the benchmark (GSYfate/GHT data/ICEWS0515.zip)
and its sector file (GKNL/ChapTER data/ICEWS0515/ent2sec.txt); the tests add written lines.
"""

import datetime as dt
import gzip
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from sim.data.events.__main__ import main
from sim.data.events.catalogue import load_catalogue
from sim.data.measured.icews import (
    EntityRule,
    Kind,
    Outcome,
    is_governmental,
    load_officials,
    load_rule,
    read_sectors,
)
from sim.data.measured.icews_counts import (
    COUNT_COLUMNS,
    count_rows,
    load_icews_counts,
    quad_class,
)
from sim.data.measured.icews_events import resolve
from sim.data.measured.icews_tkg import Benchmark, load_cameo
from sim.errors import InputError

FIXTURE = Path(__file__).parent / "fixtures" / "icews0515"
DAY = dt.date(2005, 1, 1)


def day(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


@pytest.fixture
def bench(tmp_path):
    """The real lines plus two written ones: the Government of Pakistan visits the US
    cabinet on the day Musharraf does (one story, two levels), and a repeated quadruple."""
    folder = tmp_path / "ICEWS0515"
    shutil.copytree(FIXTURE, folder)
    with (folder / "train.txt").open("a") as handle:
        handle.write("117\t21\t181\t1776\t-1\n")
    with (folder / "test.txt").open("a") as handle:
        handle.write("2\t21\t181\t1776\t-1\n")
    return folder


@pytest.fixture
def rule():
    return load_rule(FIXTURE / "ent2sec.txt")


def test_entity_rule_reads_countries_sectors_and_named_entities(rule):
    assert rule.entity("China").kind is Kind.COUNTRY and rule.state("China", day(0)) == "CHN"
    assert rule.state("Government (Pakistan)", day(0)) == "PAK"
    assert rule.state("Cabinet / Council of Ministers / Advisors (United States)", day(0)) == "USA"
    assert rule.outcome("Media (India)", day(0)) == (Outcome.NOT_GOVERNMENT, None)
    sectors = {"Ministry (Palestinian Territory, Occupied)": "Executive Government",
               "Government (Holy See (Vatican City State))": "Government",
               "Ban Ki-moon": "International Government Organizations, Elite Executive",
               "Rehman Malik": "Pakistan, Elite Executive Government Interior / Home Ministry",
               "Shiv Sena": "India, Opposition Major Party (Out Of Government) Parties",
               "Member (Taliban)": "Dissident Insurgents"}
    other = EntityRule(sectors, {})
    assert other.state("Ministry (Palestinian Territory, Occupied)", day(0)) == "PSE"
    assert other.state("Government (Holy See (Vatican City State))", day(0)) == "VAT"
    assert other.outcome("Ban Ki-moon", day(0)) == (Outcome.NO_COUNTRY, None)
    assert other.entity("Rehman Malik").kind is Kind.NAMED
    assert other.state("Rehman Malik", day(4000)) == "PAK"
    assert other.outcome("Shiv Sena", day(0)) == (Outcome.NOT_GOVERNMENT, None)
    assert other.outcome("Member (Taliban)", day(0)) == (Outcome.NO_COUNTRY, None)
    assert other.outcome("Nobody Listed", day(0)) == (Outcome.NO_COUNTRY, None)


def test_governmental_sectors_exclude_party_and_igo_phrases():
    assert is_governmental("Army Government Military")
    assert not is_governmental("Government Major Party (In Government) Parties")
    assert not is_governmental("International Government Organization Regional")
    assert not is_governmental("NGOs Nongovernmental Organizations / Activists")


def test_officials_are_bounded_by_their_dates_of_office(rule):
    last = dt.date(2008, 8, 18)   # Musharraf resigned the presidency
    assert rule.state("Pervez Musharraf", last) == "PAK"
    assert rule.outcome("Pervez Musharraf", last + dt.timedelta(days=1)) == (
        Outcome.OUT_OF_OFFICE, None)
    assert rule.state("Dmitry Anatolyevich Medvedev", dt.date(2005, 12, 8)) == "RUS"
    # between the Senate and the presidency: no office
    assert rule.state("Barack Obama", dt.date(2008, 12, 1)) is None
    assert rule.state("Barack Obama", dt.date(2015, 12, 31)) == "USA"
    assert rule.state("Benazir Bhutto", dt.date(2007, 10, 18)) is None


def test_officials_file_names_every_row_and_rejects_bad_dates(tmp_path):
    offices = load_officials()
    for state in ("USA", "PAK", "RUS", "CHN", "IND"):
        assert any(rows[0].state == state for rows in offices.values())
    assert all(o.source.startswith("https://") for rows in offices.values() for o in rows)
    bad = tmp_path / "officials.csv"
    bad.write_text("person,state,office,from,to,source\nX,PAK,PM,2008-13-01,,a source\n")
    with pytest.raises(InputError, match="from"):
        load_officials(bad)
    bad.write_text("person,state,office,from,to,source\nX,PAK,PM,2008-01-01,2007-01-01,s\n")
    with pytest.raises(InputError, match="before"):
        load_officials(bad)
    bad.write_text("person,state,office,from,to,source\nX,PAK,PM,2008-01-01,,\n")
    with pytest.raises(InputError, match="source"):
        load_officials(bad)


def test_resolution_counts_coverage_and_dedup(bench, rule):
    resolution = resolve(Benchmark(bench).facts(), rule)
    assert sum(resolution.facts.values()) == 13
    assert sum(resolution.exact_duplicates.values()) == 1
    assert resolution.unresolved[2012, Outcome.OUT_OF_OFFICE] == 1   # China hosts Musharraf
    assert resolution.unresolved[2005, Outcome.OUT_OF_OFFICE] == 1   # Bhutto praises him
    assert resolution.unresolved[2005, Outcome.NOT_GOVERNMENT] == 1  # Indian media
    assert resolution.same_state[2005] == 1                          # Medvedev to himself
    assert sum(resolution.resolved.values()) == 9
    # Musharraf's visit and the Government of Pakistan's: one state-level event
    assert resolution.collapsed() == 1 and len(resolution.events) == 8
    visits = [e for e in resolution.events if (e.source, e.target, e.code) == ("PAK", "USA", "042")]
    assert len(visits) == 1 and resolution.events[visits[0]].facts == 2
    assert resolution.events[visits[0]].collective
    collective = {(e.source, e.target) for e in resolution.series("collective")}
    assert collective == {("PAK", "USA"), ("IND", "PAK")}


def test_count_rows_sum_goldstein_per_root(bench, rule):
    cameo = load_cameo()
    goldstein = {c.code: c.goldstein for c in cameo.values()}
    resolution = resolve(Benchmark(bench).facts(cameo), rule)
    rows = count_rows(resolution, goldstein)
    assert all(list(row) == list(COUNT_COLUMNS) for row in rows)
    usa_rus = [r for r in rows if (r["source"], r["target"], r["series"]) == ("USA", "RUS", "all")]
    assert [(r["month"], r["root"], r["quad"], r["count"]) for r in usa_rus] == [
        ("2008-11", "04", 1, 1)]
    assert usa_rus[0]["goldstein_sum"] == goldstein["040"]
    assert sum(r["count"] for r in rows if r["series"] == "all") == len(resolution.events)
    ind_pak = [r for r in rows if (r["source"], r["target"]) == ("IND", "PAK")]
    assert {r["series"] for r in ind_pak} == {"all", "collective"}
    assert all(r["quad"] == 3 and r["goldstein_sum"] == goldstein["112"] for r in ind_pak)


@pytest.mark.parametrize(("root", "quad"), [("01", 1), ("05", 1), ("06", 2), ("09", 2),
                                            ("10", 3), ("14", 3), ("15", 4), ("20", 4)])
def test_quad_class(root, quad):
    assert quad_class(root) == quad


def _zip(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"ICEWS0515/{path.name}")
            archive.writestr(f"__MACOSX/ICEWS0515/._{path.name}", b"\x00\x05\x16\x07")
    return out


def test_cli_import_rebuilds_the_same_catalogue_from_zip_and_folder(bench, tmp_path, capsys):
    archive = _zip(bench, tmp_path / "ICEWS0515.zip")
    outputs = []
    for source in (archive, bench):
        out = tmp_path / f"{source.name}.csv"
        assert main(["import", "--format", "icews-tkg", str(source), "--sectors",
                     str(FIXTURE / "ent2sec.txt"), "--states", "USA,PAK,RUS,CHN,IND",
                     "--aggregate", "month", "-o", str(out)]) == 0
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    printed = capsys.readouterr().out
    assert "1 facts merged" in printed
    frame = load_catalogue(tmp_path / f"{bench.name}.csv", ["USA", "PAK", "RUS", "CHN", "IND"])
    visit = frame[(frame.source == "PAK") & (frame.target == "USA")]
    assert list(visit["type"]) == ["visit"] and list(visit["magnitude"]) == [1.0]
    assert set(frame["unit"]) == {"count"}
    # USA->CHN "Make statement" (010) has no project type: dropped as unmapped
    assert not ((frame.source == "USA") & (frame.target == "CHN")).any()


def test_cli_counts_writes_gzip_that_the_loader_reads(bench, tmp_path, capsys):
    out = tmp_path / "measured" / "icews_counts.csv.gz"
    assert main(["icews-counts", str(bench), "--sectors", str(FIXTURE / "ent2sec.txt"),
                 "--states", "USA,PAK,RUS,CHN,IND", "-o", str(out)]) == 0
    assert gzip.decompress(out.read_bytes()).startswith(b"source,target,month,series")
    frame = load_icews_counts(out)
    assert frame[frame.series == "all"]["count"].sum() == 8
    pairs = (out.parent / "icews_pairs.csv").read_text().splitlines()
    assert len(pairs) == 1 + 20 * 4      # 20 directed pairs, years 2005, 2006, 2008, 2012
    assert "PAK,USA,2005,2,1,1" in pairs
    coverage = (out.parent / "icews_coverage.csv").read_text().splitlines()
    assert coverage[1] == "2005,8,1,6,0.75,5,0.625,0,1,1,4,1"


def _fails(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_cli_refuses_bad_input_in_one_line(bench, tmp_path, capsys):
    sectors = str(FIXTURE / "ent2sec.txt")
    base = ["import", "--format", "icews-tkg", str(bench), "--states", "USA,PAK"]
    assert "sector file" in _fails(base + ["-o", str(tmp_path / "o.csv")], capsys)
    copy = tmp_path / "ent2sec.txt"
    shutil.copy(sectors, copy)
    assert "also an input" in _fails(base + ["--sectors", str(copy), "-o", str(copy)], capsys)
    assert "also an input" in _fails(["icews-counts", str(bench), "--sectors", sectors,
                                      "-o", sectors], capsys)
    assert "only the icews-tkg" in _fails(["import", "--format", "icews", str(bench / "test.txt"),
                                          "--sectors", sectors, "-o", str(tmp_path / "o.csv")],
                                         capsys)
    (bench / "valid.txt").write_text("564\t0\t58\t2473\t-1\n")
    err = _fails(base + ["--sectors", sectors, "-o", str(tmp_path / "o.csv")], capsys)
    assert "valid.txt:1: time:" in err
    (bench / "valid.txt").write_text("564\t0\t9999\t2472\t-1\n")
    assert "object" in _fails(base + ["--sectors", sectors, "-o", str(tmp_path / "o.csv")], capsys)
    (bench / "valid.txt").write_text("x" * 5000 + "\n")
    assert "longer than" in _fails(base + ["--sectors", sectors, "-o", str(tmp_path / "o.csv")],
                                   capsys)
    assert not (tmp_path / "o.csv").exists()


def test_sector_file_and_benchmark_must_be_what_they_say(tmp_path):
    wrong = tmp_path / "ent2sec.txt"
    wrong.write_text("no tab on this line\n")
    with pytest.raises(InputError, match="ent2sec"):
        read_sectors(wrong)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="entity2id"):
        Benchmark(tmp_path / "empty")
    fake = tmp_path / "fake.zip"
    fake.write_text("not a zip")
    with pytest.raises(InputError, match="not a zip"):
        Benchmark(fake)


def test_a_benchmark_or_sector_file_that_expands_without_bound_stops_in_one_line(
        bench, tmp_path, monkeypatch):
    """A zipped split of billions of blank lines, and a sector file or benchmark that is a
    FIFO, stop in one line (the bounds of sim.data.events.cameo.bounded_lines)."""
    from sim.data.events import cameo

    monkeypatch.setattr(cameo, "MAX_EVENT_FILE_LINES", 1000)
    (bench / "valid.txt").write_text("\n" * 5000)
    with pytest.raises(InputError) as info:
        list(Benchmark(_zip(bench, tmp_path / "bomb.zip")).facts())
    assert info.value.where.endswith("valid.txt:1001") and info.value.field == "lines"
    sectors = tmp_path / "ent2sec.txt"
    sectors.write_text("a\tb\n" + "\n" * 5000)
    with pytest.raises(InputError, match="lines"):
        read_sectors(sectors)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for call in (lambda: read_sectors(fifo), lambda: Benchmark(fifo)):
        with pytest.raises(InputError, match="is a FIFO"):
            call()
