"""`python -m sim.calibrate` on a tiny budget (needs the calibrate extra: pytest -m calibrate):
the same command writes the same bytes, the draws stay inside their priors and load as a
params set, the report is written; bad settings stop with one line (no torch needed)."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from checks import assert_one_line_error
from omegaconf import OmegaConf
from support import CONFIG_DIR, ROOT

from sim.run.parameters import check_params
from sim.run.run import run
from sim.studies.calibration.sbc import LEVELS

TINY = ["calibration.simulations=600", "calibration.batch_size=100", "calibration.max_epochs=12",
        "calibration.hidden_features=16", "calibration.transforms=2", "calibration.sbc_records=40",
        "calibration.sbc_draws=40", "calibration.draws=200", "calibration.progress=false"]


def compose_calibration(overrides):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("calibrate", overrides=list(overrides))


def calibrate_into(folder, compose_config):
    from sim.studies.calibration.calibrate import calibrate

    compose_config()  # registers the schema and the resolvers
    overrides = [*TINY, f"calibration.output={folder}/posterior.yaml",
                 f"calibration.point_output={folder}/point.yaml", f"calibration.report_dir={folder}/report"]
    return calibrate(compose_calibration(overrides), folder / "run", overrides)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory, compiled, compose_config):
    pytest.importorskip("sbi")
    folder = tmp_path_factory.mktemp("calibration")
    return folder, calibrate_into(folder, compose_config)


@pytest.mark.calibrate
def test_same_command_writes_same_bytes(tiny, tmp_path, compose_config):
    folder, _ = tiny
    calibrate_into(tmp_path, compose_config)
    for name in ("posterior.csv", "posterior.observation.csv", "point.yaml"):
        assert (folder / name).read_bytes() == (tmp_path / name).read_bytes(), name
    # the posterior names its own draws file, the one difference
    again = (tmp_path / "posterior.yaml").read_text().replace(str(tmp_path), str(folder))
    assert (folder / "posterior.yaml").read_text() == again


@pytest.mark.calibrate
def test_draws_stay_in_their_priors_and_the_params_file_shows_their_medians(tiny):
    from sim.run.parameters import get_path

    folder, result = tiny
    draws = pd.read_csv(folder / "posterior.csv")
    posterior = OmegaConf.to_container(OmegaConf.load(folder / "posterior.yaml"))
    point = OmegaConf.to_container(OmegaConf.load(folder / "point.yaml"))
    assert len(draws) == 200 and posterior["draws"] == str(folder / "posterior.csv")
    assert "draws" not in point
    priors = {row["parameter"]: row for row in result["pinning"]}
    model = [name for name in priors if not name.startswith("observation.")]
    assert list(draws.columns) == model
    observation = pd.read_csv(folder / "posterior.observation.csv")
    assert list(observation.columns) == [name for name in priors if name not in model]
    assert len(observation) == len(draws) and (observation.filter(like=".sd") > 0).all().all()
    for name in draws.columns:
        assert get_path(posterior, name) == get_path(point, name)
        assert get_path(point, name) == pytest.approx(np.median(draws[name]), rel=1e-5)
    check_params(point)
    prov = posterior["provenance"]
    assert prov["command"].startswith("python -m sim.calibrate calibration.simulations=600")
    assert "calibration.output" not in prov["command"]
    assert set(prov["data_sha256"]) >= {"seeds/events.csv", "seeds/facts.yaml", "configs/priors.yaml"}
    assert prov["versions"]["sbi"] and prov["versions"]["torch"]


@pytest.mark.calibrate
def test_report_holds_coverage_pinning_and_predictive_checks(tiny):
    folder, result = tiny
    report = (folder / "report" / "report.md").read_text()
    for figure in ("coverage.png", "prior_posterior.png", "pairs.png", "predictive.png",
                   "measured_unga_agreement.png", "measured_net_cooperation.png"):
        assert (folder / "report" / figure).stat().st_size > 10_000
        assert f"({figure})" in report
    overall = result["coverage"][-1]
    assert overall["parameter"] == "all" and overall["records"] == 40
    for level in LEVELS:
        assert 0 <= overall[f"coverage_{round(level * 100)}"] <= 1
    kinds = {row["evidence"].split(":")[0] for row in result["predictive"]}
    assert {"fact", "count", "measured"} <= kinds
    for measure in ("unga_agreement", "net_cooperation"):
        check = result["measured"][measure]
        assert check["components"] > 0 and 0 <= check["inside_90_posterior"] <= 1
    assert "## Limits: what the data pin and what they cannot" in report
    assert {row["verdict"] for row in result["pinning"]} <= {"pinned", "narrowed", "at prior"}


@pytest.mark.calibrate
def test_a_run_over_the_written_posterior_says_its_intervals_hold_parameters(tiny, compose_config, tmp_path):
    folder, _ = tiny
    cfg = compose_config(["+scenario=aid_freeze", "replicates=30", "output.quantile_bins=0"])
    cfg.params = OmegaConf.merge(cfg.params, OmegaConf.load(folder / "posterior.yaml"))
    summary = run(cfg, tmp_path, progress=False)
    assert summary["effect_interval"] == "parameter uncertainty and model noise"


def calibrate_cli(*overrides):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim.calibrate", *overrides], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


@pytest.mark.parametrize("overrides, words", [
    (["calibration.without=[lamda]"], ["calibration.without", "lamda"]),
    (["calibration.evidence=[facts,gossip]"], ["calibration.evidence", "gossip"]),
    (["calibration.simulations=10"], ["calibration.simulations"]),
    (["calibration.priors=nowhere.yaml"], ["nowhere.yaml"]),
    (["+scenario=aid_freeze"], ["+scenario"]),
    (["data.measured=[data/events/sipri.csv]", "data.measured_until=2016-01"],
     ["data.measured_until", "2016-01", "2015-12"]),
])
def test_bad_settings_stop_with_one_line(tmp_path, overrides, words):
    proc = calibrate_cli(*overrides, f"hydra.run.dir={tmp_path}/run")
    assert_one_line_error(proc, *words)
    assert not (tmp_path / "run" / "calibration.json").exists()


@pytest.mark.calibrate
def test_the_report_is_rewritten_from_the_runs_json(tiny, tmp_path):
    from sim.studies.calibration.report import main

    folder, _ = tiny
    assert main(["report", str(folder / "run"), str(tmp_path)]) == 0
    assert (tmp_path / "report.md").read_text() == (folder / "report" / "report.md").read_text()
    assert main(["report", str(tmp_path / "nowhere"), str(tmp_path)]) == 2


def test_the_report_commands_refuse_bad_input_in_one_line(tmp_path, capsys):
    """python -m sim.calibration_report: a usage mistake, a directory without a calibration and
    a calibration.json that is not one end in one line, exit code 2, nothing written."""
    from sim.studies.calibration.report import main

    (tmp_path / "sweep" / "0").mkdir(parents=True)
    (tmp_path / "sweep" / "1").mkdir()
    (tmp_path / "sweep" / "0" / "calibration.json").write_text('{"provenance": {}}')
    (tmp_path / "sweep" / "1" / "calibration.json").write_text('{"coverage": ')
    out = tmp_path / "out"
    cases = [([], "arguments"), (["tables"], "invalid choice"),
             (["compare", str(tmp_path)], "arguments"),
             (["report", str(tmp_path), str(out), "extra"], "unrecognized"),
             (["report", str(tmp_path), str(out)], "no calibration.json"),
             (["compare", str(tmp_path / "sweep"), str(out)], "not a calibration's result")]
    for argv, words in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and "\n" not in err and words in err, (argv, err)
    (tmp_path / "sweep" / "0" / "calibration.json").unlink()
    assert main(["compare", str(tmp_path / "sweep"), str(out)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert not out.exists()
