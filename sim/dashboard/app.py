"""The Solara page: scenario, events and parameters on the left; the run's figures, tables
and one replicate in Mesa on the right.

Built on Solara directly, with Mesa's own ModelController (play, step, reset) for the
Mesa model: SolaraViz itself re-creates its model from flat keyword controls only when
Reset is pressed and lays out fixed-size tiles, while this page reruns a whole ensemble
on every change and shows each bad value beside its control.

State lives in Solara reactives, one set per browser session. Every change of the
choices runs the ensemble in a thread (sim.run.run, through session.run_page) and draws its
figures there; a bad value leaves the last good figures on the page.
"""

import time
from dataclasses import dataclass, replace

import pandas as pd
import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from omegaconf import OmegaConf

from sim.dashboard import figures
from sim.dashboard.controls import ParamControl, groups, param_controls
from sim.dashboard.session import (
    Choices,
    PageError,
    PageRun,
    base_config,
    catalogue_events,
    effect_summary,
    effects,
    group_names,
    model_arguments,
    replicate_table,
    run_page,
    scenario_keys,
    trajectories,
)
from sim.data.dates import month_label
from sim.model.mesa import GeoModel

NO_SCENARIO = "(none)"
KEY_LABELS = {"amount_usd": "amount (US$)", "date": "date (YYYY-MM)", "factor": "factor"}


@dataclass(frozen=True)
class Drawn:
    """A run and the figures of its main view."""

    run: PageRun
    trajectories: bytes
    effect: bytes | None
    seconds: float  # the whole redraw: run and figures


choices = solara.reactive(Choices())
errors = solara.reactive({})  # control -> message of the current choices
drawn = solara.reactive(None)  # the last good Drawn


def redraw(wanted: Choices) -> None:
    """Run the choices and draw the main figures; on bad input keep the last good ones."""
    clock = time.perf_counter()
    try:
        run = run_page(wanted)
    except PageError as err:
        errors.set({err.control: err.message})
        return
    focus = run.setup.focus
    effect = figures.effect_png(run, focus) if run.has_effect else None
    result = Drawn(run, figures.trajectories_png(run, focus), effect, 0.0)
    errors.set({})
    drawn.set(replace(result, seconds=time.perf_counter() - clock))


def change(**fields) -> None:
    choices.set(replace(choices.value, **fields))


@solara.component
def Message(control: str):
    """The message of `control`, if its value is bad."""
    message = errors.value.get(control)
    if message:
        solara.Error(message, dense=True, classes=[f"error-{control.replace('.', '-')}"])


# ---------------------------------------------------------------- controls


@solara.component
def NumberInput(label: str, value: float, on_value, control: str):
    """A number typed as text (2e9 reads better than 2000000000.0); text that is no number
    gets its message here, and the run never sees it."""

    def parse(text: str):
        try:
            number = float(text.replace(",", "").replace("_", ""))
        except ValueError:
            errors.set({**errors.value, control: f"'{text}' is not a number; write e.g. 2e9 or 0.5"})
            return
        on_value(number)

    solara.InputText(label, value=f"{value:g}".replace("e+0", "e").replace("e+", "e"),
                     on_value=parse)


@solara.component
def ScenarioControls():
    current = choices.value
    cfg = solara.use_memo(lambda: base_config(current.scenario, current.params_set),
                          [current.scenario, current.params_set])
    names = [NO_SCENARIO, *group_names("scenario")]
    solara.Select("scenario", value=current.scenario or NO_SCENARIO, values=names,
                  on_value=lambda name: change(scenario=None if name == NO_SCENARIO else name,
                                               keys={}))
    Message("scenario")
    if cfg.scenario is not None and cfg.scenario.description:
        solara.Text(cfg.scenario.description, style={"font-size": "0.85em", "color": "#555"})
    for key, default in scenario_keys(cfg).items():
        value = current.keys.get(key, default)

        def set_key(new, key=key):
            change(keys={**choices.value.keys, key: new})

        if key == "date":
            solara.InputText(KEY_LABELS[key], value=str(value), on_value=set_key)
        else:
            NumberInput(KEY_LABELS.get(key, key), float(value), set_key, key)
        Message(key)


@solara.component
def RunControls():
    current = choices.value
    solara.InputInt("replicates", value=current.replicates,
                    on_value=lambda n: change(replicates=n))
    Message("replicates")
    solara.InputInt("seed", value=current.seed, on_value=lambda n: change(seed=n))
    Message("seed")
    solara.InputText("focus state (code)", value=current.focus,
                     on_value=lambda code: change(focus=code))
    Message("focus")


