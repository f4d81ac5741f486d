"""What the page asks for, as a run configuration, and the run through sim.run.run.

The page composes the same Hydra configuration the command line would (`+scenario=NAME
params=SET` and keys), runs it with sim.run.run's prepare() and simulate_setup(), and reads
its tables with sim.run.tables, so the page and `python -m sim` cannot disagree. A bad value
raises PageError naming the control it belongs to, with the run's own one-line reason.
"""

import copy
import functools
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.api import model_arguments as variant_model_arguments
from sim.config.options import groups
from sim.config.schema import Edit, EventMatch, ScenarioConfig, register
from sim.data.dates import month_dates, month_label, parse_month
from sim.errors import InputError
from sim.model.ensemble import Ensemble
from sim.model.mesa import GeoModel
from sim.paths import CONFIG_DIR
from sim.run.console import answer_lines
from sim.run.effects import OUTSIDE_MARK, mark_entries
from sim.run.run import Setup, prepare, simulate_answer, summarise
from sim.run.tables import effects_table, long_table, trajectories_table

SCENARIO_KEYS = ("amount_usd", "date", "factor")  # the keys a scenario file may offer
EVENTS_OFF = "events_off"  # the scenario's name when only switched-off events make one
# fields of the run's InputError -> the page control that shows the message
FIELD_CONTROLS = {"scenario.amount_usd": "amount_usd", "factor": "factor",
                  "scenario.factor": "factor", "focus": "focus", "replicates": "replicates",
                  "seed": "seed"}

_HYDRA = threading.Lock()  # Hydra's compose API keeps global state
_KERNEL = threading.Lock()  # one ensemble at a time: sessions share the cores


class PageError(Exception):
    """Bad input on the page: the control it belongs to (or "page") and what to do."""

    def __init__(self, control: str, message: str):
        self.control, self.message = control, message
        super().__init__(f"{control}: {message}")


@dataclass(frozen=True)
class Choices:
    """Everything the page asks of a run. Only what the user set is held: None (or empty)
    leaves the command line's own default, so the first run is `python -m sim
    +scenario=aid_freeze` itself."""

    scenario: str | None = "aid_freeze"
    keys: Mapping[str, object] = field(default_factory=dict)  # scenario key -> value
    events_off: frozenset[str] = frozenset()  # catalogue ids removed in the scenario
    params_set: str | None = None  # None: the configuration's default set
    params: Mapping[str, float] = field(default_factory=dict)  # "beta", "weights.aid" -> value
    replicates: int | None = None
    seed: int | None = None
    focus: str = ""  # "": the run's default (PAK if present)

    def overrides(self) -> list[str]:
        """The command line of these choices (`python -m sim` followed by these) when no
        event is switched off."""
        found = [f"+scenario={self.scenario}"] if self.scenario else []
        found += [f"params={self.params_set}"] if self.params_set else []
        found += [f"scenario.{key}={value}" for key, value in self.keys.items()]
        found += [f"params.{path}={value!r}" for path, value in self.params.items()]
        found += [f"{key}={value}" for key, value in (("replicates", self.replicates),
                                                      ("seed", self.seed)) if value is not None]
        return found + ([f"focus={self.focus.strip().upper()}"] if self.focus.strip() else [])


def group_names(group: str) -> list[str]:
    """The configs of a group (`scenario`, `params`) by name."""
    return sorted(path.stem for path in groups()[group].glob("*.yaml"))


@functools.cache
def default_params_set() -> str:
    """The params group the base configuration (configs/config.yaml) chooses."""
    for entry in OmegaConf.load(CONFIG_DIR / "config.yaml").defaults:
        if isinstance(entry, Mapping) and "params" in entry:
            return str(entry["params"])
    raise PageError("params_set", "configs/config.yaml chooses no params set")


@functools.cache  # one per scenario and parameter set on disk (base_config checks the names)
def _composed(scenario: str | None, params_set: str | None) -> DictConfig:
    overrides = [f"params={params_set}"] if params_set else []
    overrides += [f"+scenario={scenario}"] if scenario else []
    with _HYDRA:
        register()
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose(config_name="config", overrides=overrides)


