"""Faults leave nothing half-done: writes are whole or absent and honour the umask, a run's
completion is marked last, a resumed sweep redoes what was cut short (figures included)
and clears what killed writers left, two runs never share a directory, and a directory
that cannot take the output is named in one line."""

import errno
import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml
from support import run_sim

from sim.data.files import atomic_write, remove_stale_temps
from sim.errors import InputError, OutputError
from sim.report.plot import run_figures
from sim.run.jobs import check_writable, claim_run_dir, finished_summary
from sim.run.run import run
from sim.run.tables import write_parquet
from sim.studies.collect import job_state

SWEEP = ["-m", "+scenario=aid_freeze", "seed=1,2", "replicates=10", "start=2017-01",
         "launcher=basic"]


def hidden(directory: Path) -> list[Path]:
    return [p for p in directory.rglob(".*") if p.is_file()]


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "table.json"
    path.write_text("old\n")

    def half_then_fail(temp: Path):
        temp.write_text("half")
        raise KeyboardInterrupt  # as a Ctrl-C or a SIGTERM (sim.__main__.stop) would

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, half_then_fail)
    assert path.read_text() == "old\n" and hidden(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_written_files_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
        atomic_write(tmp_path / "f.png", lambda temp: temp.write_bytes(b"png"))
    finally:
        os.umask(old)
    for name in ("t.parquet", "f.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_stale_temporaries_are_removed(tmp_path):
    (tmp_path / ".summary.json.1a2b.tmp").write_text("cut short")
    (tmp_path / ".sweep.parquet.3c4d.tmp").write_text("cut short")
    (tmp_path / "summary.json").write_text("{}")
    assert remove_stale_temps(tmp_path, of=["jobs.parquet", "sweep.parquet"]) == [
        tmp_path / ".sweep.parquet.3c4d.tmp"]
    assert remove_stale_temps(tmp_path) == [tmp_path / ".summary.json.1a2b.tmp"]
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_full_disk_is_named_and_leaves_no_temporary(compiled, compose_config, tmp_path,
                                                    monkeypatch):
    def no_space(*_, **__):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)  # the first table a run writes
    out = tmp_path / "run"
    with pytest.raises(OutputError) as info:
        run(compose_config(["replicates=10", "start=2017-01"]), out, progress=False)
    assert info.value.where == str(out) and "No space left on device" in str(info.value)
    assert hidden(tmp_path) == [] and not (out / "summary.json").exists()


def test_unwritable_directory_is_named(tmp_path):
    (tmp_path / "afile").write_text("")
    for check in (claim_run_dir, check_writable):
        with pytest.raises(OutputError) as info:
            check(tmp_path / "afile" / "run")
        assert info.value.where == str(tmp_path / "afile" / "run")
        assert "not a file" in info.value.fix  # a file in the way is not a full disk


def test_a_run_directory_is_claimed_once(tmp_path):
    claim_run_dir(tmp_path / "run")
    with pytest.raises(InputError) as info:  # a second run into it, at once or later
        claim_run_dir(tmp_path / "run")
    assert info.value.field == "hydra.run.dir"
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    with pytest.raises(InputError):
        claim_run_dir(tmp_path / "used")
    claim_run_dir(tmp_path / "empty_given")  # an empty directory is free
    assert (tmp_path / "empty_given" / ".hydra").is_dir()


def test_second_run_into_one_directory_is_refused(compiled, tmp_path):
    args = ["replicates=10", "start=2017-01", f"hydra.run.dir={tmp_path / 'run'}"]
    assert run_sim(args, tmp_path).returncode == 0
    before = {p: p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()}
    second = run_sim(["+scenario=aid_freeze", *args], tmp_path)
    assert second.returncode == 2 and "hydra.run.dir" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()} == before


def test_completion_is_marked_after_the_figures(compiled, compose_config, tmp_path):
    """A run stopped while drawing its figures has a summary.json (the figures read it) but
    not the overrides that mark it done: a resumed sweep redoes it, collect lists it missing."""
    def killed(*_, **__):
        raise KeyboardInterrupt

    cfg = compose_config(["replicates=10", "start=2017-01", "plot=true"])
    with pytest.raises(KeyboardInterrupt):
        run(cfg, tmp_path, overrides=["plot=true"], progress=False, figures=killed)
    assert "overrides" not in json.loads((tmp_path / "summary.json").read_text())
    assert finished_summary(tmp_path, ["plot=true"]) is None
    assert job_state(tmp_path, ["plot=true"])[0] == "missing"
    run(cfg, tmp_path, overrides=["plot=true"], progress=False, figures=run_figures)
    assert finished_summary(tmp_path, ["plot=true"]) is not None
    assert list((tmp_path / "figures").glob("*.png"))


@pytest.mark.parametrize("plot", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_resumed_sweep_redoes_the_unfinished_job(compiled, tmp_path, plot):
    """Job 1 as a kill while it drew its figures leaves it (figures missing, summary.json
    without the overrides, temporaries of the writes under way) is redone, figures
    included, and its temporaries removed; job 0 is skipped."""
    command = [*SWEEP, f"plot={str(plot).lower()}", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    first = run_sim(command, tmp_path, timeout=600)
    assert first.returncode == 0, first.stderr
    done = (tmp_path / "sweep" / "0" / "summary.json").read_bytes()
    cut = tmp_path / "sweep" / "1"
    figures = sorted(p.name for p in (cut / "figures").iterdir()) if plot else []
    for name in figures:
        (cut / "figures" / name).unlink()
    (cut / "figures").mkdir(exist_ok=True)
    (cut / "figures" / ".heatmaps.x1y2.png").write_bytes(b"half")
    (cut / ".summary.json.z9z9.tmp").write_text("half")
    summary = json.loads((cut / "summary.json").read_text())
    del summary["overrides"]
    (cut / "summary.json").write_text(json.dumps(summary))
    again = run_sim(command, tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "job 0: finished before, skipped" in again.stdout
    assert (tmp_path / "sweep" / "0" / "summary.json").read_bytes() == done
    assert sorted(p.name for p in (cut / "figures").iterdir()) == figures
    assert hidden(cut) == []
    assert json.loads((cut / "summary.json").read_text())["overrides"] == \
        yaml.safe_load((cut / ".hydra" / "overrides.yaml").read_text())


def test_memory_error_ends_in_one_line(compose_config, monkeypatch, tmp_path):
    import sim.__main__ as entry
    import sim.run.run

    def too_big(*_, **__):
        raise MemoryError

    monkeypatch.setattr(sim.run.run, "run", too_big)  # the entry imports it when a job runs
    with pytest.raises(InputError) as info:
        entry.run_job(compose_config(["replicates=10"]), tmp_path, [], progress=False)
    assert info.value.field == "replicates" and "memory" in info.value.fix