@solara.component
def ParamInput(control: ParamControl):
    value = choices.value.params.get(control.path, control.value)

    def set_value(new):
        change(params={**choices.value.params, control.path: new})

    if control.low is None:
        NumberInput(control.name, value, set_value, f"params.{control.path}")
    else:
        solara.SliderFloat(f"{control.name} = {value:.4g}", value=value, min=control.low,
                           max=control.high, step=control.step, on_value=set_value)
    Message(f"params.{control.path}")


@solara.component
def ParamControls():
    current = choices.value
    cfg = solara.use_memo(lambda: base_config(current.scenario, current.params_set),
                          [current.scenario, current.params_set])
    controls = param_controls(OmegaConf.to_container(cfg.params, resolve=True))
    solara.Select("parameter set", value=current.params_set, values=group_names("params"),
                  on_value=lambda name: change(params_set=name, params={}))
    Message("params_set")
    solara.Button("Back to the set's values", text=True, disabled=not current.params,
                  on_click=lambda: change(params={}))
    for group, members in groups(controls).items():
        if group:
            solara.Text(group, style={"font-weight": "bold", "margin-top": "8px"})
        for control in members:
            ParamInput(control)


# ---------------------------------------------------------------- views


@solara.component
def Status(task):
    current = choices.value
    if task.pending:
        solara.ProgressLinear(True)
        solara.Text(f"Simulating {current.replicates:,} replicates…")
    elif errors.value and drawn.value is not None:
        solara.Warning("Not run: correct the marked value. The figures are the last good run's.",
                       dense=True)
    elif drawn.value is not None:
        run = drawn.value.run
        solara.Text(f"{run.cfg.replicates:,} replicates × {len(run.variants)} variants, "
                    f"{run.cfg.start} to {run.cfg.end}: redrawn in {drawn.value.seconds:.2f} s "
                    f"(simulation {run.seconds:.2f} s)", classes=["redraw-time"])
    Message("page")


@solara.component
def EffectTable(run: PageRun):
    table = effect_summary(run)
    if table.empty:
        return
    solara.Markdown("**Effect** (scenario − reference over paired replicates: mean, exact "
                    "90% interval and median, and the share of replicates `moved` the way of "
                    f"the mean by more than {run.cfg.output.effect_threshold:g}; the edited "
                    "pairs, then the focus state's, largest first)")
    shown = table.dropna(axis="columns", how="all")
    for column in ("mean", "p05", "p95", "median"):
        shown[column] = shown[column].map(lambda x: f"{x:+.4f}")
    shown["moved"] = shown["moved"].map(lambda x: f"{x:.0%}")
    if "months" in shown:
        shown["months"] = shown["months"].map(lambda x: "" if pd.isna(x) else str(int(x)))
    shown = shown.fillna("")
    solara.DataFrame(shown, items_per_page=20)


@solara.component
def Downloads(run: PageRun):
    with solara.Row(style={"flex-wrap": "wrap"}):
        summary = effect_summary(run)
        if not summary.empty:
            solara.FileDownload(lambda: summary.to_csv(index=False), filename="effect_summary.csv",
                                label="effect_summary.csv")
        solara.FileDownload(lambda: trajectories(run).to_csv(index=False),
                            filename="trajectories.csv", label="trajectories.csv")
        if run.entries:
            solara.FileDownload(lambda: effects(run).to_csv(index=False), filename="effects.csv",
                                label="effects.csv")


@solara.component
def EventSwitches(run: PageRun):
    events = catalogue_events(run)
    timeline = solara.use_memo(lambda: figures.timeline_png(events, run),
                               [run.switchable, run.events_off, run.setup.start, run.setup.n_steps])
    solara.Markdown("Switch recorded events off: they are removed in the scenario variant "
                    "(on top of the scenario's own edits), so the effect shows what they did.")
    items = [{"text": label, "value": ident} for label, ident, ok in
             zip(events["label"], events["id"], events["switchable"], strict=True) if ok]
    off = sorted(i for i in choices.value.events_off if i in set(run.switchable))
    solara.v.Autocomplete(label="events switched off", items=items, v_model=off, multiple=True,
                          chips=True, small_chips=True, deletable_chips=True, clearable=True,
                          on_v_model=lambda ids: change(events_off=frozenset(ids or ())))
    solara.Image(timeline)


