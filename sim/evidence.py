"""The calibration's simulator: parameter sets in, summary statistics (the evidence x) out.

One replicate per parameter set, all sets in one kernel call, over the history and, for the
effect facts, the reference and scenario variants of each scenario they name (paired on
common random numbers). The summary of a replicate has pluggable parts:

- `facts`: one indicator per stylized fact (1 if it holds in that replicate). The record's
  value is 1 for every fact: the facts are what happened.
- `counts`: the agents' actions over the record window (Ensemble.action_counts), as
  log1p of the total per action type and log1p of the total per ordered pair; the record's
  value is the same summary of the catalogue's events of those types.
"""

import inspect
from dataclasses import dataclass

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.config import ScenarioConfig
from sim.dates import parse_month
from sim.ensemble import Schedule, build_schedule, parameter_rows, simulate
from sim.errors import InputError
from sim.eventtypes import TYPE_NAMES
from sim.facts import FactProbes, effect_margins, fact_margins, fact_probes
from sim.run import PROJECT_ROOT, Setup, prepare
from sim.scenario import build_schedules

PARTS = ("facts", "counts")
# the event types the agents choose (the others stay outside shocks)
ACTION_TYPES = ("aid", "aid_cut", "arms_sale", "visit", "agreement", "exercise", "investment",
                "hostile_statement", "downgrade", "support")


def kernel_counts_actions() -> bool:
    return "count_window" in inspect.signature(simulate).parameters


@dataclass(frozen=True)
class Problem:
    """What every simulation of the calibration needs, built once."""

    setup: Setup
    schedule: Schedule
    variants: tuple[str, ...]  # "history", then "<scenario>:reference", "<scenario>:scenario"
    probes: FactProbes
    facts: np.ndarray  # int64[F']: the facts in the evidence (inside the run, scenario known)
    record: tuple[int, int]  # first and last step of the record window (inclusive)
    parts: tuple[str, ...]

    def variant(self, name: str) -> int:
        return self.variants.index(name)


def load_scenario(name: str, catalogue: pd.DataFrame, codes, where: str):
    path = PROJECT_ROOT / "configs" / "scenario" / f"{name}.yaml"
    if not path.is_file():
        raise InputError(where, "scenario", f"no scenario '{name}' (configs/scenario/{name}.yaml)")
    root = OmegaConf.merge(OmegaConf.create({"scenario": OmegaConf.structured(ScenarioConfig)}),
                           OmegaConf.load(path))
    return build_schedules(catalogue, root.scenario, codes, f"configs/scenario/{name}.yaml")


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
    if "counts" in parts and not kernel_counts_actions():
        raise InputError("config", "calibration.evidence", "this kernel does not count the agents' "
                         "actions; use calibration.evidence=[facts]")
    setup = prepare(cfg)
    codes = setup.actors.codes
    variants, events = ["history"], [setup.catalogue]
    for name in sorted({f.scenario for f in setup.facts if f.kind == "effect"}):
        schedules = load_scenario(name, setup.catalogue, codes, str(cfg.data.facts))
        variants += [f"{name}:reference", f"{name}:scenario"]
        events += list(schedules.events)
    probes = fact_probes(setup.facts, setup.actors.index, setup.start, setup.n_steps)
    facts = np.flatnonzero(probes.inside)
    if "facts" in parts and not len(facts):
        raise InputError(cfg.data.facts, "dates", f"no fact falls inside {cfg.start}..{cfg.end}; "
                         "widen start/end or choose other facts")
    schedule = build_schedule(events, setup.actors.index, setup.start, setup.n_steps,
                              setup.params["money_ref_usd"])
    first, last = (parse_month(m, "config", "calibration.record") - setup.start for m in cal.record)
    if not 0 <= first <= last < setup.n_steps:
        raise InputError("config", "calibration.record", f"{list(cal.record)} must be an increasing "
                         f"pair of months inside {cfg.start}..{cfg.end}")
    return Problem(setup, schedule, tuple(variants), probes, facts, (first, last), parts)


@dataclass(frozen=True)
class Simulation:
    margins: np.ndarray  # float64[S, F']: each evidence fact's margin (> 0: holds)
    counts: np.ndarray | None  # int64[S, N, N, K]: actions of ACTION_TYPES over the record


def run_sets(problem: Problem, sets: list[dict], seed: int) -> Simulation:
    """One replicate per parameter set, all in one kernel call; replicate k draws from the
    stream (seed, k)."""
    setup = problem.setup
    extra = {"count_window": problem.record} if "counts" in problem.parts else {}
    ens = simulate(setup.actors.alignment, setup.actors.capability, problem.schedule,
                   *parameter_rows(sets, 1), seed, quantile_bins=0,
                   probe_step=problem.probes.step, probe_i=problem.probes.i,
                   probe_j=problem.probes.j, **extra)
    margins = fact_margins(problem.probes, ens.probes[:, 0])
    for name in {problem.variants[v].split(":")[0] for v in range(1, len(problem.variants))}:
        effects = effect_margins(problem.probes, ens.probes[:, problem.variant(f"{name}:reference")],
                                 ens.probes[:, problem.variant(f"{name}:scenario")], name)
        margins = np.where(np.isnan(margins), effects, margins)
    counts = None
    if "counts" in problem.parts:
        types = [TYPE_NAMES.index(t) for t in ACTION_TYPES]
        counts = ens.action_counts[:, 0][..., types].astype(np.int64)
    return Simulation(margins[:, problem.facts], counts)


def catalogue_counts(problem: Problem) -> np.ndarray:
    """int64[N, N, K]: the catalogue's events of ACTION_TYPES per source, target and type over
    the record window (the record's own count summary)."""
    setup = problem.setup
    events = setup.catalogue
    step = events["month"].to_numpy() - setup.start
    inside = events.loc[(step >= problem.record[0]) & (step <= problem.record[1])
                        & events["type"].isin(ACTION_TYPES)]
    n = len(setup.actors.codes)
    out = np.zeros((n, n, len(ACTION_TYPES)), dtype=np.int64)
    index = setup.actors.index
    np.add.at(out, (inside["source"].map(index).to_numpy(), inside["target"].map(index).to_numpy(),
                    inside["type"].map(ACTION_TYPES.index).to_numpy()), 1)
    return out


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


def evidence_names(problem: Problem) -> list[str]:
    names = []
    if "facts" in problem.parts:
        names += [f"fact:{problem.probes.facts[f].id}" for f in problem.facts]
    if "counts" in problem.parts:
        codes = problem.setup.actors.codes
        names += [f"count:{t}" for t in ACTION_TYPES]
        names += [f"count:{s}->{t}" for s in codes for t in codes if s != t]
    return names


def summaries(problem: Problem, sim: Simulation) -> np.ndarray:
    """float64[S, E]: the evidence of each simulated replicate, in evidence_names order."""
    parts = []
    if "facts" in problem.parts:
        with np.errstate(invalid="ignore"):
            parts.append((sim.margins > 0).astype(np.float64))
    if "counts" in problem.parts:
        parts.append(count_summary(sim.counts))
    return np.concatenate(parts, axis=1)


def observed(problem: Problem) -> np.ndarray:
    """float64[E]: the record's evidence: every fact holds; the catalogue's counts."""
    parts = []
    if "facts" in problem.parts:
        parts.append(np.ones(len(problem.facts)))
    if "counts" in problem.parts:
        parts.append(count_summary(catalogue_counts(problem)[None])[0])
    return np.concatenate(parts)
