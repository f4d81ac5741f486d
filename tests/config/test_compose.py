"""sim.config.compose: `python -m sim` composes its configuration once, runs its job on it in
the directory it claimed, and prints --cfg from the same composition."""

import sys

import pytest
import yaml
from hydra._internal.config_loader_impl import ConfigLoaderImpl

import sim.__main__ as command

QUIET = ["hydra.job_logging.root=null", "hydra.hydra_logging.root=null"]  # pytest keeps its logging


@pytest.fixture
def composes(monkeypatch):
    """The compositions Hydra makes in this test, counted."""
    made = []
    original = ConfigLoaderImpl.load_configuration

    def counted(self, *args, **kwargs):
        made.append(kwargs.get("run_mode"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ConfigLoaderImpl, "load_configuration", counted)
    return made


def entry(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["sim", *argv])
    command.entry()


def test_a_run_composes_once_and_its_job_gets_that_configuration(monkeypatch, composes, tmp_path):
    jobs = []
    monkeypatch.setattr(command, "run_job", lambda cfg, out_dir, overrides, progress:
                        jobs.append((cfg.scenario.name, out_dir, overrides)))
    run_dir = tmp_path / "run"
    entry(monkeypatch, "+scenario=aid_freeze", "seed=4", f"hydra.run.dir={run_dir}", *QUIET)
    assert len(composes) == 1
    assert jobs == [("aid_freeze", run_dir, ["+scenario=aid_freeze", "seed=4"])]
    assert yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())["seed"] == 4


def test_cfg_prints_the_one_composition(monkeypatch, composes, capsys):
    entry(monkeypatch, "--cfg", "job", "+scenario=aid_freeze", "replicates=7")
    printed = yaml.safe_load(capsys.readouterr().out)
    assert len(composes) == 1
    assert printed["replicates"] == 7 and printed["scenario"]["name"] == "aid_freeze"
    assert "hydra" not in printed


def test_a_mistake_is_one_line_before_any_directory(monkeypatch, composes, capsys, tmp_path):
    with pytest.raises(SystemExit) as end:
        entry(monkeypatch, "replicates=many", f"hydra.run.dir={tmp_path / 'run'}")
    assert end.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: command line: replicates: ")
    assert not (tmp_path / "run").exists()
