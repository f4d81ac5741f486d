"""Bookkeeping of sweep jobs: which finished (and with which overrides) and which failed."""

import json
import shutil
from pathlib import Path

from sim.errors import InputError
from sim.io import atomic_write


def job_overrides(hydra_cfg) -> list[str]:
    return [str(item) for item in hydra_cfg.overrides.task]


def finished_summary(out_dir: Path, overrides: list[str]) -> dict | None:
    """The summary of a job that already finished with these overrides, else None."""
    path = out_dir / "summary.json"
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return summary if summary.get("overrides") == overrides else None


def record_error(out_dir: Path, err: InputError) -> None:
    atomic_write(out_dir / "error.txt", lambda temp: temp.write_text(f"{err}\n"))


def remove_if_only_hydra_files(out_dir: Path) -> None:
    """Remove a run directory that holds nothing but what Hydra put there at start."""
    if out_dir.is_dir() and {p.name for p in out_dir.iterdir()} <= {".hydra", "sim.log"}:
        shutil.rmtree(out_dir)
