"""Helpers shared by the tests: hand-made kernel arrays, and the command line in a
subprocess."""

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.data.eventtypes import TYPE_NAMES
from sim.model.ensemble import RATE_COLUMNS, Schedule

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "configs"
N_TYPES = len(TYPE_NAMES)

# (step, source, target, type index, factor) of one event of a hand-made schedule
Event = tuple[int, int, int, int, float]


def make_schedule(n_steps: int, *variants: Sequence[Event]) -> Schedule:
    """A Schedule of one variant per argument (none: one variant without events).

    Events are placed in the order given within a step, as sim.run.inputs.build_schedule does
    after its stable sort by month."""
    variants = variants or ((),)
    ptr = np.zeros((len(variants), n_steps + 1), dtype=np.int64)
    rows: list[Event] = []
    for v, events in enumerate(variants):
        ordered = sorted(events, key=lambda e: e[0])
        steps = np.array([e[0] for e in ordered], dtype=np.int64)
        assert ((steps >= 0) & (steps < n_steps)).all()
        counts = np.bincount(steps, minlength=n_steps)
        ptr[v] = len(rows) + np.concatenate([[0], np.cumsum(counts)])
        rows.extend(ordered)

    def column(k, dtype):
        return np.array([e[k] for e in rows], dtype=dtype)

    return Schedule(ptr, column(2, np.int64), column(1, np.int64), column(3, np.int64),
                    column(4, np.float64))


def rate_rows(n_reps: int, **values: float) -> np.ndarray:
    """float64[n_reps, len(RATE_COLUMNS)]: every replicate with the same rates and action rates
    (`action_rates.visit=...`; default 0)."""
    unknown = set(values) - set(RATE_COLUMNS)
    assert not unknown, unknown
    row = np.array([float(values.get(name, 0.0)) for name in RATE_COLUMNS])
    return np.tile(row, (n_reps, 1))


def weight_rows(n_reps: int, weights=None) -> np.ndarray:
    """float64[n_reps, K]: one weight per event type for every replicate (default 0)."""
    row = np.zeros(N_TYPES) if weights is None else np.asarray(weights, dtype=np.float64)
    assert row.shape == (N_TYPES,)
    return np.tile(row, (n_reps, 1))


def sim_command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "sim", *args]


def sim_env(threads: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("NUMBA_NUM_THREADS", None)
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    return env


def run_sim(args: Sequence[str], cwd: Path, threads: int | None = None,
            timeout: float = 240) -> subprocess.CompletedProcess:
    """`python -m sim ARGS` in `cwd`, output captured as text."""
    return subprocess.run(sim_command(args), cwd=cwd, env=sim_env(threads), capture_output=True,
                          text=True, timeout=timeout)


def start_sim(args: Sequence[str], cwd: Path, threads: int | None = None) -> subprocess.Popen:
    """`python -m sim ARGS` started in the background (communicate() to collect it)."""
    return subprocess.Popen(sim_command(args), cwd=cwd, env=sim_env(threads),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def start_python(script: str, cwd: Path, threads: int | None = None) -> subprocess.Popen:
    """`python -c SCRIPT` started in the background."""
    return subprocess.Popen([sys.executable, "-c", script], cwd=cwd, env=sim_env(threads),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_directory(stdout: str) -> Path:
    """The directory named by the 'Run directory:' line a run prints."""
    lines = [line for line in stdout.splitlines() if line.startswith("Run directory:")]
    assert len(lines) == 1, stdout
    return Path(lines[0].split(":", 1)[1].strip())
