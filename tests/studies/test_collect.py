"""`python -m sim.collect` on sweep directories built by hand: one done, failed and missing
job of each kind, so every status and column is checked without running a sweep."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from checks import assert_one_line_error

from sim.report.tables import SWEEP_FIXED
from sim.studies.collect import collect, planned_jobs

ROOT = Path(__file__).resolve().parents[2]

MULTIRUN = """hydra:
  sweeper:
    _target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper
    max_batch_size: null
    params:
      scenario.amount_usd: 1e9,2e9
      scenario.date: 2017-06,2018-01
  overrides:
    task:
    - +experiment=aid_freeze_sweep
    - seed=0
    - replicates=20
"""
# the jobs Hydra's basic sweeper makes of it, in launch order
JOBS = [[f"scenario.amount_usd={amount}", f"scenario.date={date}", "+experiment=aid_freeze_sweep",
         "seed=0", "replicates=20"]
        for amount in ("1000000000.0", "2000000000.0") for date in ("2017-06", "2018-01")]
EFFECTS = [{"source": "PAK", "target": t, "when": w, "date": d, "mean": -0.01 * k, "p05": -0.02,
            "p95": 0.0, "median": -0.005 * k, "moved": 0.1 * k}
           for k, (t, w, d) in enumerate([("USA", "12m", "2019-01"), ("RUS", "12m", "2019-01"),
                                          ("USA", "end", "2019-12")])]
SWEEP_COLUMNS = ["job", "scenario.amount_usd", "scenario.date", "status", "source", "target", "when",
                 "date", "date_to", "effect_mean", "effect_p05", "effect_p95", "effect_median",
                 "effect_moved", "effect_threshold", "facts_met"]


def write_job(sweep: Path, job: int, overrides: list[str], summary: dict | None = None,
              error: str | None = None, log: str | None = None) -> Path:
    job_dir = sweep / str(job)
    (job_dir / ".hydra").mkdir(parents=True)
    (job_dir / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if summary is not None:
        (job_dir / "summary.json").write_text(json.dumps({"overrides": overrides, **summary}))
    if error is not None:
        (job_dir / "error.txt").write_text(error + "\n")
    if log is not None:
        (job_dir / "sim.log").write_text(log)
    return job_dir


def done(facts_met: float, effects=EFFECTS, threshold=0.01) -> dict:
    return {"facts_met": facts_met, "timings": {"simulate_s": 0.25}, "effects": effects,
            "effect_threshold": threshold}


@pytest.fixture
def sweep(tmp_path):
    """Job 0 and 1 done, 2 failed (error.txt), 3 never started."""
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text(MULTIRUN)
    write_job(sweep, 0, JOBS[0], done(0.75))
    write_job(sweep, 1, JOBS[1], done(0.5, EFFECTS[:1], threshold=0.05))
    write_job(sweep, 2, JOBS[2], error="config: seed: -1 must be an integer >= 0")
    return sweep


def run_collect(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sim.collect", str(path)], cwd=path.parent,
                          env=env, capture_output=True, text=True, timeout=120)


def test_planned_jobs_follow_the_basic_sweeper(sweep):
    planned, swept = planned_jobs(sweep)
    assert planned == JOBS
    assert swept == ["scenario.amount_usd", "scenario.date"]


def test_collect_writes_one_row_per_job_and_effect(sweep):
    proc = run_collect(sweep)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(sweep / "sweep.parquet")
    assert list(table.columns) == SWEEP_COLUMNS
    # the figures take every column outside their fixed set for a swept key
    assert set(table.columns) - SWEEP_FIXED == {"scenario.amount_usd", "scenario.date"}
    assert table["job"].tolist() == [0, 0, 0, 1, 2, 3]
    assert table["status"].tolist() == ["done"] * 4 + ["failed", "missing"]
    assert table["job"].dtype == "int64"
    assert table["scenario.amount_usd"].dtype == "float64"
    assert table["scenario.amount_usd"].tolist() == [1e9, 1e9, 1e9, 1e9, 2e9, 2e9]
    assert table["scenario.date"].tolist() == ["2017-06", "2017-06", "2017-06", "2018-01",
                                               "2017-06", "2018-01"]
    first = table.iloc[2]
    assert (first["source"], first["target"], first["when"], first["date"]) == \
        ("PAK", "USA", "end", "2019-12")
    assert first["effect_mean"] == pytest.approx(-0.02)
    assert first["effect_p05"] == pytest.approx(-0.02) and first["effect_p95"] == 0.0
    assert first["effect_median"] == pytest.approx(-0.01) and first["effect_moved"] == 0.2
    assert table["facts_met"].iloc[:4].tolist() == [0.75, 0.75, 0.75, 0.5]
    # each row says the threshold its job's effect_moved counted against
    assert table["effect_threshold"].iloc[:4].tolist() == [0.01, 0.01, 0.01, 0.05]
    assert table.iloc[4:][["source", "effect_mean", "effect_threshold", "facts_met"]].isna().all().all()

    jobs = pd.read_parquet(sweep / "jobs.parquet")
    assert list(jobs.columns) == ["job", "scenario.amount_usd", "scenario.date", "status", "error",
                                  "facts_met", "simulate_s"]
    assert jobs["status"].tolist() == ["done", "done", "failed", "missing"]
    assert jobs.loc[2, "error"] == "config: seed: -1 must be an integer >= 0"
    assert jobs.loc[3, "error"] == "not started"
    assert jobs["simulate_s"].tolist()[:2] == [0.25, 0.25]

    lines = proc.stdout.splitlines()
    assert "4 jobs: 2 done, 1 failed, 1 missing" in lines[0]
    assert any(line.strip().startswith("job 3 (") and "missing: not started" in line
               for line in lines)
    assert any(line.strip().startswith("job 2 (") and "failed: config: seed" in line
               for line in lines)


def test_collect_again_gives_the_same_tables(sweep):
    assert run_collect(sweep).returncode == 0
    first = pd.read_parquet(sweep / "sweep.parquet"), pd.read_parquet(sweep / "jobs.parquet")
    write_job(sweep, 3, JOBS[3], done(1.0))  # the last job finishes meanwhile
    assert run_collect(sweep).returncode == 0
    second = pd.read_parquet(sweep / "sweep.parquet"), pd.read_parquet(sweep / "jobs.parquet")
    pd.testing.assert_frame_equal(first[0].iloc[:5], second[0].iloc[:5])
    assert second[1]["status"].tolist() == ["done", "done", "failed", "done"]
    assert not [p.name for p in sweep.iterdir() if p.name.endswith(".tmp")]


def test_failed_started_and_stale_jobs(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text(MULTIRUN)
    trace = "[2026-01-01][HYDRA] job\nTraceback (most recent call last):\n  ...\nMemoryError: out\n"
    write_job(sweep, 0, JOBS[0], log=trace)
    write_job(sweep, 1, JOBS[1])  # started, killed before its summary
    write_job(sweep, 2, JOBS[2], done(0.5))
    stale = json.loads((sweep / "2" / "summary.json").read_text())
    stale["overrides"] = [o.replace("replicates=20", "replicates=50") for o in JOBS[2]]
    (sweep / "2" / "summary.json").write_text(json.dumps(stale))
    write_job(sweep, 3, [*JOBS[3], "launcher=basic"], done(0.5))  # launcher: same result
    table, jobs = collect(sweep)
    assert jobs["status"].tolist() == ["failed", "missing", "missing", "done"]
    assert jobs.loc[0, "error"] == "sim.log: MemoryError: out"
    assert "killed or still running" in jobs.loc[1, "error"]
    assert "other overrides" in jobs.loc[2, "error"]


def test_without_multirun_yaml_the_varying_keys_are_swept(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    for job, seed in enumerate((3, 4)):
        write_job(sweep, job, ["+scenario=aid_freeze", f"seed={seed}", "replicates=20"], done(0.5))
    table, jobs = collect(sweep)
    assert list(jobs.columns[:3]) == ["job", "seed", "status"]
    assert jobs["seed"].tolist() == [3, 4] and jobs["seed"].dtype == "int64"


def test_not_a_sweep_is_one_line(tmp_path):
    proc = run_collect(tmp_path / "nowhere")
    assert_one_line_error(proc, "not a directory")
    (tmp_path / "empty").mkdir()
    proc = run_collect(tmp_path / "empty")
    assert proc.returncode == 2 and "no multirun.yaml" in proc.stderr


def test_summaries_not_shaped_as_a_run_writes_them_are_failed_jobs(sweep):
    """The summary is read through its schema (sim.data.schemas): a state code that holds a path,
    a number that is text or true, a list that is a mapping; each job names its fault."""
    bad = {4: dict(EFFECTS[0], source="../X"), 5: dict(EFFECTS[0], mean="big"),
           6: dict(EFFECTS[0], p05=True)}
    planned = [*JOBS, *([f"seed={job}"] for job in bad)]
    for job, effect in bad.items():
        write_job(sweep, job, planned[job], done(0.5, [effect]))
    _, jobs = collect(sweep)
    jobs = jobs.set_index("job")
    for job, field in ((4, "effects[0]: source"), (5, "effects[0]: mean"), (6, "effects[0]: p05")):
        assert jobs.loc[job, "status"] == "failed"
        assert field in jobs.loc[job, "error"] and "run the job again" in jobs.loc[job, "error"]
    assert jobs.loc[3, "status"] == "missing" and jobs.loc[2, "status"] == "failed"


def test_a_crafted_sweep_is_read_within_bounds(sweep, monkeypatch):
    """A sweep directory is someone else's data: an alias bomb in multirun.yaml stops in one
    line; a job's overrides.yaml nested past the YAML bound is left unread (its summary's
    overrides decide), not a traceback; a log is read from its end only, and the reason
    it gives is shortened."""
    from sim.studies import collect as module

    (sweep / "3").mkdir()
    (sweep / "3" / "sim.log").write_text("Traceback\n" + "x" * 5000 + "\nValueError: "
                                         + "y" * 5000 + "\n")
    (sweep / "1" / ".hydra" / "overrides.yaml").write_text("[" * 5000 + "]" * 5000)
    _, jobs = collect(sweep)
    assert jobs["status"].tolist() == ["done", "done", "failed", "failed"]
    assert jobs.loc[3, "error"].startswith("sim.log: ValueError: yyy")
    assert len(jobs.loc[3, "error"]) < module.MAX_REASON_CHARS + 20
    monkeypatch.setattr(module, "MAX_LOG_TAIL", 1000)
    assert collect(sweep)[1].loc[3, "status"] == "missing"  # its Traceback lies before the tail

    lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]" for k in range(1, 9)]
    (sweep / "multirun.yaml").write_text("\n".join(lines) + "\n")
    assert_one_line_error(run_collect(sweep), "multirun.yaml", "aliases")