def base_config(scenario: str | None, params_set: str | None) -> DictConfig:
    """The configuration of `python -m sim [+scenario=NAME] [params=SET]` (a copy)."""
    if scenario is not None and scenario not in group_names("scenario"):
        raise PageError("scenario", f"no scenario named '{scenario}'; choose one of "
                        f"{', '.join(group_names('scenario'))}")
    if params_set is not None and params_set not in group_names("params"):
        raise PageError("params_set", f"no parameter set named '{params_set}'; choose one of "
                        f"{', '.join(group_names('params'))}")
    return copy.deepcopy(_composed(scenario, params_set))


def scenario_keys(cfg: DictConfig) -> dict[str, object]:
    """The keys (amount, date, factor) the configured scenario offers, with their values."""
    if cfg.scenario is None:
        return {}
    return {key: cfg.scenario[key] for key in SCENARIO_KEYS if cfg.scenario[key] is not None}


def _set(cfg: DictConfig, key: str, value, control: str) -> None:
    try:
        OmegaConf.update(cfg, key, value, merge=False)
    except (OmegaConfBaseException, ValueError) as err:
        raise PageError(control, f"{value!r} does not fit {key}: "
                        f"{str(err).splitlines()[0]}") from None


def page_config(choices: Choices, events_off=()) -> DictConfig:
    """The run configuration of the page's choices, with `events_off` removed in the scenario."""
    cfg = base_config(choices.scenario, choices.params_set)
    for key, value in choices.keys.items():
        if key in scenario_keys(cfg):
            _set(cfg, f"scenario.{key}", value, key)
    for path, value in choices.params.items():
        _set(cfg, f"params.{path}", value, f"params.{path}")
    for key in ("replicates", "seed"):
        if getattr(choices, key) is not None:
            _set(cfg, key, getattr(choices, key), key)
    _set(cfg, "focus", choices.focus.strip().upper() or None, "focus")
    if events_off:
        if cfg.scenario is None:
            cfg.scenario = OmegaConf.structured(ScenarioConfig(
                name=EVENTS_OFF, description="recorded events switched off on the page"))
        for ident in events_off:
            cfg.scenario.edits.append(Edit(action="remove", match=EventMatch(id=ident)))
    return cfg


def check_scenario_date(cfg: DictConfig) -> None:
    """The scenario's date must be a month inside the run, or the scenario does nothing."""
    if cfg.scenario is None or cfg.scenario.date is None:
        return
    try:
        month = parse_month(cfg.scenario.date, "page", "scenario.date")
    except InputError as err:
        raise PageError("date", err.fix) from None
    start = parse_month(cfg.start, "config", "start")
    end = parse_month(cfg.end, "config", "end")
    if not start <= month < end:
        raise PageError("date", f"{cfg.scenario.date} is outside the run ({cfg.start} to "
                        f"{cfg.end}); choose a month from {cfg.start} to {month_label(end - 1)}")


def control_of(err: InputError) -> str:
    if err.field.startswith("params."):
        return err.field
    return FIELD_CONTROLS.get(err.field, "page")


def compose_all() -> None:
    """Compose every scenario with every parameter set once (a tenth of a second each), so
    that choosing one on the page finds it composed."""
    for params_set in group_names("params"):
        for scenario in [None, *group_names("scenario")]:
            _composed(scenario, params_set)


def warm_up() -> None:
    """At the server's start: load the compiled kernel (a run of one replicate) and compose
    every scenario with every parameter set, so that the first answer and a change of set wait
    for neither."""
    run_page(Choices(replicates=1))
    compose_all()


