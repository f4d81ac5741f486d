"""Gathering and importing what others wrote: sim.studies.collect and sim.report.plot on a sweep started
from the command line alone (`params: null` in multirun.yaml) and on damaged summaries;
sim.events import on damaged archives. Each ends as promised: a table, or one line."""

import gzip
import shutil
import zipfile

import pandas as pd
import pytest
import yaml
from support import run_sim
from test_events_import import GDELT1, write_gdelt

from sim.data.events.__main__ import main as events_main
from sim.report.plot import main as plot_main
from sim.studies.collect import main as collect_main

SWEEP = ["-m", "+scenario=aid_freeze", "scenario.amount_usd=1e9,4e9", "replicates=10",
         "start=2017-01", "launcher=basic"]


@pytest.fixture(scope="module")
def command_line_sweep(compiled, tmp_path_factory):
    """A sweep of two jobs given on the command line only, with no experiment file."""
    tmp = tmp_path_factory.mktemp("sweep")
    proc = run_sim([*SWEEP, f"hydra.sweep.dir={tmp / 'sweep'}"], tmp, timeout=600)
    assert proc.returncode == 0, proc.stderr
    hydra = yaml.safe_load((tmp / "sweep" / "multirun.yaml").read_text())["hydra"]
    assert hydra["sweeper"]["params"] is None
    return tmp / "sweep"


def test_collect_and_plot_a_command_line_sweep(command_line_sweep, tmp_path, capsys):
    sweep = tmp_path / "sweep"
    shutil.copytree(command_line_sweep, sweep)
    assert collect_main([str(sweep)]) == 0
    table = pd.read_parquet(sweep / "sweep.parquet")
    assert sorted(table["scenario.amount_usd"].unique()) == [1e9, 4e9]
    assert set(table["status"]) == {"done"}
    assert plot_main([str(sweep)]) == 0
    assert list((sweep / "figures").glob("*.png"))


DAMAGED = {
    "not_json": b'{"effects": [',
    "not_utf8": b'{"note": "caf\xe9"}',
    "a_list": b"[1, 2]",
    "effects_of_numbers": b'{"effects": [1, 2], "overrides": []}',
    "overrides_a_text": b'{"effects": [], "overrides": "seed=1"}',
    "timings_a_list": b'{"effects": [], "overrides": [], "timings": []}',
    "mean_a_text": (b'{"overrides": [], "effects": [{"source": "USA", "target": "PAK", '
                    b'"when": "end", "date": "2019-12", "mean": "high"}]}'),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_collect_lists_a_damaged_summary_as_failed(command_line_sweep, tmp_path, capsys, case):
    sweep = tmp_path / "sweep"
    shutil.copytree(command_line_sweep, sweep)
    (sweep / "1" / "summary.json").write_bytes(DAMAGED[case])
    assert collect_main([str(sweep)]) == 0
    jobs = pd.read_parquet(sweep / "jobs.parquet").set_index("job")
    assert list(jobs["status"]) == ["done", "failed"]
    assert "summary.json" in jobs.loc[1, "error"] and "run the job again" in jobs.loc[1, "error"]
    assert "job 1" in capsys.readouterr().out


def damaged_tail(path):
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def damaged_middle(path):
    data = bytearray(path.read_bytes())
    data[60:90] = bytes(30)  # inside the first member's compressed data
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name,damage", [
    ("truncated.CSV.gz", damaged_tail),
    ("corrupt.CSV.gz", damaged_middle),
    ("fake.CSV.gz", lambda p: p.write_bytes(b"not a gzip file\n")),
    ("corrupt.zip", damaged_middle),
    ("truncated.zip", damaged_tail),
])
def test_import_of_a_damaged_archive_names_it(tmp_path, capsys, name, damage):
    plain = write_gdelt(tmp_path / "events.CSV", GDELT1)
    data = plain.read_bytes() * 50
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("events.CSV", data)
    command = ["import", "--format", "gdelt", str(path), "--states", "USA,PAK,RUS,CHN,IND", "-o"]
    assert events_main([*command, str(tmp_path / "whole.csv")]) == 0
    damage(path)
    assert events_main([*command, str(tmp_path / "damaged.csv")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0], lines
    assert not (tmp_path / "damaged.csv").exists()
