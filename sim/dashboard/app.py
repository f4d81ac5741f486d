"""The Solara page: scenario, events and parameters on the left; the run's figures, tables
and one replicate in Mesa on the right.

Built on Solara directly, with Mesa's own ModelController (play, step, reset) for the
Mesa model: SolaraViz itself re-creates its model from flat keyword controls only when
Reset is pressed and lays out fixed-size tiles, while this page reruns a whole ensemble
on every change and shows each bad value beside its control.

State lives in Solara reactives, one set per browser session. Every change of the
choices runs the ensemble in a thread (sim.run.run, through session.run_page) and shows its
answer; each figure then draws in a thread of its own (FigureImage), so the answer never
waits for a figure. A bad value leaves the last good answer and figures on the page.
"""

import html
import json
import time
from dataclasses import dataclass, replace

import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from omegaconf import OmegaConf

from sim.dashboard import figures
from sim.dashboard.controls import ParamControl, groups, param_controls
from sim.dashboard.session import (
    Answer,
    Choices,
    PageError,
    PageRun,
    answer_text,
    base_config,
    catalogue_events,
    default_params_set,
    effect_summary,
    effects,
    group_names,
    interval_note,
    model_arguments,
    replicate_table,
    run_page,
    scenario_keys,
    split_answer,
    trajectories,
)
from sim.data.dates import month_label
from sim.model.mesa import GeoModel

NO_SCENARIO = "(none)"
KEY_LABELS = {"amount_usd": "amount (US$)", "date": "date (YYYY-MM)", "factor": "factor"}


@dataclass(frozen=True)
class Drawn:
    """A run and what it took: composition, checks and simulation (its figures draw after)."""

    run: PageRun
    wanted: Choices  # what the user set for it
    seconds: float


choices = solara.reactive(Choices())
errors = solara.reactive({})  # control -> message of the current choices
drawn = solara.reactive(None)  # the last good Drawn


def redraw(wanted: Choices) -> None:
    """Run the choices; on bad input keep the last good run. The answer shows at once, each
    figure draws in its own task (FigureImage)."""
    clock = time.perf_counter()
    try:
        run = run_page(wanted)
    except PageError as err:
        errors.set({err.control: err.message})
        return
    errors.set({})
    drawn.set(Drawn(run, wanted, time.perf_counter() - clock))


def change(**fields) -> None:
    choices.set(replace(choices.value, **fields))


def Prose(*children, class_: str = ""):
    """A paragraph of plain text (and widgets): Markdown would load KaTeX's stylesheet, which
    an offline page does not have."""
    return solara.v.Html(tag="p", children=list(children), class_=class_)


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

    shown = f"{value:g}".replace("e+0", "e").replace("e+", "e")

    def parse(text: str):
        if text == shown:  # the field left as it was: the value stays exact
            return
        try:
            number = float(text.replace(",", "").replace("_", ""))
        except ValueError:
            errors.set({**errors.value, control: f"'{text}' is not a number; write e.g. 2e9 or 0.5"})
            return
        on_value(number)

    solara.InputText(label, value=shown, on_value=parse)


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
    cfg = solara.use_memo(lambda: base_config(None, current.params_set), [current.params_set])
    for key in ("replicates", "seed"):
        chosen = getattr(current, key)

        def set_key(n, key=key):
            if n != getattr(cfg, key) or getattr(choices.value, key) is not None:
                change(**{key: n})

        solara.InputInt(key, value=cfg[key] if chosen is None else chosen, on_value=set_key)
        Message(key)
    solara.InputText("focus state (code)", value=current.focus,
                     on_value=lambda code: change(focus=code))
    Message("focus")


@solara.component
def ParamInput(control: ParamControl):
    """The parameter table's words for the value, its exact value and code name, and a slider
    over the documented range by positions: it writes a value only when the user moves it."""
    value = choices.value.params.get(control.path, control.value)

    def set_value(new):
        change(params={**choices.value.params, control.path: new})

    def moved(position: int):
        if position != control.position(value):
            set_value(control.value_at(position))

    if control.low is None:
        NumberInput(f"{control.label} ({control.name})", value, set_value, f"params.{control.path}")
    else:
        with solara.Row(justify="space-between", classes=["param-head"],
                        style={"align-items": "baseline", "gap": "6px"}):
            solara.Text(control.label, classes=["param-label"], style={"font-size": "0.85em"})
            solara.Text(f"{control.name} = {value:g}", classes=["param-value"],
                        style={"font-size": "0.8em", "color": "#555", "white-space": "nowrap"})
        solara.SliderInt("", value=control.position(value), min=0, max=control.positions,
                         on_value=moved, thumb_label=False)
    Message(f"params.{control.path}")