@dataclass(frozen=True, eq=False)  # a run is itself: the page's memos compare runs by identity
class PageRun:
    cfg: DictConfig
    setup: Setup
    ens: Ensemble
    summary: dict  # summary.json of the same run on the command line
    exact: pd.DataFrame | None  # exact quantiles at the probed cells (effects.parquet)
    events_off: tuple[str, ...]  # the switched-off events that acted
    switchable: tuple[str, ...]  # catalogue events in the scenario variant before the switches
    seconds: float  # prepare + simulate

    @functools.cached_property
    def trajectory_table(self) -> pd.DataFrame:
        return trajectories_table(self.ens, self.variants, self.codes, self.dates)

    @functools.cached_property
    def effect_table(self) -> pd.DataFrame | None:
        if not self.entries:
            return None
        return mark_entries(effects_table(self.ens, self.codes, self.dates, self.effect_series,
                                          self.exact), self.entries)

    @property
    def entries(self) -> list[dict]:
        """The summary's effect entries (exact quantiles), as the console's."""
        return self.summary["effects"]

    @property
    def codes(self) -> tuple[str, ...]:
        return self.setup.actors.codes

    @property
    def variants(self) -> tuple[str, ...]:
        return self.setup.schedules.names

    @property
    def has_effect(self) -> bool:
        return len(self.variants) > 1

    @property
    def effect_series(self) -> int:
        """The ensemble's series of scenario minus reference."""
        return len(self.variants)

    @property
    def dates(self) -> np.ndarray:
        return month_dates(self.setup.start, self.setup.n_steps + 1)

    @property
    def first_change(self) -> int | None:
        """The step of the scenario's first change, if it falls inside the run."""
        first = self.setup.schedules.first_change
        if first is None or not 0 <= first - self.setup.start <= self.setup.n_steps:
            return None
        return first - self.setup.start


def run_page(choices: Choices) -> PageRun:
    """Compose, check and simulate the page's choices; PageError for bad input."""
    clock = time.perf_counter()
    cfg = page_config(choices)
    check_scenario_date(cfg)
    try:
        setup = prepare(cfg)
        in_scenario = set(setup.schedules.events[-1]["id"])
        switchable = tuple(i for i in setup.catalogue["id"] if i in in_scenario)
        off = tuple(i for i in switchable if i in choices.events_off)
        if off:
            cfg = page_config(choices, off)
            setup = prepare(cfg)
        with _KERNEL:
            answer = simulate_answer(setup, cfg, progress=False)
    except InputError as err:
        control = control_of(err)
        raise PageError(control, err.fix if control != "page" else str(err)) from None
    seconds = time.perf_counter() - clock
    summary = summarise(cfg, setup, answer, {"simulate_s": seconds})
    return PageRun(cfg, setup, answer.ens, summary, answer.exact, off, switchable, seconds)


# ---------------------------------------------------------------- tables shown on the page


def answer_text(run: PageRun) -> list[str]:
    """The lines `python -m sim` prints for the same keys, but the run directory's."""
    return answer_lines(run.summary)


# one line of the console's effect table: mark, pair, then per column (at 12 months, peak,
# summed) mean [p05, p95], the outside mark, the median and the share moved; the peak's date
_FIGURE = rf"([+-][0-9.]+) \[([+-][0-9.]+), ([+-][0-9.]+)\]({OUTSIDE_MARK}?) med ([+-][0-9.]+) +([0-9]+%)"
_TABLE_ROW = re.compile(rf"^ ([* ])(\S+) -> (\S+) +{_FIGURE} +([0-9]{{4}}-[0-9]{{2}}) +{_FIGURE} +{_FIGURE}$")
TABLE_HEAD = "  pair "


@dataclass(frozen=True)
class EffectRow:
    """A pair's line of the console's effect table, in the console's own digits."""

    source: str
    target: str
    touched: bool  # an edited event joins the pair (the console's *)
    peak_date: str
    cells: dict[str, tuple[str, str, str, str, str]]  # column -> mean, 90% interval, mark, median, moved


@dataclass(frozen=True)
class Answer:
    """The console's answer split for the page: its lines before the effect table, the
    table's column heads and rows, its lines after (notes, facts)."""

    before: list[str]
    heads: dict[str, str]  # column ("12m", "peak", "cumulative") -> the console's head
    rows: list[EffectRow]
    after: list[str]


