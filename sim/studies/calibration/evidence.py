"""The calibration's simulator: parameter sets in, summary statistics (the evidence x) out.

One replicate per parameter set, all sets in one kernel call, over the history and, for the
effect facts, the reference and scenario variants of each scenario they name (paired on
common random numbers). The summary of a replicate has pluggable parts:

- `facts`: one indicator per stylized fact (1 if it holds in that replicate). The record's
  value is 1 for every fact: the facts are what happened.
- `counts`: the agents' actions over the record window (Ensemble.action_counts), as
  log1p of the total per action type and log1p of the total per ordered pair; the record's
  value is the same summary of the catalogue's events of those types.
- `measured`: the measured series (UN vote agreement per pair-year, ICEWS net cooperation per
  directed pair and month, through 2015-12) through the observation model, summarised within
  each pair: the equations in sim/studies/calibration/measured.py.
"""

from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig, OmegaConf

from sim.data.dates import parse_month
from sim.data.events.catalogue import record_counts
from sim.data.eventtypes import CHOSEN_TYPES, TYPE_NAMES
from sim.data.facts import FactProbes, effect_margins, fact_margins, fact_probes
from sim.data.measured.observed import check_not_scored
from sim.errors import InputError
from sim.model.ensemble import Agency, Schedule, simulate
from sim.paths import PROJECT_ROOT
from sim.run.handover import run_agency
from sim.run.inputs import build_schedule, parameter_rows
from sim.run.run import Setup, prepare
from sim.studies.calibration import measured as measured_part

PARTS = ("facts", "counts", "measured")
ACTION_TYPES = CHOSEN_TYPES  # the event types the states choose (the others: outside shocks)


@dataclass(frozen=True)
class Run:
    """One kernel call: the history, or the reference and scenario of an effect's scenario."""

    name: str  # "history" or the scenario's name
    setup: Setup
    schedule: Schedule
    agency: Agency | None


@dataclass(frozen=True)
class Problem:
    """What every simulation of the calibration needs, built once."""

    runs: tuple[Run, ...]  # the history first
    probes: FactProbes
    facts: np.ndarray  # int64[F']: the facts in the evidence (dated inside the run, before holdout)
    held_out_facts: np.ndarray  # int64[H]: the facts dated inside the run from holdout on
    record: tuple[int, int]  # first and last step of the counted window (inclusive)
    held_out: tuple[int, int] | None  # the same for the held-out months
    parts: tuple[str, ...]
    balance: str
    bounds: str
    measured: measured_part.Measured | None = None
    history_probes: tuple | None = None  # (step, i, j) of the history's run: facts, then measured
    restore: np.ndarray | None = None  # puts the history's probes back in that order

    @property
    def setup(self) -> Setup:
        return self.runs[0].setup

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(run.name for run in self.runs)


def with_scenario(cfg: DictConfig, name: str, where: str) -> DictConfig:
    """cfg with +scenario=name, as the command line would compose it."""
    path = PROJECT_ROOT / "configs" / "scenario" / f"{name}.yaml"
    if not path.is_file():
        raise InputError(where, "scenario", f"no scenario '{name}' (configs/scenario/{name}.yaml)")
    return OmegaConf.merge(cfg, OmegaConf.load(path))


def make_run(name: str, setup: Setup, count_window: tuple[int, int]) -> Run:
    """The kernel inputs of a run as `python -m sim` builds them (sim.run.run.simulate_setup),
    with the actions of count_window counted."""
    schedule = build_schedule(list(setup.schedules.events), setup.actors.index, setup.start,
                              setup.n_steps, setup.params["money_ref_usd"], setup.params["tiv_ref"])
    agency = None
    if setup.agents_from is not None or count_window[1] > count_window[0]:
        month = setup.agents_from if setup.agents_from is not None else setup.start + setup.n_steps
        agency = run_agency(month, setup.start, setup.n_steps, setup.schedules, setup.catalogue,
                            setup.params["money_ref_usd"], setup.params["tiv_ref"], count_window)
    return Run(name, setup, schedule, agency)