@solara.component
def ParamControls():
    current = choices.value
    cfg = solara.use_memo(lambda: base_config(current.scenario, current.params_set),
                          [current.scenario, current.params_set])
    controls = param_controls(OmegaConf.to_container(cfg.params, resolve=True))
    solara.Select("parameter set", value=current.params_set or default_params_set(),
                  values=group_names("params"),
                  on_value=lambda name: change(params_set=name, params={}))
    Message("params_set")
    if cfg.params.draws:
        solara.Text("Each replicate takes its own posterior draw; the values shown are the draws' "
                    "medians, and a value you move holds for every replicate.",
                    style={"font-size": "0.8em", "color": "#555"})
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
        replicates = current.replicates or base_config(None, current.params_set).replicates
        solara.Text(f"Simulating {replicates:,} paired replicates…", classes=["simulating"])
    elif errors.value and drawn.value is not None:
        solara.Warning("Not run: correct the marked value. The answer and figures are the last "
                       "good run's.", dense=True)
    elif drawn.value is not None:
        run = drawn.value.run
        solara.Text(f"{run.cfg.replicates:,} replicates × {len(run.variants)} variants, "
                    f"{run.cfg.start} to {run.cfg.end}: answered in {drawn.value.seconds:.2f} s "
                    "(the figures follow)", classes=["redraw-time"])
    Message("page")


@solara.component
def FigureImage(draw, dependencies: list, what: str, css: str, width: str | None = "100%"):
    """A figure drawn in its own thread: the page answers first, a bar runs while it draws,
    and the last figure stays (dimmed) until the new one is there."""
    task = solara.lab.use_task(draw, dependencies=dependencies)
    if task.pending:
        solara.ProgressLinear(True)
        solara.Text(f"Drawing {what}…", classes=["drawing"], style={"font-size": "0.85em"})
    image = task.value if task.finished else task.latest
    if image is not None:
        solara.Image(image, width=width, classes=[css, "stale" if task.pending else "current"])


def table_row(tag: str, cells: list[tuple[str, str]], **attributes) -> str:
    """One HTML table row of (text, class) cells, everything escaped; `attributes` on the row
    (data_pair: data-pair)."""
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(str(v))}"' for k, v in attributes.items())
    out = "".join(f'<{tag} class="{css}">{html.escape(text)}</{tag}>' for text, css in cells)
    return f"<tr{extra}>{out}</tr>"


def effect_table_html(answer: Answer, threshold: float) -> str:
    """The console's effect table, a row per pair and entry, each number as printed."""
    head = table_row("th", [("pair", "pair"), ("entry", "entry"), ("mean", "num"),
                            ("90% interval", "num"), ("median", "num"),
                            (f"moved > {threshold:g}", "num")])
    bodies = []
    for row in answer.rows:
        pair = f"{row.source} → {row.target}" + ("*" if row.touched else "")
        labels = {"12m": answer.heads["12m"], "peak": f"peak, {row.peak_date}",
                  "cumulative": answer.heads["cumulative"]}
        lines = [table_row("td", [(pair if k == 0 else "", "pair"), (labels[when], "entry"),
                                  (mean, "num"), (interval + mark, "num"), (median, "num"),
                                  (moved, "num")],
                           data_pair=f"{row.source}->{row.target}", data_when=when)
                 for k, (when, (mean, interval, mark, median, moved)) in enumerate(row.cells.items())]
        bodies.append(f"<tbody>{''.join(lines)}</tbody>")
    return f'<table class="effect-table"><thead>{head}</thead>{"".join(bodies)}</table>'


TABLE_CSS = """
.effect-table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums;
  margin: 4px 0 8px 0; }
.effect-table th, .effect-table td { padding: 1px 10px; white-space: nowrap; text-align: left; }
.effect-table th { border-bottom: 1px solid #999; }
.effect-table .num { text-align: right; }
.effect-table td.pair { font-weight: 600; }
.effect-table tbody:nth-child(even) { background: #f3f5f8; }
pre.answer { font-size: 12px; line-height: 1.35; white-space: pre-wrap; margin: 4px 0; }
img.stale { opacity: 0.45; }
"""