def split_answer(lines: list[str]) -> Answer:
    """The answer's effect table laid out as cells, each as printed (no table: all lines
    `before`)."""
    head = next((k for k, line in enumerate(lines) if line.startswith(TABLE_HEAD)), None)
    if head is None:
        return Answer(lines, {}, [], [])
    columns = ("12m", "peak", "cumulative")
    heads = dict(zip(columns, re.split(r" {2,}", lines[head].strip())[1:], strict=True))
    rows, k = [], head + 1
    while k < len(lines) and (match := _TABLE_ROW.match(lines[k])):
        mark, source, target, *rest = match.groups()
        figures = [rest[0:6], rest[7:13], rest[13:19]]
        cells = {when: (mean, f"[{p05}, {p95}]", outside, median, moved)
                 for when, (mean, p05, p95, outside, median, moved) in zip(columns, figures, strict=True)}
        rows.append(EffectRow(source, target, mark == "*", rest[6], cells))
        k += 1
    return Answer(lines[:head], heads, rows, lines[k:])


def interval_note(run: PageRun, held: Mapping[str, float]) -> str:
    """What the page's intervals hold, in words: the run's parameter set gives one value per
    replicate (posterior draws) or one for all; both count the paired replicates exactly."""
    n = run.cfg.replicates
    exact = (f"the 90% interval is the exact 5% to 95% quantile range of the {n:,} paired "
             f"replicates' effects (scenario minus reference, replicate by replicate)")
    if not run.cfg.params.draws:
        return (f"Every replicate runs the same parameter values, so {exact}: it holds model "
                "noise only.")
    fixed = f" (except {', '.join(sorted(held))}, set here for all)" if held else ""
    return (f"Each replicate takes its own draw of the parameters{fixed} from the posterior "
            f"({run.cfg.params.draws}: replicate r takes draw r mod the number of draws), so "
            f"{exact}: it holds parameter uncertainty and model noise.")


def effect_summary(run: PageRun) -> pd.DataFrame:
    """The console's effect table: the reported pairs at 12 months, the peak, the end and
    summed over the window, mean, exact 90% interval and median over paired replicates, and
    the share of them moved the way of the mean by more than output.effect_threshold."""
    columns = ["source", "target", "when", "date", "date_to", "months", "mean", "p05", "p95",
               "median", "moved"]
    return pd.DataFrame(run.entries).reindex(columns=columns)


def trajectories(run: PageRun) -> pd.DataFrame:
    """trajectories.parquet of the run, as `python -m sim` writes it."""
    return run.trajectory_table


def effects(run: PageRun) -> pd.DataFrame | None:
    """effects.parquet of the run (None without a scenario)."""
    return run.effect_table


def catalogue_events(run: PageRun) -> pd.DataFrame:
    """The catalogue's events with `on` (acting in the scenario variant) and `label`."""
    events = run.setup.catalogue.copy()
    events["switchable"] = events["id"].isin(run.switchable)
    events["on"] = events["switchable"] & ~events["id"].isin(run.events_off)
    events["label"] = [f"{month_label(m)} {s}→{t} {k.replace('_', ' ')} ({i})" for m, s, t, k, i in
                       zip(events["month"], events["source"], events["target"], events["type"],
                           events["id"], strict=True)]
    return events


# ---------------------------------------------------------------- one replicate in Mesa


def model_arguments(run: PageRun, replicate: int) -> dict:
    """GeoModel's arguments for replicate `replicate` of the variant that replays the record
    (the scenario's `history`). The Mesa model runs one variant; the ensemble's other variant
    thins the record's later choices against this one, which the model alone cannot."""
    if not 0 <= replicate < run.cfg.replicates:
        raise PageError("replicate", f"{replicate} is not a replicate of this run; choose one "
                        f"from 0 to {run.cfg.replicates - 1}")
    return variant_model_arguments(run.setup, run.cfg, run.setup.schedules.history, replicate)


def replicate_table(model: GeoModel, run: PageRun) -> pd.DataFrame:
    """The Mesa model's recorded months: variant, step, date, source, target, value."""
    path = model.trajectory()
    table = long_table(path[None], ["value"], run.codes, run.dates[:len(path)],
                       {"variant": run.setup.schedules.history})
    return table.drop(columns="stat")
