"""sim.config.options: the option files a command chooses are data. A scenario sets only
`scenario`; no option file sets hydra.* beyond an experiment's sweep and directories, names
a _target_ for Hydra to build, interpolates anything but its own scenario's keys, or lies
outside its group's folder; each is checked before Hydra loads it."""

import shutil

import pytest
from support import ROOT

import sim.config.compose as compose
import sim.config.options as config_files
from sim.config.options import check_option, groups, options
from sim.errors import InputError

HOSTILE_CALLBACK = """\
hydra:
  callbacks:
    empty:
      _target_: builtins.open
      _args_: [victim.txt, w]
"""


@pytest.fixture
def option_dirs(tmp_path, monkeypatch):
    """A copy of configs/ and experiments/experiment/ that the checks and Hydra read."""
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    shutil.copytree(ROOT / "experiments" / "experiment", tmp_path / "experiments" / "experiment")
    for module in (config_files, compose):
        monkeypatch.setattr(module, "CONFIG_DIR", configs)
        monkeypatch.setattr(module, "EXPERIMENT_ROOT", tmp_path / "experiments")
    return tmp_path


def option_error(group: str, name: str) -> InputError:
    with pytest.raises(InputError) as info:
        check_option(group, name, "command line")
    assert "\n" not in str(info.value)
    return info.value


def test_every_shipped_option_file_passes():
    for group in groups():
        for name in options(group):
            assert check_option(group, name, "command line").is_file()


@pytest.mark.parametrize("group, text, key", [
    ("scenario", "# @package _global_\nscenario: {name: s}\nseed: 99\n", "seed"),
    ("scenario", "# @package _global_\nscenario: {name: s}\n" + HOSTILE_CALLBACK, "hydra"),
    ("scenario", "# @package _global_\ndefaults:\n  - /params: goldstein\nscenario: {name: s}\n",
     "defaults"),
    ("scenario", "# @package hydra\ncallbacks: {}\n", "@package"),
    ("params", "# @package _global_\nparams: {lam: 0.1}\nreplicates: 5\n", "replicates"),
    ("experiment", "# @package _global_\nreplicates: 5\n" + HOSTILE_CALLBACK, "hydra.callbacks"),
    ("experiment", "# @package _global_\nhydra:\n  job:\n    chdir: true\n", "hydra.job.chdir"),
    ("launcher", "# @package _global_\nhydra:\n  run: {dir: /tmp}\n", "hydra.run.dir"),
])
def test_option_files_set_only_what_their_group_may(option_dirs, group, text, key):
    folder = groups()[group]
    (folder / "hostile.yaml").write_text(text, encoding="utf-8")
    err = option_error(group, "hostile")
    assert err.where == str(folder / "hostile.yaml") and err.field.startswith(key)


@pytest.mark.parametrize("text, key", [
    ("scenario:\n  name: s\n  note: {_target_: os.system, command: ls}\n", "scenario.note._target_"),
    ("scenario:\n  name: s\n  edits:\n    - {_partial_: true}\n", "scenario.edits[0]._partial_"),
])
def test_no_option_file_names_an_object_for_hydra_to_build(option_dirs, text, key):
    (groups()["scenario"] / "hostile.yaml").write_text("# @package _global_\n" + text)
    assert option_error("scenario", "hostile").field == key


@pytest.mark.parametrize("value", ["${scenario.nope}", "${oc.env:HOME}", "${seed}",
                                   "a ${hydra:runtime.cwd} b"])
def test_interpolations_name_only_the_scenarios_own_keys(option_dirs, value):
    (groups()["scenario"] / "hostile.yaml").write_text(
        f"# @package _global_\nscenario:\n  name: s\n  date: '2018-01'\n  lever_date: '{value}'\n")
    err = option_error("scenario", "hostile")
    assert err.field == "scenario.lever_date" and "${scenario.date}" in err.fix


def test_a_scenario_may_interpolate_its_own_keys(option_dirs):
    (groups()["scenario"] / "own.yaml").write_text(
        "# @package _global_\nscenario:\n  name: own\n  date: '2018-01'\n  lever_date: ${scenario.date}\n")
    assert check_option("scenario", "own", "command line").name == "own.yaml"


@pytest.mark.parametrize("group, name", [
    ("scenario", "../config"), ("params", "../../../etc/passwd"), ("scenario", "/etc/passwd"),
    ("experiment", "europe/../../x"), ("scenario", "a b"), ("params", ""), ("scenario", "linked"),
])
def test_option_names_resolve_inside_their_groups_folder(option_dirs, group, name):
    (groups()["scenario"] / "linked.yaml").symlink_to(ROOT / "configs" / "config.yaml")
    err = option_error(group, name)
    assert err.field == group and "choose one of" in err.fix


def test_an_option_chosen_by_another_is_checked_too(option_dirs):
    (groups()["scenario"] / "hostile.yaml").write_text("# @package _global_\nseed: 1\n")
    (groups()["experiment"] / "wraps.yaml").write_text(
        "# @package _global_\ndefaults:\n  - /scenario: hostile\n")
    assert option_error("experiment", "wraps").field == "seed"


def test_the_command_line_refuses_a_hostile_scenario_before_hydra_loads_it(option_dirs):
    victim = option_dirs / "victim.txt"
    victim.write_text("kept\n")
    (groups()["scenario"] / "hostile.yaml").write_text(
        "# @package _global_\nscenario: {name: hostile}\n"
        + HOSTILE_CALLBACK.replace("victim.txt", str(victim)))
    with pytest.raises(InputError) as info:
        compose.job_config(["+scenario=hostile"])
    assert info.value.field == "hydra"
    assert victim.read_text() == "kept\n"


def test_an_alias_bomb_in_a_scenario_stops_before_hydra_reads_it(option_dirs):
    lines = ["# @package _global_", "scenario:", "  name: bomb", "  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"  l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 10)}]" for k in range(1, 9)]
    (groups()["scenario"] / "bomb.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        compose.job_config(["+scenario=bomb"])
    assert info.value.field == "yaml" and "aliases" in info.value.fix


@pytest.mark.parametrize("params, key", [("seed: 1,abc", "seed"), ("params.betta: 0.1,0.2", "params.betta"),
                                         ("scenario.date: 2017-06,2018-01", "scenario.date")])
def test_a_bad_sweep_of_an_experiment_names_its_file(option_dirs, params, key):
    """Hydra reads an experiment's sweep values only as it launches each job: they are
    checked before any job starts, and the line names the experiment's file."""
    path = groups()["experiment"] / "bad.yaml"
    path.write_text(f"# @package _global_\nhydra:\n  sweeper:\n    params:\n      {params}\n")
    with pytest.raises(InputError) as info:
        compose.job_config(["-m", "+experiment=bad"])
    assert info.value.where == f"{path}: hydra.sweeper.params" and info.value.field == key
