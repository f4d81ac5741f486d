"""What a run says while it works: the compile notice, the log file, a sweep's job count."""

import subprocess
import sys

from support import ROOT, run_directory, run_sim, sim_env

from sim.run.run import kernels_cached
from sim.studies.progress import finished_jobs


def test_a_run_logs_into_sim_log_and_keeps_the_console_to_the_report(compiled, tmp_path):
    proc = run_sim(["+scenario=aid_freeze", "replicates=20", "start=2017-01"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    log = (run_directory(proc.stdout) / "sim.log").read_text()
    assert "5 states" in log and "Effect of scenario 'aid_freeze'" in log and "Facts met: " in log
    assert "[INFO]" not in proc.stdout
    assert "compiling the kernel" not in proc.stderr  # the cache is warm


def test_the_cache_check_tells_a_cold_cache(compiled, tmp_path):
    assert kernels_cached(5)
    script = "from sim.run.run import kernels_cached; print(kernels_cached(5))"
    env = {**sim_env(), "NUMBA_CACHE_DIR": str(tmp_path)}  # an empty cache: nothing compiled
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_finished_jobs_count_summaries_and_errors(tmp_path):
    for job, name in ((0, "summary.json"), (1, "error.txt"), (2, "sim.log")):
        (tmp_path / str(job)).mkdir()
        (tmp_path / str(job) / name).write_text("{}")
    (tmp_path / "figures").mkdir()
    assert finished_jobs(tmp_path) == 2
    assert finished_jobs(tmp_path / "absent") == 0