@solara.component
def AnswerText(run: PageRun, wanted: Choices):
    """What `python -m sim` prints for the same keys, its effect table laid out as a table
    (every number as printed), and what the interval holds."""
    command = " ".join(["python -m sim", *wanted.overrides()])
    if run.events_off:
        command += "  (and the switched-off events removed in the scenario)"
    answer = split_answer(answer_text(run))
    solara.Style(TABLE_CSS)
    Prose(solara.v.Html(tag="b", children=["The answer"]), " of this command, as it prints it:")
    solara.v.Html(tag="code", children=[command], class_="command")
    solara.v.Html(tag="pre", children=["\n".join(answer.before)], class_="answer answer-before")
    if answer.rows:
        Prose(interval_note(run, wanted.params), class_="interval-note")
        solara.HTML(unsafe_innerHTML=effect_table_html(answer, run.summary["effect_threshold"]))
    if answer.after:
        solara.v.Html(tag="pre", children=["\n".join(answer.after)], class_="answer answer-after")


@solara.component
def Downloads(run: PageRun):
    with solara.Row(style={"flex-wrap": "wrap"}):
        summary = effect_summary(run)
        if not summary.empty:
            solara.FileDownload(lambda: summary.to_csv(index=False), filename="effect_summary.csv",
                                label="effect_summary.csv")
        solara.FileDownload(lambda: json.dumps(run.summary, indent=2), filename="summary.json",
                            label="summary.json")
        solara.FileDownload(lambda: trajectories(run).to_csv(index=False),
                            filename="trajectories.csv", label="trajectories.csv")
        if run.entries:
            solara.FileDownload(lambda: effects(run).to_csv(index=False), filename="effects.csv",
                                label="effects.csv")


@solara.component
def EventSwitches(run: PageRun):
    events = catalogue_events(run)
    Prose("Switch recorded events off: they are removed in the scenario variant (on top of the "
          "scenario's own edits), so the effect shows what they did.")
    items = [{"text": label, "value": ident} for label, ident, ok in
             zip(events["label"], events["id"], events["switchable"], strict=True) if ok]
    off = sorted(i for i in choices.value.events_off if i in set(run.switchable))
    solara.v.Autocomplete(label="events switched off", items=items, v_model=off, multiple=True,
                          chips=True, small_chips=True, deletable_chips=True, clearable=True,
                          on_v_model=lambda ids: change(events_off=frozenset(ids or ())))
    FigureImage(lambda: figures.timeline_png(events, run),
                [run.switchable, run.events_off, run.setup.start, run.setup.n_steps],
                "the catalogue's timeline", "figure-timeline")


@solara.component
def Trajectories(run: PageRun):
    FigureImage(lambda: figures.trajectories_png(run, run.setup.focus), [run],
                "the trajectories", "figure-trajectories")


@solara.component
def MatrixAndNetwork(run: PageRun):
    default = run.setup.n_steps if run.first_change is None else \
        min(run.setup.n_steps, run.first_change + 12)
    chosen = solara.use_reactive(default)
    step = min(chosen.value, run.setup.n_steps)
    solara.SliderInt(f"date: {month_label(run.setup.start + step)}", value=step, min=0,
                     max=run.setup.n_steps, on_value=chosen.set, thumb_label=False)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
        FigureImage(lambda: figures.matrix_png(run, step), [run, step], "the matrix",
                    "figure-matrix", width=None)
        FigureImage(lambda: figures.network_png(run, step), [run, step], "the network",
                    "figure-network", width=None)


@solara.component
def ReplicateView(model: solara.Reactive, run: PageRun, replicate: int):
    update_counter.get()  # Mesa's ModelController bumps it after each step
    path = model.value.trajectory()
    variant = run.setup.schedules.history
    solara.Text(f"{month_label(run.setup.start + len(path) - 1)}: step {len(path) - 1} of "
                f"{run.setup.n_steps}", classes=["replicate-step"])
    solara.Image(figures.replicate_png(path, run, variant, replicate, run.setup.focus), width="100%",
                 classes=["figure-replicate"])
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
    Prose(f"One replicate of the '{run.setup.schedules.history}' variant (the one that replays "
          "the record) as a Mesa model (sim.model.mesa.GeoModel), its states choosing in Python, "
          "stepped month by month by the same compiled step.")
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
    run = drawn.value.run
    AnswerText(run, drawn.value.wanted)
    if run.has_effect:
        FigureImage(lambda: figures.effect_png(run, run.setup.focus), [run], "the effect figure",
                    "figure-effect")
    else:
        solara.Info("No scenario: choose one, or switch recorded events off, to see an effect.")

    Downloads(run)
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Trajectories"):
            Trajectories(run)
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
    with solara.Column(style={"min-width": "0", "width": "100%"}):  # shrinks to the window
        Status(task)
        Results(task)


@solara.component
def Page():
    solara.Title("sim: alignments between states")
    with solara.AppBar():
        solara.AppBarTitle("Alignments between states: scenarios")
    Content()