def build_problem(cfg: DictConfig) -> Problem:
    cal = cfg.calibration
    if cfg.scenario is not None:
        raise InputError("command line", "+scenario", "calibration fits the recorded history "
                         "(effect facts run their own scenarios); drop +scenario")
    parts = tuple(cal.evidence)
    for part in parts:
        if part not in PARTS:
            raise InputError("config", "calibration.evidence", f"'{part}' is not one of {', '.join(PARTS)}")
    if not parts:
        raise InputError("config", "calibration.evidence", "name at least one part, e.g. [facts]")
    cut = measured_part.LAST_MONTH
    if cfg.data.measured and parse_month(cfg.data.measured_until, "config", "data.measured_until") > \
            parse_month(cut, "config", "data.measured_until"):
        raise InputError("config", "data.measured_until", f"{cfg.data.measured_until} is after {cut}: "
                         f"no measured row after {cut} enters a fit")
    setup = prepare(cfg)
    first, last = (parse_month(m, "config", "calibration.record") - setup.start for m in cal.record)
    if not 0 <= first <= last < setup.n_steps:
        raise InputError("config", "calibration.record", f"{list(cal.record)} must be an increasing "
                         f"pair of months inside {cfg.start}..{cfg.end}")
    if "counts" in parts and not cfg.model.agents:
        raise InputError("config", "calibration.evidence", "counts need the states' actions; "
                         "set model.agents=true or use calibration.evidence=[facts]")
    split = last + 1
    held_out = None
    if cal.holdout is not None:
        split = parse_month(cal.holdout, "config", "calibration.holdout") - setup.start
        if not first < split <= last:
            raise InputError("config", "calibration.holdout", f"{cal.holdout} must fall inside the "
                             f"record window {list(cal.record)}, after its first month")
        held_out = (split, last)
    counting = "counts" in parts
    runs = [make_run("history", setup, (first, split) if counting else (0, 0))]
    if held_out is not None and counting:
        runs.append(make_run("history:held_out", setup, (split, last + 1)))
    for name in sorted({f.scenario for f in setup.facts if f.kind == "effect"}):
        scenario_cfg = with_scenario(cfg, name, str(cfg.data.facts))
        runs.append(make_run(name, prepare(scenario_cfg), (0, 0)))
    probes = fact_probes(setup.facts, setup.actors.index, setup.start, setup.n_steps)
    late = np.array([held_out is not None and max(f.months) - setup.start >= split
                     for f in setup.facts], dtype=bool)
    facts = np.flatnonzero(probes.inside & ~late)
    if "facts" in parts and not len(facts):
        raise InputError(cfg.data.facts, "dates", f"no fact falls inside {cfg.start}..{cfg.end} "
                         "(before calibration.holdout); widen start/end or choose other facts")
    measured, history_probes, restore = None, None, None
    if "measured" in parts:
        check_not_scored(setup.catalogue)
        measured = measured_part.build_measured(setup.actors.codes, setup.focus, setup.start,
                                                (setup.start + first, setup.start + split - 1),
                                                len(probes.step))
        extra = measured_part.probe_cells(measured)
        step, i, j = (np.concatenate([a, b]) for a, b in zip((probes.step, probes.i, probes.j), extra,
                                                             strict=True))
        order = np.argsort(step, kind="stable")  # the kernel reads probes in date order
        history_probes, restore = (step[order], i[order], j[order]), np.argsort(order)
    return Problem(tuple(runs), probes, facts, np.flatnonzero(probes.inside & late),
                   (first, split - 1), held_out, parts, str(cfg.model.balance),
                   str(cfg.model.bounds), measured, history_probes, restore)


@dataclass(frozen=True)
class Simulation:
    margins: np.ndarray  # float64[S, F]: each fact's margin (> 0: holds; NaN: not checked)
    counts: np.ndarray | None  # int64[S, N, N, K]: actions of ACTION_TYPES over the record
    held_out_counts: np.ndarray | None  # the same over the held-out months
    measured: np.ndarray | None = None  # float64[S, E_m]: the measured summary
    series: list | None = None  # per measure float64[S, P, T]: the simulated series (if kept)


