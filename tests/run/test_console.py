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


def test_a_run_without_a_scenario_answers_with_the_focus_states_alignments(compiled,
                                                                          compose_config,
                                                                          tmp_path):
    from sim.data.events.catalogue import catalogue_lines
    from sim.data.skips import InputUse
    from sim.run.console import report_lines
    from sim.run.run import run

    summary = run(compose_config(["replicates=40", "start=2016-01"]), tmp_path, progress=False)
    final = summary["final"]
    assert {(e["source"], e["target"]) for e in final} == {
        pair for other in ("USA", "RUS", "CHN", "IND") for pair in (("PAK", other), (other, "PAK"))}
    assert all(e["p05"] <= e["mean"] <= e["p95"] and e["date"] == "2019-12" for e in final)
    mean = summary["final_mean"]["PAK"]["USA"]
    assert abs(next(e["mean"] for e in final if (e["source"], e["target"]) == ("PAK", "USA"))
               - mean) < 1e-9  # the probed replicates are the ensemble's
    lines = report_lines(summary, tmp_path)
    # the catalogues used and what each left out or skipped, then the answer
    notices = catalogue_lines([InputUse.from_record(use, "events") for use in summary["catalogues"]])
    assert lines[0].startswith("Events: ") and lines[:len(notices)] == notices
    assert lines[len(notices)].startswith("Alignments of PAK at 2019-12 (no scenario)")
    assert any(line.strip().startswith("PAK -> USA") for line in lines)


def test_the_report_names_each_fact_that_fails_and_the_figures(compose_config, tmp_path):
    from sim.run.console import report_lines

    summary = {"facts": [{"id": "kept", "met": True, "fraction": 0.9, "text": "holds"},
                         {"id": "lost", "met": False, "fraction": 0.25, "text": "fails " * 30},
                         {"id": "outside", "met": None, "fraction": None, "text": "",
                          "note": "a date lies outside start..end"},
                         {"id": "effect", "met": None, "fraction": None, "text": "",
                          "note": "an effect of scenario x: checked in its runs"},
                         {"id": "outside2", "met": None, "fraction": None, "text": "",
                          "note": "a date lies outside start..end"}],
               "fact_fraction": 0.8, "figures": ["figures/a.png", "figures/b.png"]}
    lines = report_lines(summary, tmp_path)
    assert "Facts met: 1/2" in lines
    assert lines[lines.index("Facts met: 1/2") + 1] == (
        "  not counted: 2 facts (a date lies outside start..end), 1 fact (an effect of "
        "scenario x: checked in its runs)")
    failing = [line for line in lines if line.strip().startswith("lost")]
    assert len(failing) == 1 and "25%" in failing[0] and failing[0].endswith("…")
    assert not any(line.strip().startswith(("kept", "outside", "effect")) for line in lines)
    assert "Figures (2): figures/a.png, figures/b.png" in lines


def test_the_answer_without_a_scenario_stays_short_for_many_states(tmp_path):
    """Twenty partners: the four the focus state leans toward most and the four it leans away
    from most, both directions of each, highest first, and a line saying so."""
    from sim.run.console import final_lines

    partners = [f"S{k:02d}" for k in range(20)]
    lean = {code: 0.9 - 0.09 * k for k, code in enumerate(reversed(partners))}  # S19 highest
    final = [entry for code in partners for entry in (
        {"source": "FOC", "target": code, "date": "2019-12", "mean": lean[code],
         "p05": lean[code] - 0.1, "p95": lean[code] + 0.1},
        {"source": code, "target": "FOC", "date": "2019-12", "mean": 0.0, "p05": -0.1,
         "p95": 0.1})]
    lines = final_lines({"focus": "FOC", "final": final, "replicates": 10,
                         "final_interval": "model noise only"})
    pairs = [line.split()[:3] for line in lines if "->" in line]
    order = ["S19", "S18", "S17", "S16", "S03", "S02", "S01", "S00"]
    assert pairs == [pair for code in order for pair in (["FOC", "->", code], [code, "->", "FOC"])]
    assert "the 4 of its 20 partners it leans toward most" in lines[1]
    assert "all 40 pairs" in lines[1]
    few = final_lines({"focus": "FOC", "final": final[:16], "replicates": 10,
                       "final_interval": "model noise only"})
    assert [line.split()[:3] for line in few if "->" in line] == [
        [e["source"], "->", e["target"]] for e in final[:16]]  # eight partners: all, in order
