"""sim.errors.OneLineParser: a usage mistake on any plain command is one line and exit code 2."""

import pytest

from sim.dashboard.__main__ import main as dashboard_main
from sim.data.events.__main__ import main as events_main
from sim.report.plot import main as plot_main
from sim.run.blocks import main as merge_main
from sim.studies.calibration.report import main as report_main
from sim.studies.collect import main as collect_main


@pytest.mark.parametrize("main, argv, words", [
    (events_main, ["import", "--format", "csv", "x.csv", "-o", "y.csv"], ["--format", "gdelt"]),
    (events_main, ["check"], ["PATH"]),
    (events_main, ["frobnicate"], ["COMMAND"]),
    (collect_main, [], ["sweep_dir"]),
    (collect_main, ["a", "b"], ["unrecognized"]),
    (plot_main, ["--format"], ["--format"]),
    (dashboard_main, ["--port", "eighty"], ["--port"]),
    (merge_main, [], ["sweep"]),
    (report_main, ["compare", "sweep"], ["OUT_DIR"]),
    (report_main, ["tables"], ["COMMAND", "compare"]),
], ids=["events_bad_choice", "events_missing_path", "events_unknown_command", "collect_missing",
        "collect_extra", "plot_missing_value", "dashboard_bad_number", "merge_missing",
        "calibration_report_missing", "calibration_report_unknown_command"])
def test_usage_mistakes_are_one_line(capsys, main, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: python -m sim.") and "see --help" in err[0]
    for word in words:
        assert word in err[0]
