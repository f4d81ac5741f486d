"""Bookkeeping of runs and sweep jobs: whose directory a run writes into, which jobs
finished (and with which overrides) and which failed."""

import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from sim.data.files import MAX_SUMMARY_BYTES, atomic_write, read_text
from sim.errors import InputError, OutputError


def job_overrides(hydra_cfg) -> list[str]:
    return [str(item) for item in hydra_cfg.overrides.task]


def same_job(done: list[str], overrides: list[str]) -> bool:
    """Whether two jobs' overrides give the same result: equal but for the launcher."""
    def kept(items):
        return [item for item in items if item.lstrip("+~").split("=", 1)[0] != "launcher"]
    return kept(done) == kept(overrides)


def finished_summary(out_dir: Path, overrides: list[str]) -> dict | None:
    """The summary of a job that already finished with these overrides (whatever the
    launcher, which does not change results), else None. A run writes its summary.json
    with the overrides last of all, so it marks the job complete."""
    path = out_dir / "summary.json"
    if not path.is_file():
        return None
    try:
        summary = json.loads(read_text(path, "the job", MAX_SUMMARY_BYTES))
    except (InputError, ValueError):
        return None
    done = summary.get("overrides") if isinstance(summary, dict) else None
    return summary if isinstance(done, list) and same_job(done, overrides) else None


def record_error(out_dir: Path, err: Exception) -> None:
    """error.txt for sim.studies.collect, if the directory can still be written."""
    text = str(err) if isinstance(err, InputError) else f"{type(err).__name__}: {err}"
    try:
        atomic_write(out_dir / "error.txt", lambda temp: temp.write_text(f"{text}\n"))
    except OutputError:
        pass  # the error itself is printed; a full disk cannot take it


def remove_if_only_hydra_files(out_dir: Path, job_name: str = "sim") -> None:
    """Remove a run directory that holds nothing but what Hydra put there at start."""
    if out_dir.is_dir() and {p.name for p in out_dir.iterdir()} <= {".hydra", f"{job_name}.log"}:
        shutil.rmtree(out_dir)


def claim_run_dir(path: Path, hydra_subdir: str = ".hydra") -> None:
    """Make `path` the directory of this run alone, before Hydra writes into it: refused
    if it holds anything (another run's files) or cannot be written. The claim is Hydra's
    own subdirectory, made exclusively, so of two runs started at once only one has it."""
    taken = InputError(path, "hydra.run.dir", "already holds files (another run's); give each "
                       "run a directory of its own, or remove this one")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise taken
    check_writable(path)
    try:
        (path / hydra_subdir).mkdir()
    except FileExistsError:
        raise taken from None
    except OSError as err:
        raise OutputError(path, err) from None


def claim_output_dir(path: Path, key: str) -> None:
    """Make `path` an empty directory for one output (as claim_run_dir, without Hydra's
    subdirectory); refused if it holds anything. `key` names the setting that gave it."""
    if path.exists() and not path.is_dir():
        raise InputError(path, key, "is a file, not a directory; give a directory for the run")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(path, key, "already holds files (another run's); give each run a "
                         "directory of its own, or remove this one")
    check_writable(path)


def check_writable(path: Path) -> None:
    """OutputError naming `path` unless it is (or can be made) a directory that takes files."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise OutputError(path, err) from None


# set in a sweep's process, inherited by every process it starts (launcher workers)
SWEEP_PID_VARIABLE = "SIM_SWEEP_PID"
WORKER_GRACE_S = 5.0  # from SIGTERM to SIGKILL for a worker that outlives its sweep


def end_workers_with_this_process() -> None:
    """Mark this process's environment, and start a watcher that ends every process which
    inherited the mark once this process is gone, however it ended (kill -9 included): a
    sweep's workers (joblib, submitit's local executor) then never go on with its jobs.
    Jobs on other machines (SLURM) are not this machine's processes and are left alone."""
    os.environ[SWEEP_PID_VARIABLE] = str(os.getpid())
    if not Path("/proc/self/environ").exists():
        return  # no process table to read (not Linux): the launcher's own shutdown only
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the sweep itself
            os.close(write_end)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.read(read_end, 1)  # returns once the sweep's process has closed its end
            _end_marked(os.environ[SWEEP_PID_VARIABLE])
        finally:
            os._exit(0)
    os.close(read_end)  # the write end stays open as long as this process lives


def _end_marked(sweep_pid: str) -> None:
    """SIGTERM to every process marked with the sweep's pid, then SIGKILL to those still there
    after WORKER_GRACE_S: submitit's job processes pass SIGTERM by (a cluster sends it
    before a preemption, to requeue), so they went on with their jobs."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        marked = _marked(sweep_pid)
        for pid in marked:
            try:
                os.kill(pid, sent)
            except OSError:
                continue  # gone already
        if not marked or sent == signal.SIGKILL:
            return
        deadline = time.monotonic() + WORKER_GRACE_S
        while _marked(sweep_pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def _marked(sweep_pid: str) -> list[int]:
    """The live processes (not this one) whose environment holds the sweep's mark."""
    mark = f"{SWEEP_PID_VARIABLE}={sweep_pid}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark in (entry / "environ").read_bytes().split(b"\0") and \
                    (entry / "stat").read_text().split(") ", 1)[1][0] != "Z":
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone already, or not ours
    return found