def run_sets(problem: Problem, sets: list[dict], seed: int, progress: bool = False,
             observation: np.ndarray | None = None, keep_series: bool = False) -> Simulation:
    """One replicate per parameter set in each run (one kernel call each); replicate k draws
    from the stream (seed, k) in every run, so a scenario's effect is paired with the history.
    observation float64[S, 4]: each set's observation values (measured.OBSERVATION_VALUES),
    needed by the measured part; keep_series keeps its simulated series."""
    rows = parameter_rows(sets, 1)
    margins = None
    counts = {}
    measured, series = None, None
    types = [TYPE_NAMES.index(t) for t in ACTION_TYPES]
    fact_cells = (problem.probes.step, problem.probes.i, problem.probes.j)
    for run in problem.runs:
        history = run.name == "history"
        step, i, j = problem.history_probes if history and problem.measured else fact_cells
        ens = simulate(run.setup.actors.alignment, run.setup.actors.capability, run.schedule,
                       *rows, seed, quantile_bins=0, probe_step=step, probe_i=i, probe_j=j,
                       progress=progress, balance=problem.balance, agency=run.agency,
                       bounds=problem.bounds)
        if run.name.startswith("history"):
            if history:
                values = ens.probes[:, 0]
                if problem.measured is not None:
                    values = values[:, problem.restore]
                    measured, series = measured_part.summarise(problem.measured, values, observation,
                                                               seed, keep_series)
                margins = fact_margins(problem.probes, values[:, :len(problem.probes.step)])
            if "counts" in problem.parts:
                counts[run.name] = ens.action_counts[:, 0][..., types].astype(np.int64)
        else:
            names = run.setup.schedules.names
            effects = effect_margins(problem.probes, ens.probes[:, names.index("reference")],
                                     ens.probes[:, names.index("scenario")], run.name)
            margins = np.where(np.isnan(margins), effects, margins)
    return Simulation(margins, counts.get("history"), counts.get("history:held_out"), measured, series)


def catalogue_counts(problem: Problem, held_out: bool = False) -> np.ndarray:
    """int64[N, N, K]: the catalogue's events of ACTION_TYPES per source, target and type over
    the record window, or the held-out months (the record's own count summary)."""
    setup = problem.setup
    first, last = problem.held_out if held_out else problem.record
    return record_counts(setup.catalogue, setup.actors.index, setup.start, (first, last + 1),
                         ACTION_TYPES)


def count_summary(counts: np.ndarray) -> np.ndarray:
    """int[S, N, N, K] -> float64[S, K + N(N-1)]: log1p of the total per type, then of the total
    per ordered pair (off the diagonal, row by row). Totals rather than the type x pair x month
    table: the table is mostly zeros (the record holds tens of events), and the base rates
    show in the type totals and the alignment-driven mechanisms in the pair totals."""
    n = counts.shape[1]
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    per_type = counts.sum(axis=(1, 2))
    per_pair = counts.sum(axis=3)[:, i, j]
    return np.log1p(np.concatenate([per_type, per_pair], axis=1).astype(np.float64))


def evidence_names(problem: Problem, held_out: bool = False) -> list[str]:
    names = []
    if "facts" in problem.parts:
        chosen = problem.held_out_facts if held_out else problem.facts
        names += [f"fact:{problem.probes.facts[f].id}" for f in chosen]
    if "counts" in problem.parts and (problem.held_out is not None or not held_out):
        codes = problem.setup.actors.codes
        names += [f"count:{t}" for t in ACTION_TYPES]
        names += [f"count:{s}->{t}" for s in codes for t in codes if s != t]
    if "measured" in problem.parts and not held_out:
        names += problem.measured.names()
    return names


def summaries(problem: Problem, sim: Simulation, held_out: bool = False) -> np.ndarray:
    """float64[S, E]: the evidence of each simulated replicate, in evidence_names order (of
    the held-out facts and months if asked)."""
    parts = [np.zeros((len(sim.margins), 0))]
    if "facts" in problem.parts:
        chosen = problem.held_out_facts if held_out else problem.facts
        with np.errstate(invalid="ignore"):
            parts.append((sim.margins[:, chosen] > 0).astype(np.float64))
    counts = sim.held_out_counts if held_out else sim.counts
    if "counts" in problem.parts and counts is not None:
        parts.append(count_summary(counts))
    if "measured" in problem.parts and not held_out:
        parts.append(sim.measured)
    return np.concatenate(parts, axis=1)


def observed(problem: Problem, held_out: bool = False) -> np.ndarray:
    """float64[E]: the record's evidence: every fact holds; the catalogue's counts."""
    parts = [np.zeros(0)]
    if "facts" in problem.parts:
        parts.append(np.ones(len(problem.held_out_facts if held_out else problem.facts)))
    if "counts" in problem.parts and (problem.held_out is not None or not held_out):
        parts.append(count_summary(catalogue_counts(problem, held_out)[None])[0])
    if "measured" in problem.parts and not held_out:
        parts.append(measured_part.record_summary(problem.measured))
    return np.concatenate(parts)