@solara.component
def MatrixAndNetwork(run: PageRun):
    default = run.setup.n_steps if run.first_change is None else \
        min(run.setup.n_steps, run.first_change + 12)
    chosen = solara.use_reactive(default)
    step = min(chosen.value, run.setup.n_steps)
    solara.SliderInt(f"date: {month_label(run.setup.start + step)}", value=step, min=0,
                     max=run.setup.n_steps, on_value=chosen.set, thumb_label=False)
    matrix = solara.use_memo(lambda: figures.matrix_png(run, step), [run, step])
    network = solara.use_memo(lambda: figures.network_png(run, step), [run, step])
    solara.Image(matrix)
    solara.Image(network)


@solara.component
def ReplicateView(model: solara.Reactive, run: PageRun, replicate: int):
    update_counter.get()  # Mesa's ModelController bumps it after each step
    path = model.value.trajectory()
    variant = run.setup.schedules.history
    solara.Text(f"{month_label(run.setup.start + len(path) - 1)}: step {len(path) - 1} of "
                f"{run.setup.n_steps}", classes=["replicate-step"])
    solara.Image(figures.replicate_png(path, run, variant, replicate, run.setup.focus))
    solara.FileDownload(lambda: replicate_table(model.value, run).to_csv(index=False),
                        filename=f"replicate_{variant}_{replicate}.csv",
                        label=f"replicate_{variant}_{replicate}.csv")


@solara.component
def ReplicatePanel(run: PageRun):
    replicate = solara.use_reactive(0)
    model = solara.use_reactive(None)
    parameters = solara.use_reactive({})
    play_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    key = f"{id(run)}-{replicate.value}"

    def fresh_model():
        try:
            arguments = model_arguments(run, replicate.value)
        except PageError:
            model.set(None)
            return
        parameters.set(arguments)
        model.set(GeoModel(**arguments))

    solara.use_effect(fresh_model, [key])
    solara.Markdown(f"One replicate of the '{run.setup.schedules.history}' variant (the one that "
                    "replays the record) as a Mesa model (`sim.model.mesa.GeoModel`), its states "
                    "choosing in Python, stepped month by month by the same compiled step.")
    solara.InputInt("replicate", value=replicate.value, on_value=replicate.set)
    try:
        model_arguments(run, replicate.value)
    except PageError as err:
        solara.Error(err.message, dense=True, classes=["error-replicate"])
        return
    if model.value is None:
        return
    ModelController(model, model_parameters=parameters, play_interval=play_interval,
                    render_interval=render_interval, use_threads=use_threads).key(key)
    ReplicateView(model, run, replicate.value)


@solara.component
def Results(task):
    if drawn.value is None:
        if not task.pending:
            solara.Info("No run yet: correct the marked value.")
        return
    result = drawn.value
    run = result.run
    with solara.Columns([1, 1]):
        solara.Image(result.trajectories, width="100%", classes=["figure-trajectories"])
        if result.effect is not None:
            solara.Image(result.effect, width="100%", classes=["figure-effect"])
        else:
            solara.Info("No scenario: choose one, or switch recorded events off, to see an "
                        "effect.")
    EffectTable(run)
    Downloads(run)
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Events"):
            EventSwitches(run)
        with solara.lab.Tab("Matrix and network"):
            MatrixAndNetwork(run)
        with solara.lab.Tab("One replicate (Mesa)"):
            ReplicatePanel(run)


@solara.component
def Controls():
    with solara.Card("Scenario"):
        ScenarioControls()
    with solara.Card("Run"):
        RunControls()
    with solara.Card("Parameters"):
        ParamControls()


@solara.component
def Content(sidebar: bool = True):
    """The controls (in the app's sidebar, or above) and the results; a view that fails
    shows one line and a way back, never a stack trace."""
    exception, clear_exception = solara.use_exception()
    wanted = choices.value
    task = solara.lab.use_task(lambda: redraw(wanted), dependencies=[wanted])
    if sidebar:
        with solara.Sidebar():
            Controls()
    else:
        Controls()
    if exception is not None:
        solara.Error(f"This view failed ({type(exception).__name__}: {exception}); the page still "
                     "works: change a value or press the button.")
        solara.Button("Show the results again", on_click=clear_exception)
        return
    Status(task)
    Results(task)


@solara.component
def Page():
    solara.Title("sim: alignments between states")
    with solara.AppBar():
        solara.AppBarTitle("Alignments between states: scenarios")
    Content()
