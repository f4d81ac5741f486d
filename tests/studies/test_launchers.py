"""The launcher presets: each composes to its Hydra launcher; SLURM renders a job array
(no cluster here: the submission is captured, not sent); submitit's local executor
(marker slow) and Ray (marker ray, in its own venv: .ci/ray) run a small sweep whose
results equal those of the basic launcher, value for value."""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from checks import assert_one_line_error
from hydra import compose, initialize_config_dir

from sim.config.compose import with_experiments
from sim.config.schema import register

ROOT = Path(__file__).resolve().parents[2]
TINY = ["replicates=20", "start=2017-01", "end=2019-12"]
SWEEP = ["-m", "+experiment=aid_freeze_sweep", "seed=0", "scenario.date=2018-01",
         "scenario.amount_usd=1e9,4e9", *TINY]
EFFECT = ["job", "source", "target", "when", "date", "effect_mean", "effect_p05", "effect_p95"]


def run(tmp_path, *args, module="sim", timeout=600, env=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


def collected(tmp_path, sweep: Path) -> pd.DataFrame:
    proc = run(tmp_path, sweep, module="sim.collect")
    assert proc.returncode == 0, proc.stderr
    return pd.read_parquet(sweep / "sweep.parquet")


def basic_sweep(tmp_path) -> pd.DataFrame:
    sweep = tmp_path / "basic"
    proc = run(tmp_path, *SWEEP, "launcher=basic", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    return collected(tmp_path, sweep)


@pytest.mark.parametrize("launcher, target", [
    ("local", "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"),
    ("basic", "hydra._internal.core_plugins.basic_launcher.BasicLauncher"),
    ("slurm", "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"),
    ("submitit_local", "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"),
])
def test_launcher_presets_compose(launcher, target):
    register()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("config", overrides=with_experiments(
            ["+experiment=aid_freeze_sweep", f"launcher={launcher}"]), return_hydra_config=True)
    assert cfg.hydra.launcher._target_ == target
    assert cfg.hydra.sweeper.params["seed"] == "0,1"  # the experiment is kept


DRIVER = """
import runpy
import sys
from pathlib import Path
import submitit

OUT = Path(sys.argv[1])

def capture(self, fn, *iterables):  # instead of sbatch: write the job array's script
    slurm = self._executor
    slurm.parameters["map_count"] = len(iterables[0])
    OUT.write_text(slurm._make_submission_file_text(slurm._submitit_command_str, "x"))
    return []

submitit.AutoExecutor.map_array = capture
sys.argv = ["sim", *sys.argv[2:]]
runpy.run_module("sim", run_name="__main__", alter_sys=True)  # as python -m sim
"""


def test_slurm_preset_renders_a_job_array(tmp_path):
    script = tmp_path / "sbatch.sh"
    stub = tmp_path / "bin" / "srun"  # submitit looks for srun before it makes an executor
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 1\n")
    stub.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=f"{stub.parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(DRIVER), script, *SWEEP,
                           "launcher=slurm", "hydra.launcher.partition=short",
                           "hydra.launcher.setup=[module load python]",
                           f"hydra.sweep.dir={tmp_path / 'sweep'}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = script.read_text().splitlines()
    for flag in ("--partition=short", "--time=60", "--mem=4GB", "--cpus-per-task=4",
                 "--array=0-1%2", "--job-name=sim", "--nodes=1", "--ntasks-per-node=1"):
        assert f"#SBATCH {flag}" in lines, "\n".join(lines)
    assert "module load python" in lines
    assert any("-m submitit.core._submit" in line and "/sweep/.submitit/" in line for line in lines)


@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is not None,
                    reason="the Ray launcher is installed here")
def test_ray_preset_without_ray_is_one_line(tmp_path):
    proc = run(tmp_path, *SWEEP, "launcher=ray", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert_one_line_error(proc, "ray extra")
    assert not (tmp_path / "sweep").exists()


@pytest.mark.slow
def test_submitit_local_runs_a_sweep(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run(tmp_path, *SWEEP, "launcher=submitit_local", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    assert list((sweep / ".submitit").glob("*/*_log.out"))
    table = collected(tmp_path, sweep)
    assert set(table["status"]) == {"done"} and table["job"].nunique() == 2
    pd.testing.assert_frame_equal(table[EFFECT], basic_sweep(tmp_path)[EFFECT])


@pytest.mark.slow
@pytest.mark.parametrize("experiment, narrowed", [
    ("visits_sweep", ["seed=0", "params.rho=0.05", "params.weights.visit=1.0,4.0"]),
    ("sobol", ["sensitivity.samples=4", "sensitivity.replicates_each=5"]),
])
def test_submitit_local_runs_the_other_experiments(tmp_path, experiment, narrowed):
    sweep = tmp_path / "sweep"
    proc = run(tmp_path, "-m", f"+experiment={experiment}", *narrowed, *TINY,
               "launcher=submitit_local", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    assert list((sweep / ".submitit").glob("*/*_log.out"))
    jobs = sorted(p for p in sweep.iterdir() if p.name.isdigit())
    assert jobs and all((job / "summary.json").is_file() for job in jobs)
    if experiment == "sobol":
        assert (jobs[0] / "sobol.parquet").is_file()


@pytest.mark.ray
def test_ray_runs_a_sweep(tmp_path):
    if os.environ.get("SIM_REQUIRE_RAY") != "1":
        pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    sweep = tmp_path / "sweep"
    # a local Ray instance, started by the launcher (ray.init) and stopped when the sweep ends
    proc = run(tmp_path, *SWEEP, "launcher=ray", "++hydra.launcher.ray.init.num_cpus=2",
               "++hydra.launcher.ray.init.include_dashboard=false", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    assert "Started a local Ray instance" in proc.stderr + proc.stdout
    table = collected(tmp_path, sweep)
    assert set(table["status"]) == {"done"} and table["job"].nunique() == 2
    pd.testing.assert_frame_equal(table[EFFECT], basic_sweep(tmp_path)[EFFECT])
