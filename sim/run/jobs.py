"""Bookkeeping of runs and sweep jobs: whose directory a run writes into, which jobs
finished (and with which overrides) and which failed."""

import json
import shutil
import tempfile
from pathlib import Path

from sim.data.files import atomic_write
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
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
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


def check_writable(path: Path) -> None:
    """OutputError naming `path` unless it is (or can be made) a directory that takes files."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise OutputError(path, err) from None
