"""The Python face: the same configuration and run code as the command line, scenarios built
in Python, the Mesa model in one line, and the tutorial notebook executed."""

import importlib.util
from pathlib import Path

import nbformat
import numpy as np
import pytest
from support import ROOT

from sim import Edit, Match, NewEvent, Scenario, Simulation, scenarios
from sim.errors import InputError
from sim.run.run import run

SMALL = {"replicates": 30, "start": "2016-01", "end": "2019-06"}


def test_a_run_from_python_is_the_command_line_run(compiled, compose_config, tmp_path):
    result = Simulation("aid_freeze", **SMALL).run(out_dir=tmp_path / "api")
    cfg = compose_config(["+scenario=aid_freeze", "replicates=30", "start=2016-01",
                          "end=2019-06"])
    direct = run(cfg, tmp_path / "direct", progress=False)
    assert result.summary["effects"] == direct["effects"]
    assert result.summary["facts"] == direct["facts"]
    entries = result.entries()
    assert set(entries["when"]) == {"12m", "peak", "end", "cumulative"}
    assert len(result.trajectories) > 0 and result.effects["exact"].any()


def test_a_scenario_built_in_python_equals_its_file(compiled, tmp_path):
    """configs/scenario/no_cpec.yaml, written as a dataclass and as a dict."""
    shipped = Simulation("no_cpec", **SMALL).run(out_dir=tmp_path / "file")
    edit = Edit(action="remove", match=Match(source="CHN", target="PAK", type="investment"))
    built = Scenario(name="no_cpec", description="Chinese investment in Pakistan (CPEC) removed",
                     lever_date="2015-04", edits=[edit])
    as_class = Simulation(built, **SMALL).run(out_dir=tmp_path / "class")
    as_dict = Simulation({"name": "no_cpec", "lever_date": "2015-04", "edits": [
        {"action": "remove", "match": {"source": "CHN", "target": "PAK", "type": "investment"}}]},
        **SMALL).run(out_dir=tmp_path / "dict")
    assert as_class.summary["effects"] == shipped.summary["effects"]
    assert as_dict.summary["effects"] == shipped.summary["effects"]


def test_an_added_event_and_parameters_as_values(compiled, tmp_path):
    added = Scenario(name="big_freeze", lever_date="2017-06", edits=[Edit(
        action="add", event=NewEvent(date="2017-06", source="USA", target="PAK", type="aid_cut",
                                     magnitude=4e9))])
    result = Simulation(added, params={"beta": 0.03}, **SMALL).run(out_dir=tmp_path)
    assert result.summary["params"]["beta"] == 0.03
    row = result.entries().query("source == 'PAK' and target == 'USA' and when == '12m'")
    assert row["date"].item() == "2018-06" and row["mean"].item() < 0


@pytest.mark.parametrize("scenario,keys,field", [
    ("no_such_scenario", {}, "no_such_scenario"),
    (None, {"replicatez": 3}, "replicatez: not a setting"),
    (None, {"params": {"beta": "much"}}, "params.beta: Value 'much'"),
    ({"name": "x", "edits": [{"action": "remove", "mtch": {}}]}, {}, "overrides"),
])
def test_bad_input_raises_one_clear_error(scenario, keys, field):
    with pytest.raises(InputError, match=field):
        Simulation(scenario, **keys)


def test_the_model_in_one_line_agrees_with_the_ensemble(compiled, tmp_path):
    simulation = Simulation("aid_freeze", output={"keep_replicates": 2}, **SMALL)
    trajectories = simulation.run(out_dir=tmp_path).trajectories
    model = simulation.model(variant="scenario", replicate=1)
    for _ in range(24):
        model.step()
    raw = trajectories[(trajectories["variant"] == "scenario") & (trajectories["stat"] == "raw1")]
    codes = model.codes
    expected = np.zeros((25, len(codes), len(codes)))
    for row in raw[raw["step"] <= 24].itertuples():
        expected[row.step, codes.index(row.source), codes.index(row.target)] = row.value
    got = model.trajectory()
    got[:, np.arange(len(codes)), np.arange(len(codes))] = 0.0
    np.testing.assert_array_equal(got, expected)
    assert scenarios() == sorted(p.stem for p in (ROOT / "configs" / "scenario").glob("*.yaml"))


