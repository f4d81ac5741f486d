"""Bookkeeping of sweep jobs: which finished (and with which overrides) and which failed."""

import json
import shutil
from pathlib import Path

from sim.errors import InputError
from sim.io import atomic_write


def job_overrides(hydra_cfg) -> list[str]:
    return [str(item) for item in hydra_cfg.overrides.task]


def same_job(done: list[str], overrides: list[str]) -> bool:
    """Whether two jobs' overrides give the same result: equal but for the launcher."""
    def kept(items):
        return [item for item in items if item.lstrip("+~").split("=", 1)[0] != "launcher"]
    return kept(done) == kept(overrides)


def finished_summary(out_dir: Path, overrides: list[str]) -> dict | None:
    """The summary of a job that already finished with these overrides (whatever the
    launcher, which does not change results), else None."""
    path = out_dir / "summary.json"
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    done = summary.get("overrides")
    return summary if isinstance(done, list) and same_job(done, overrides) else None


def record_error(out_dir: Path, err: Exception) -> None:
    text = str(err) if isinstance(err, InputError) else f"{type(err).__name__}: {err}"
    atomic_write(out_dir / "error.txt", lambda temp: temp.write_text(f"{text}\n"))


def remove_if_only_hydra_files(out_dir: Path, job_name: str = "sim") -> None:
    """Remove a run directory that holds nothing but what Hydra put there at start."""
    if out_dir.is_dir() and {p.name for p in out_dir.iterdir()} <= {".hydra", f"{job_name}.log"}:
        shutil.rmtree(out_dir)
