"""The experiments: they compose into the documented sweeps, run with the local launcher,
are gathered by sim.studies.collect, resume after a kill without redoing finished jobs; and the
Sobol study runs on a tiny sample."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from checks import assert_one_line_error
from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.config.compose import with_experiments
from sim.config.schema import register
from sim.model.params import PARAM_NAMES
from sim.run.run import prepare
from sim.studies import sensitivity as sensitivity
from sim.studies.collect import planned_jobs

ROOT = Path(__file__).resolve().parents[2]
TINY = ["replicates=20", "start=2017-01", "end=2019-12"]
REPORTED_PAIRS = 2 * 4  # the focus state's (PAK) pairs; the freeze's own pairs are among them


def sim(tmp_path, *args, module="sim", timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


def composed(*overrides: str):
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose("config", overrides=with_experiments(list(overrides)),
                       return_hydra_config=True)


def sweep_jobs(cfg, *command_line: str) -> list[list[str]]:
    """The jobs Hydra's basic sweeper makes of the experiment's params and a command line."""
    params = [f"{k}={v}" for k, v in cfg.hydra.sweeper.params.items()]
    overrides = OverridesParser.create().parse_overrides([*params, *command_line])
    return [job for batch in BasicSweeper.split_arguments(overrides, None) for job in batch]


@pytest.mark.parametrize("name, scenario, keys", [
    ("aid_freeze_sweep", "aid_freeze", ["scenario.amount_usd", "scenario.date", "seed"]),
    ("visits_sweep", "no_visits", ["params.weights.visit", "params.rho", "seed"]),
])
def test_experiments_compose_into_their_sweeps(name, scenario, keys):
    register()
    cfg = composed(f"+experiment={name}")
    assert cfg.scenario.name == scenario and cfg.replicates == 500
    assert list(cfg.hydra.sweeper.params) == keys
    jobs = sweep_jobs(cfg, f"+experiment={name}")
    assert len(jobs) == 24 and len({tuple(j) for j in jobs}) == 24
    for job in jobs[::5]:  # every job's config loads, with the swept values typed
        job_cfg = composed(*job)
        setup = prepare(job_cfg)
        assert len(setup.schedules.names) == 2 and setup.schedules.first_change is not None
    # a key given on the command line replaces its sweep
    assert len(sweep_jobs(cfg, f"+experiment={name}", "seed=3")) == 12


def test_sobol_experiment_composes_for_the_study():
    cfg = composed("+experiment=sobol")
    names, bounds = sensitivity.check_settings(cfg.sensitivity)
    assert cfg.scenario.name == "aid_freeze"
    assert names == list(PARAM_NAMES)
    assert all(low < high for low, high in bounds)
    assert cfg.hydra.job.name == "sensitivity"


def test_sobol_experiment_runs_as_a_one_job_sweep(tmp_path):
    """`python -m sim -m +experiment=sobol` runs the study as the sweep's only job."""
    sweep = tmp_path / "sweep"
    proc = sim(tmp_path, "-m", "+experiment=sobol", "sensitivity.samples=4",
               "sensitivity.replicates_each=5", *TINY, f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(sweep / "0" / "sobol.parquet")
    assert set(table["param"]) == set(PARAM_NAMES)
    assert not (sweep / "1").exists()


def test_a_sweep_value_of_the_wrong_type_in_an_experiment_is_one_line(tmp_path):
    proc = sim(tmp_path, "-m", "+experiment=aid_freeze_sweep", "scenario.amount_usd=1e9,much")
    assert_one_line_error(proc, "scenario.amount_usd")


def test_a_sweep_with_failed_jobs_lists_them_exits_2_and_collects(tmp_path):
    """Four jobs on the default (joblib) launcher, one value bad: 2 done, 2 failed; the
    sweep lists the failed jobs with their reason and exits 2."""
    sweep = tmp_path / "sweep"
    proc = sim(tmp_path, "-m", "+experiment=aid_freeze_sweep", "scenario.date=2018-01",
               "scenario.amount_usd=1e9,4e9", "seed=0,-1", *TINY, f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    assert "4 jobs: 2 done, 2 failed, 0 missing" in proc.stderr and "Traceback" not in proc.stderr
    for job in (1, 3):
        assert f"job {job} (scenario.amount_usd=" in proc.stderr
    assert proc.stderr.count("seed: -1 must be") >= 2
    planned, swept = planned_jobs(sweep)
    for job, overrides in enumerate(planned):  # collect knows the jobs Hydra launched
        assert yaml.safe_load((sweep / str(job) / ".hydra" / "overrides.yaml").read_text()) == overrides
    assert swept == ["scenario.amount_usd", "seed"]

    proc = sim(tmp_path, sweep, module="sim.collect")
    assert proc.returncode == 0, proc.stderr
    assert "4 jobs: 2 done, 2 failed, 0 missing" in proc.stdout
    jobs = pd.read_parquet(sweep / "jobs.parquet")
    assert jobs["seed"].tolist() == [0, -1, 0, -1]
    assert jobs["status"].tolist() == ["done", "failed", "done", "failed"]
    assert all("seed" in error for error in jobs.loc[jobs["status"] == "failed", "error"])
    table = pd.read_parquet(sweep / "sweep.parquet")
    # 12 months, peak, end and cumulative per pair; one row per failed job
    assert len(table) == 2 * 4 * REPORTED_PAIRS + 2
    done = table[table["status"] == "done"]
    usa = done[(done["source"] == "PAK") & (done["target"] == "USA") & (done["when"] == "12m")]
    effect = usa.set_index("scenario.amount_usd")["effect_mean"]
    assert effect[4e9] < effect[1e9] < 0  # a bigger freeze pushes Pakistan further from the US


def test_visits_sweep_runs(tmp_path):
    sweep = tmp_path / "sweep"
    proc = sim(tmp_path, "-m", "+experiment=visits_sweep", "seed=0", "params.rho=0.05",
               "params.weights.visit=1.0,4.0", *TINY, "start=2012-01", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    assert sim(tmp_path, sweep, module="sim.collect").returncode == 0
    table = pd.read_parquet(sweep / "sweep.parquet")
    assert set(table["status"]) == {"done"}
    effect = table[(table["source"] == "PAK") & (table["target"] == "RUS") & (table["when"] == "end")]
    effect = effect.set_index("params.weights.visit")["effect_mean"]
    assert effect[4.0] < effect[1.0] < 0  # without the visits, less alignment; more so if they weigh more


def summaries(sweep: Path) -> dict[int, tuple[int, bytes]]:
    found = {}
    for path in sweep.glob("*/summary.json"):
        found[int(path.parent.name)] = (path.stat().st_mtime_ns, path.read_bytes())
    return found


def test_killed_sweep_resumes_without_redoing_finished_jobs(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "+experiment=aid_freeze_sweep", "seed=0", "scenario.date=2017-06,2018-01", *TINY,
            f"hydra.sweep.dir={sweep}"]
    total = 8  # 4 amounts x 2 dates
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "sim", *args, "launcher=basic"], cwd=tmp_path,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        try:  # kill the sweep (one job after another) once two jobs have finished
            while len(summaries(sweep)) < 2:
                assert proc.poll() is None, (tmp_path / "first.log").read_text()
                assert time.monotonic() < deadline, "no job finished in time"
                time.sleep(0.02)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    finished = summaries(sweep)
    assert 2 <= len(finished) < total

    proc = sim(tmp_path, *args)  # again, on the default launcher, into the same directory
    assert proc.returncode == 0, proc.stderr
    for job in finished:
        assert f"job {job}: finished before, skipped" in proc.stdout
    after = summaries(sweep)
    assert sorted(after) == list(range(total))
    assert {job: after[job] for job in finished} == finished  # not rewritten, not lost
    proc = sim(tmp_path, sweep, module="sim.collect")
    assert f"{total} jobs: {total} done, 0 failed, 0 missing" in proc.stdout


def test_sobol_study_on_a_tiny_sample(tmp_path):
    run_dir = tmp_path / "study"
    proc = sim(tmp_path, "sensitivity.samples=4", "sensitivity.replicates_each=5",
               "sensitivity.sets_per_chunk=8", *TINY, f"hydra.run.dir={run_dir}", module="sim.sensitivity")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(run_dir / "sobol.parquet")
    assert list(table.columns) == ["output", "param", "S1", "S1_conf", "ST", "ST_conf"]
    outputs = [f"PAK->{t} {w}" for w in ("12m", "end") for t in ("USA", "RUS", "CHN")]
    assert list(dict.fromkeys(table["output"])) == outputs
    assert len(table) == 6 * len(PARAM_NAMES)
    assert np.isfinite(table[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()).all()
    samples = pd.read_parquet(run_dir / "sobol_samples.parquet")
    assert len(samples) == 4 * (len(PARAM_NAMES) + 2)
    assert (samples["lam"].between(0.005, 0.3)).all() and (samples["mu"].between(0.0005, 0.03)).all()
    for name in ("trajectories.parquet", "effects.parquet", "summary.json"):
        assert (run_dir / name).is_file()  # the nominal run, for sim.report.plot


def test_bad_study_settings_are_one_line_and_leave_nothing(tmp_path):
    run_dir = tmp_path / "study"
    for bad in ("sensitivity.samples=6", "sensitivity.bounds.lam=[0.1,2]"):
        proc = sim(tmp_path, bad, *TINY, f"hydra.run.dir={run_dir}", module="sim.sensitivity")
        assert_one_line_error(proc, bad.split("=")[0])
        assert not run_dir.exists()


def test_sobol_indices_fall_on_the_right_parameters():
    """y = 2 lam + beta on uniform [0, 1]: S1 = ST = 0.8 and 0.2, the others 0."""
    names = ["lam", "beta", "rho"]
    problem = {"num_vars": 3, "names": names, "bounds": [[0.0, 1.0]] * 3}
    x = sensitivity.sobol_sample.sample(problem, 1024, calc_second_order=False, seed=0)
    y = (2 * x[:, 0] + x[:, 1])[:, None]
    settings = sensitivity.SensitivityConfig()
    outputs = [sensitivity.Output("y", 0, 0, 1)]
    table = sensitivity.sobol_table(problem, y, outputs, settings, seed=0).set_index("param")
    assert table.loc["lam", "S1"] == pytest.approx(0.8, abs=0.05)
    assert table.loc["beta", "ST"] == pytest.approx(0.2, abs=0.05)
    assert abs(table.loc["rho", "ST"]) < 0.02


def test_study_effect_of_the_nominal_set_is_the_runs_effect(tmp_path):
    """One parameter set: its mean probe difference is the effect summary.json reports."""
    # one parameter set in the run too (the default posterior gives each replicate its draw)
    cfg = composed("+experiment=sobol", *TINY, "sensitivity.replicates_each=20", "params=point")
    setup = prepare(cfg)
    outputs = sensitivity.outputs_of(setup, cfg.sensitivity)
    effects, _ = sensitivity.effects_by_set(setup, [setup.params], outputs, cfg.sensitivity,
                                            cfg.seed, progress=False)
    from sim.run.run import run

    summary = run(cfg, tmp_path, progress=False)
    reported = {f"{e['source']}->{e['target']} {e['when']}": e["mean"] for e in summary["effects"]}
    for p, output in enumerate(outputs):
        assert effects[0, p] == pytest.approx(reported[output.name], abs=1e-9)


def children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    """The processes below `pid`: its children, theirs, and so on."""
    found, todo = set(), [pid]
    while todo:
        below = children(todo.pop())
        todo += list(below - found)
        found |= below
    return found


@pytest.mark.parametrize("launcher", [
    "local", pytest.param("submitit_local", marks=pytest.mark.slow)])
def test_killing_a_sweeps_process_ends_its_workers(tmp_path, launcher):
    """kill -9 of the sweep's own process: the workers stop too, no job goes on; submitit's
    job processes, which pass SIGTERM by, included."""
    sweep = tmp_path / "sweep"
    # submitit starts every job at once: four jobs, each of about a minute on two cores
    size = ["replicates=4000"] if launcher == "local" else ["replicates=200000",
                                                             "scenario.date=2018-01"]
    args = ["-m", "+experiment=aid_freeze_sweep", "seed=0", *size, f"hydra.sweep.dir={sweep}",
            f"launcher={launcher}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(tmp_path / "sweep.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    workers: set[int] = set()
    try:  # wait until a job runs in a worker process
        while not (workers and (sweep / "0").is_dir()):
            assert proc.poll() is None, (tmp_path / "sweep.log").read_text()
            assert time.monotonic() < deadline, "no job started in time"
            workers = descendants(proc.pid)
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    finished = len(list(sweep.glob("*/summary.json")))
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers still running: {workers}"
        time.sleep(0.05)
    if launcher == "local":
        assert len(list(sweep.glob("*/summary.json"))) < 24  # the sweep did not go on
    else:  # no job of a minute could end in the seconds the workers outlived the sweep
        assert finished == len(list(sweep.glob("*/summary.json"))) == 0


def test_the_sobol_experiment_runs_the_study_as_the_readme_says(monkeypatch, tmp_path):
    """`python -m sim +experiment=sobol` runs the Sobol study (not a plain run), as
    experiments/README.md documents."""
    import sim.__main__ as command
    import sim.run.run
    from sim.config.compose import job_config

    readme = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    assert "`python -m sim +experiment=sobol` runs the same study" in " ".join(readme.split())
    calls = []

    def study(cfg, out_dir, overrides, progress):
        calls.append(cfg.sensitivity.samples)
        return pd.DataFrame(), {"noise_share": {}}

    monkeypatch.setattr(sensitivity, "sensitivity", study)
    monkeypatch.setattr(sensitivity, "report_lines", lambda table, noise, out_dir: ["study"])
    monkeypatch.setattr(sim.run.run, "run",  # where the entry imports it when a job runs
                        lambda *a, **k: pytest.fail("a plain run, not the study"))
    cfg = job_config(with_experiments(["+experiment=sobol"]))
    assert command.run_job(cfg, tmp_path, [], progress=False) is None
    assert calls == [256]
