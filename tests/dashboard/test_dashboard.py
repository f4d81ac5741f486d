"""The dashboard without a browser: its run is the command line's, bad values name their
control, controls follow the params config, and the page (solara.render) reacts."""

import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from omegaconf import OmegaConf
from support import ROOT, sim_env

pytest.importorskip("solara", reason="the dashboard extra is not installed (pip install -e '.[dashboard]')")

from sim.dashboard.controls import param_controls  # noqa: E402
from sim.dashboard.session import (  # noqa: E402
    TABLE_HEAD,
    Choices,
    PageError,
    answer_text,
    default_params_set,
    effect_summary,
    group_names,
    interval_note,
    model_arguments,
    page_config,
    run_page,
    split_answer,
)
from sim.model.mesa import GeoModel  # noqa: E402
from sim.run.console import answer_lines as answer_text_of  # noqa: E402
from sim.run.run import prepare, run, simulate_setup  # noqa: E402

REPLICATES = 40
# Mesa's own SolaraViz module trips Solara's rules-of-hooks check when imported
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:solara.validate_hooks")


def wait_until(condition, timeout: float = 120.0) -> None:
    """Poll `condition` (the page works in threads) until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        pause.wait(0.05)


def test_page_run_is_the_command_line_run(compiled, compose_config, tmp_path):
    page = run_page(Choices(scenario="aid_freeze", keys={"amount_usd": 4e9}, params={"beta": 0.05},
                            replicates=REPLICATES, seed=3))
    cfg = compose_config(["+scenario=aid_freeze", "scenario.amount_usd=4e9",
                          "params.beta=0.05", f"replicates={REPLICATES}", "seed=3"])
    summary = run(cfg, tmp_path, progress=False)
    ens, _ = simulate_setup(prepare(cfg), cfg, progress=False)
    assert page.variants == ("reference", "scenario")
    np.testing.assert_array_equal(page.ens.mean, ens.mean)
    np.testing.assert_array_equal(page.ens.quantiles, ens.quantiles)
    assert page.entries == summary["effects"]  # the console's table, number for number
    # the table the page shows and downloads gives each entry's median and share moved, and
    # its answer names the threshold they count against
    table = effect_summary(page)
    assert table["median"].tolist() == [e["median"] for e in summary["effects"]]
    assert table["moved"].tolist() == [e["moved"] for e in summary["effects"]]
    assert f"moved by more than {summary['effect_threshold']:g} the way of the mean" in \
        "\n".join(answer_text(page))


@pytest.mark.parametrize("params_set", group_names("params"))
def test_each_parameter_set_gives_the_command_lines_answer(compiled, compose_config, tmp_path,
                                                           params_set):
    page = run_page(Choices(params_set=params_set, replicates=REPLICATES))
    cfg = compose_config(["+scenario=aid_freeze", f"params={params_set}",
                          f"replicates={REPLICATES}"])
    summary = run(cfg, tmp_path, progress=False)
    assert page.entries == summary["effects"]
    assert answer_text(page) == answer_text_of(summary)


def test_page_defaults_are_the_command_lines(compose_config):
    choices = Choices()
    assert choices.overrides() == ["+scenario=aid_freeze"]  # nothing set that the user did not
    assert page_config(choices) == compose_config(["+scenario=aid_freeze"])
    assert default_params_set() == "posterior"


NUMBER = re.compile(r"[0-9]{4}-[0-9]{2}|[+-]?[0-9][0-9.]*%?|‡")


def test_answer_table_holds_every_printed_number(compiled):
    """The page lays the console's effect table out as cells: every line stays, and each row's
    cells hold the numbers of its printed line, in order."""
    run = run_page(Choices(replicates=REPLICATES))
    lines = answer_text(run)
    answer = split_answer(lines)
    head = lines.index(next(line for line in lines if line.startswith(TABLE_HEAD)))
    printed = lines[head + 1:head + 1 + len(answer.rows)]
    assert answer.before == lines[:head] and answer.after == lines[head + 1 + len(answer.rows):]
    assert len(answer.rows) == len({(e["source"], e["target"]) for e in run.entries}) > 0
    assert not any("->" in line for line in answer.after)  # no row left out of the table
    for row, line in zip(answer.rows, printed, strict=True):
        cells = [cell for when in ("12m", "peak", "cumulative") for cell in row.cells[when]]
        cells.insert(5, row.peak_date)
        assert NUMBER.findall(" ".join(cells)) == NUMBER.findall(line.split("->")[1])
        assert line.startswith(f" {'*' if row.touched else ' '}{row.source} -> {row.target} ")


@pytest.mark.parametrize("params_set,words", [
    ("posterior", "Each replicate takes its own draw of the parameters from the posterior"),
    ("point", "Every replicate runs the same parameter values"),
])
def test_page_says_what_its_interval_holds(compiled, params_set, words):
    run = run_page(Choices(params_set=params_set, replicates=REPLICATES))
    note = interval_note(run, {})
    assert words in note and run.summary["effect_interval"] in note
    assert f"exact 5% to 95% quantile range of the {REPLICATES:,} paired replicates" in note


@pytest.mark.parametrize("choices,control,words", [
    (Choices(keys={"amount_usd": -1.0}), "amount_usd", "must be an amount of US dollars > 0"),
    (Choices(keys={"date": "2030-01"}), "date", "outside the run"),
    (Choices(keys={"date": "2018-13"}), "date", "is not a month"),
    (Choices(focus="XYZ"), "focus", "unknown state 'XYZ'"),
    (Choices(params={"beta": 2.0}), "params.beta", "must be a number in [0.0, 1.0]"),
    (Choices(params={"money_ref_usd": -5.0}), "params.money_ref_usd", "must be a number > 0"),
    (Choices(scenario="russia_arms", keys={"factor": -1.0}), "factor", "must be a number >= 0"),
    (Choices(replicates=0), "replicates", "at least 1"),
    (Choices(scenario="no_such"), "scenario", "no scenario named 'no_such'"),
])
def test_bad_value_names_its_control(choices, control, words):
    with pytest.raises(PageError) as caught:
        run_page(choices)
    assert caught.value.control == control
    assert words in caught.value.message
    assert "\n" not in caught.value.message


def test_switched_off_event_acts_in_the_scenario_only(compiled):
    base = run_page(Choices(scenario=None, replicates=REPLICATES))
    assert base.variants == ("reference",)
    off = run_page(Choices(scenario=None, events_off=frozenset({"abbottabad_raid_2011"}),
                           replicates=REPLICATES))
    assert off.variants == ("reference", "scenario")
    assert off.events_off == ("abbottabad_raid_2011",)
    reference, scenario = (set(events["id"]) for events in off.setup.schedules.events)
    assert reference == set(base.setup.catalogue["id"])  # the reference replays the record
    assert reference - scenario == {"abbottabad_raid_2011"}
    effect = effect_summary(off).set_index(["source", "target", "when"])
    assert effect.loc[("PAK", "USA", "12m"), "mean"] > 0  # no raid: Pakistan warmer to the US
    assert effect.loc[("PAK", "USA", "12m"), "p05"] <= effect.loc[("PAK", "USA", "12m"), "mean"]


def test_event_the_scenario_already_removed_is_not_switchable(compiled):
    run = run_page(Choices(scenario="aid_freeze", replicates=REPLICATES,
                           events_off=frozenset({"us_pak_aid_freeze_2018"})))
    assert "us_pak_aid_freeze_2018" not in run.switchable
    assert run.events_off == ()


@pytest.mark.parametrize("scenario", ["aid_freeze", "russia_arms"])
def test_mesa_replicate_is_the_ensembles(compiled, scenario):
    run = run_page(Choices(scenario=scenario, replicates=3))
    cfg = run.cfg.copy()
    cfg.output.keep_replicates = 3
    ens, _ = simulate_setup(run.setup, cfg, progress=False)
    model = GeoModel(**model_arguments(run, 2))
    while model.running:
        model.step()
    history = run.variants.index(run.setup.schedules.history)
    np.testing.assert_array_equal(model.trajectory(), ens.raw[2, history])
    with pytest.raises(PageError, match="not a replicate"):
        model_arguments(run, 3)


def test_controls_follow_the_params_config():
    params = {"lam": 0.1, "new_rate": 0.3, "actions": {"visit_rate": 0.2, "note": "text"},
              "weights": {"aid": 7.4}, "flag": True, "provenance": {"seed": 0}}
    controls = {c.path: c for c in param_controls(params)}
    assert list(controls) == ["lam", "new_rate", "actions.visit_rate", "weights.aid"]
    assert (controls["lam"].low, controls["lam"].high) == (0.0, 1.0)
    assert controls["new_rate"].low is None and controls["actions.visit_rate"].low is None
    assert (controls["weights.aid"].low, controls["weights.aid"].high) == (-10.0, 10.0)
    assert controls["actions.visit_rate"].group == "actions"


@pytest.mark.parametrize("params_set", group_names("params"))
def test_every_number_of_each_params_set_has_a_control(params_set, compose_config):
    params = OmegaConf.to_container(compose_config([f"params={params_set}"]).params)
    numbers = [k for k, v in params.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    numbers += [f"weights.{k}" for k in params["weights"]]
    assert {c.path for c in param_controls(params)} >= set(numbers)


def figure(rc, css: str) -> bytes | None:
    """The PNG of the page's figure `css` once drawn for the run shown (None before)."""
    import ipywidgets

    drawn = [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets
             if css in w._dom_classes and "current" in w._dom_classes]
    return drawn[0] if drawn else None