def test_the_tutorial_notebook_runs_and_shows_what_it_committed(compiled):
    """Executed on this checkout (docs/tutorial_outputs.py), the notebook shows the outputs
    committed with it: text and tables alike, and as many images."""
    spec = importlib.util.spec_from_file_location("tutorial_outputs",
                                                  ROOT / "docs" / "tutorial_outputs.py")
    outputs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(outputs)
    committed = nbformat.read(outputs.NOTEBOOK, as_version=4)
    fresh = outputs.executed(committed)
    shown = outputs.shown(fresh)
    flat = [o for cell in shown for o in cell]
    assert not [o for o in flat if o[0] == "error"]
    assert sum("<image>" in str(o) for o in flat) == 2, "no effect figure or Mesa figure"
    text = "".join(o[2] for o in flat if o[:2] == ("stream", "stdout"))
    assert "119 months stepped" in text  # the Mesa model runs past the lever to the end
    assert "choices of a state in a month, from 2018-" in text  # the states act after the lever
    assert shown == outputs.shown(committed), "run python docs/tutorial_outputs.py"


def test_a_python_run_refuses_an_output_directory_that_holds_files(tmp_path):
    """As the command line does: an earlier run's files are never replaced."""
    used = tmp_path / "used"
    used.mkdir()
    (used / "summary.json").write_text("{}")
    for out in (used, tmp_path / "file.txt"):
        (tmp_path / "file.txt").write_text("mine\n")
        with pytest.raises(InputError) as info:
            Simulation(replicates=5).run(out_dir=out)
        assert info.value.field == "out_dir"
    assert (used / "summary.json").read_text() == "{}"
    assert (tmp_path / "file.txt").read_text() == "mine\n"


@pytest.mark.parametrize("make", [
    lambda: Simulation(5),
    lambda: Simulation(overrides="seed=1"),
    lambda: Simulation(replicates="many"),
    lambda: Simulation(params="../../configs/config"),
    lambda: Simulation({"name": "x", "edits": [{"action": "add", "event": {
        "date": "2017-06", "source": "USA", "target": "PAK", "magnitude": 1.0}}]}).run(),
    lambda: Simulation("aid_freeze", overrides=["scenario.lever_date=${scenario.nope}"]).run(),
    lambda: __import__("sim.api").api.Result({}, Path("/nonexistent")).trajectories,
], ids=["scenario_not_a_scenario", "overrides_not_a_list", "value_of_the_wrong_type",
        "params_outside_its_group", "added_event_without_a_type", "interpolation_of_nothing",
        "result_without_tables"])
def test_every_user_mistake_in_python_is_an_input_error(make, tmp_path):
    with pytest.raises(InputError) as info:
        make()
    assert "\n" not in str(info.value)


def test_python_says_when_it_compiles(compiled, tmp_path, capsys, monkeypatch):
    """A run and the Mesa model print the compile notice on stderr when numba's cache lacks
    their code (here: told it does), and nothing on stdout."""
    import sim.run.run as run_module

    monkeypatch.setattr(run_module, "kernels_cached", lambda n_states: False)
    monkeypatch.setattr(run_module, "cached", lambda *dispatchers: False)
    simulation = Simulation(replicates=5, start="2019-01")
    simulation.run(out_dir=tmp_path / "run", progress=False)
    simulation.model()
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.splitlines() == [run_module.compile_notice("the kernel"),
                                     run_module.compile_notice("the Mesa model's step at its "
                                                               "first step()")]