def test_page_renders_redraws_and_shows_bad_values(compiled):
    import ipyvuetify as v
    import solara

    from sim.dashboard import app

    app.choices.set(Choices(replicates=REPLICATES))
    app.errors.set({})
    app.drawn.set(None)
    box, rc = solara.render(app.Content(sidebar=False), handle_error=False)
    try:
        wait_until(lambda: app.drawn.value is not None and figure(rc, "figure-effect") is not None)
        first, first_figure = app.drawn.value, figure(rc, "figure-effect")
        assert first.run.cfg.scenario.amount_usd == 2e9
        for label in ("date (YYYY-MM)", "amount (US$)"):  # fields left as they were
            field = rc.find(v.TextField, label=label).widget
            field.fire_event("focusout", None)
            field.fire_event("keyup.enter", None)
        assert app.choices.value == Choices(replicates=REPLICATES)  # no control wrote a value

        amount = rc.find(v.TextField, label="amount (US$)").widget
        amount.v_model = "4e9"
        amount.fire_event("keyup.enter", None)
        wait_until(lambda: app.drawn.value is not first)
        assert app.drawn.value.run.cfg.scenario.amount_usd == 4e9
        # the new run's effect figure replaces the first (fails by timing out if it never does)
        wait_until(lambda: figure(rc, "figure-effect") not in (None, first_figure))

        shown = app.drawn.value
        amount.v_model = "-1"
        amount.fire_event("keyup.enter", None)
        wait_until(lambda: "amount_usd" in app.errors.value)
        rc.find(v.Alert, children=[app.errors.value["amount_usd"]]).wait_for(timeout=10)
        assert app.drawn.value is shown  # the last good figures stay

        amount.v_model = "two billion"
        amount.fire_event("keyup.enter", None)
        rc.find(v.Alert).assert_not_empty()
        assert "'two billion' is not a number" in app.errors.value["amount_usd"]

        amount.v_model = "3e9"
        amount.fire_event("keyup.enter", None)
        wait_until(lambda: app.drawn.value is not shown and not app.errors.value)
        assert app.drawn.value.run.cfg.scenario.amount_usd == 3e9
    finally:
        rc.close()


def test_command_rejects_a_port_it_cannot_use():
    result = subprocess.run([sys.executable, "-m", "sim.dashboard", "--port", "70000"], cwd=ROOT,
                            env=sim_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --port: 70000")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_page_matrix_and_network_name_the_history_and_the_scenario(compiled, monkeypatch):
    """As the command line's heatmaps and network do: which variant replays the record, and
    the scenario's settings in the title."""
    from sim.dashboard import figures
    monkeypatch.setattr(figures, "png", lambda figure: figure)  # the figure, not its bytes
    page = run_page(Choices(replicates=REPLICATES))
    matrix, network = figures.matrix_png(page, 96), figures.network_png(page, 96)
    history = page.summary["scenario"]["history"]
    labels = [ax.get_ylabel() for ax in matrix.axes]
    assert any(label.startswith(f"{history}\n(the history)") for label in labels)
    assert any(ax.get_title().startswith(f"{history} (the history)") for ax in network.axes)
    for figure in (matrix, network):
        assert "'aid_freeze' (amount_usd $2 bn, date 2018-01)" in figure._suptitle.get_text()
