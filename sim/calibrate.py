"""Fitting the rates and event-type weights to the stylized facts.

    python -m sim.calibrate                                   # fit; write configs/params/calibrated.yaml
    python -m sim.calibrate calibration.trials=3000 data.facts=my_facts.yaml
    python -m sim.calibrate calibration.loo=true calibration.report_dir=experiments/calibration

Settings live under `calibration.*` (configs/calibrate.yaml documents each). The search
asks Optuna's TPE sampler for a batch of parameter sets, runs the whole batch as one
ensemble (each set owns `replicates_each` consecutive replicates), scores every set on
the facts, less a small penalty for straying from the reference params, and tells the
sampler. At the end the best trials are re-run with more
replicates on fresh noise streams and the best of them is written as a params config.

Besides the params file, the run directory gets `calibration.parquet` (every trial: its
values, objective and per-fact shares), `explore.parquet` (evenly spread sets for the
identification check), `calibration.json` (the chosen set, its facts, the spread of the
sets that fit, timings and, with `loo=true`, the leave-out refits, also in `loo.parquet`)
and the figures `spread.png` and `facts.png`. With `report_dir` set, `results.md`,
`loo.csv` and the figures go there too.
"""

import hashlib
import math
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

import hydra
import numpy as np
import optuna
import pandas as pd
import yaml
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from scipy.stats import qmc
from tqdm import tqdm

from sim.config import register
from sim.ensemble import Schedule, build_schedule, parameter_rows, simulate
from sim.errors import InputError
from sim.eventtypes import TYPE_NAMES
from sim.facts import Fact, FactProbes, fact_margins, fact_probes
from sim.io import atomic_write, write_json, write_parquet
from sim.kernel import PARAM_NAMES
from sim.overrides import exit_on_bad_overrides
from sim.run import PARAM_RANGES, PROJECT_ROOT, WEIGHT_RANGE, Setup, prepare, resolve_path

register()

SIGNIFICANT = 4  # digits kept in the written params (the written values are the ones scored)
PINNED, LOOSE = 0.2, 0.35  # relative spread below which a parameter counts as pinned / narrowed
PROFILE_POINTS = 17
PROFILE_TOLERANCE = 0.02  # score drop that still counts as "as good" in the profile
# overrides that change where things are written, not what is fitted
NOT_IN_PROVENANCE = ("calibration.output", "calibration.report_dir", "calibration.progress",
                     "calibration.loo", "calibration.explore", "calibration.spread_share", "hydra.")


# ----------------------------------------------------------------------------- search space

@dataclass(frozen=True)
class Dimension:
    """One searched value: a rate (`lam`) or an event-type weight (`weights.aid`)."""

    name: str
    low: float
    high: float
    log: bool

    def scaled(self, value: float) -> float:
        """The value on [0, 1] across the box, on the scale the search uses."""
        if self.high == self.low:
            return 0.5
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def unscaled(self, share: float) -> float:
        if self.log:
            return math.exp(math.log(self.low) + share * (math.log(self.high) - math.log(self.low)))
        return self.low + share * (self.high - self.low)


def search_space(cal: DictConfig, reference: dict) -> list[Dimension]:
    """The box of the search: rates from calibration.bounds (else their documented range),
    weights in calibration.weight_band times the reference weight, sign kept."""
    bounds = OmegaConf.to_container(cal.bounds, resolve=True) or {}
    unknown = sorted(set(bounds) - set(PARAM_NAMES))
    if unknown:
        raise InputError("config", "calibration.bounds", f"unknown parameter(s) {unknown}; "
                         f"known: {', '.join(PARAM_NAMES)}")
    log_scale = list(cal.log_scale)
    for name in log_scale:
        if name not in PARAM_NAMES:
            raise InputError("config", "calibration.log_scale", f"unknown parameter '{name}'")
    dims = []
    for name in PARAM_NAMES:
        low, high = bounds.get(name, PARAM_RANGES[name])
        top_low, top_high = PARAM_RANGES[name]
        if not top_low <= low < high <= top_high:
            raise InputError("config", f"calibration.bounds.{name}",
                             f"[{low}, {high}] must be an increasing pair inside [{top_low}, {top_high}]")
        if name in log_scale and low <= 0:
            raise InputError("config", f"calibration.bounds.{name}",
                             f"a log-scale bound must be > 0, not {low}")
        dims.append(Dimension(name, float(low), float(high), name in log_scale))
    band = list(cal.weight_band)
    if len(band) != 2 or not 0 <= band[0] <= band[1]:
        raise InputError("config", "calibration.weight_band",
                         f"{band} must be [low, high] with 0 <= low <= high, e.g. [0.5, 1.5]")
    for name in TYPE_NAMES:
        w0 = float(reference["weights"][name])
        low, high = sorted((band[0] * w0, band[1] * w0))
        low, high = max(low, WEIGHT_RANGE[0]), min(high, WEIGHT_RANGE[1])
        if high > low:
            dims.append(Dimension(f"weights.{name}", low, high, False))
    return dims


def round_significant(value: float, digits: int = SIGNIFICANT) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def param_set(values: dict[str, float], reference: dict, dims: list[Dimension],
              rounded: bool = False) -> dict:
    """A full params mapping: the searched values over the reference (weights not searched,
    money_ref_usd); rounded to SIGNIFICANT digits and kept inside the box if asked."""
    out = {name: reference[name] for name in (*PARAM_NAMES, "money_ref_usd")}
    out["weights"] = {name: float(reference["weights"][name]) for name in TYPE_NAMES}
    for dim in dims:
        value = float(values[dim.name])
        if rounded:
            value = min(dim.high, max(dim.low, round_significant(value)))
        if dim.name.startswith("weights."):
            out["weights"][dim.name.split(".", 1)[1]] = value
        else:
            out[dim.name] = value
    return out


def flat_values(params: dict, dims: list[Dimension]) -> dict[str, float]:
    return {d.name: float(params["weights"][d.name[8:]] if d.name.startswith("weights.")
                          else params[d.name]) for d in dims}


# ----------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class Problem:
    """What every evaluation needs, built once: the history schedule and the fact probes."""

    setup: Setup
    probes: FactProbes
    schedule: Schedule
    checked: np.ndarray  # bool[F]: facts whose dates fall inside start..end
    need: float  # share of replicates a fact must hold in (output.fact_fraction)

    @property
    def facts(self) -> tuple[Fact, ...]:
        return self.probes.facts


def build_problem(cfg: DictConfig) -> Problem:
    if cfg.scenario is not None:
        raise InputError("command line", "+scenario", "calibration fits the recorded history; "
                         "drop +scenario")
    setup = prepare(cfg)
    probes = fact_probes(setup.facts, setup.actors.index, setup.start, setup.n_steps)
    if not probes.checked.any():
        raise InputError(cfg.data.facts, "dates", f"no fact falls inside {cfg.start}..{cfg.end}; "
                         "widen start/end or choose other facts")
    schedule = build_schedule([setup.catalogue], setup.actors.index, setup.start, setup.n_steps,
                              setup.params["money_ref_usd"])
    return Problem(setup, probes, schedule, probes.checked.copy(), float(cfg.output.fact_fraction))


@dataclass(frozen=True)
class Evaluation:
    fractions: np.ndarray  # float64[S, F]: share of a set's replicates meeting each fact
    quantiles: np.ndarray  # float64[S, F]: the (1 - need) quantile of each fact's margin


def evaluate(problem: Problem, sets: list[dict], replicates_each: int, seed: int) -> Evaluation:
    """All parameter sets in one ensemble run, replicates_each replicates per set."""
    rates, weights = parameter_rows(sets, replicates_each)
    setup = problem.setup
    ens = simulate(setup.actors.alignment, setup.actors.capability, problem.schedule, rates,
                   weights, seed, quantile_bins=0, probe_step=problem.probes.step,
                   probe_i=problem.probes.i, probe_j=problem.probes.j)
    margins = fact_margins(problem.probes, ens.probes[:, 0]).reshape(len(sets), replicates_each, -1)
    fractions = (margins > 0).mean(axis=1)
    quantiles = np.quantile(margins, 1.0 - problem.need, axis=1)
    fractions[:, ~problem.checked] = np.nan
    return Evaluation(fractions, quantiles)


def fact_scores(ev: Evaluation, need: float, cal: DictConfig) -> np.ndarray:
    """float64[S, F] in [-w/(1+w), 1]: 1 when a fact holds in >= `need` of the replicates
    with a margin of margin_scale to spare (configs/calibrate.yaml gives the formula)."""
    weight = float(cal.margin_weight)
    share = np.minimum(ev.fractions / need, 1.0)
    margin = np.clip(ev.quantiles / float(cal.margin_scale), -1.0, 1.0)
    return (share + weight * margin) / (1.0 + weight)


def score(ev: Evaluation, mask: np.ndarray, need: float, cal: DictConfig) -> np.ndarray:
    """The objective of each set: the mean fact score over the facts in mask."""
    return fact_scores(ev, need, cal)[:, mask].mean(axis=1)


def prior_penalty(sets_values: list[dict[str, float]], dims: list[Dimension], reference: dict,
                  weight: float) -> np.ndarray:
    """weight * the mean squared distance of each set from the reference, per dimension on
    the [0, 1] scale of the search box: among sets that fit equally well, the nearest wins."""
    ref = np.array([min(1.0, max(0.0, d.scaled(v)))
                    for d, v in zip(dims, flat_values(reference, dims).values(), strict=True)])
    pos = np.array([[d.scaled(values[d.name]) for d in dims] for values in sets_values])
    return weight * ((pos - ref) ** 2).mean(axis=1)


def facts_met(ev: Evaluation, mask: np.ndarray, need: float) -> np.ndarray:
    """int[S]: how many facts in mask hold in at least `need` of a set's replicates."""
    return (ev.fractions[:, mask] >= need).sum(axis=1)


# ----------------------------------------------------------------------------- the search

def suggest(trial: optuna.Trial, dims: list[Dimension]) -> dict[str, float]:
    return {d.name: trial.suggest_float(d.name, d.low, d.high, log=d.log) for d in dims}


def search(problem: Problem, cal: DictConfig, dims: list[Dimension], reference: dict,
           mask: np.ndarray, trials: int, desc: str = "trials", progress: bool = True
           ) -> pd.DataFrame:
    """Ask-and-tell TPE over the box, a batch of sets per ensemble run; the reference set
    is the first trial. The objective is the fit on the facts in mask less the prior penalty.
    One row per trial: its values, objective, fit, penalty, facts met and per-fact shares."""
    sampler = optuna.samplers.TPESampler(seed=int(cal.sampler_seed),
                                         n_startup_trials=int(cal.startup_trials))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.enqueue_trial({d.name: min(d.high, max(d.low, v)) for d, v in
                         zip(dims, flat_values(reference, dims).values(), strict=True)})
    batch = int(cal.batch)
    n_batches = math.ceil(trials / batch)
    rows = []
    best = -math.inf
    with tqdm(total=n_batches * batch, desc=desc, unit="trial", disable=not progress,
              leave=False) as bar:
        for b in range(n_batches):
            asked = [study.ask() for _ in range(batch)]
            values = [suggest(trial, dims) for trial in asked]
            sets = [param_set(v, reference, dims) for v in values]
            ev = evaluate(problem, sets, int(cal.replicates_each), int(cal.seed))
            fit = score(ev, mask, problem.need, cal)
            penalty = prior_penalty(values, dims, reference, float(cal.prior_weight))
            objective = fit - penalty
            met = facts_met(ev, mask, problem.need)
            for k, trial in enumerate(asked):
                study.tell(trial, float(objective[k]))
                row = {"trial": trial.number, "batch": b, "objective": float(objective[k]),
                       "fit": float(fit[k]), "penalty": float(penalty[k]),
                       "facts_met": int(met[k]), **values[k]}
                row.update({f"fraction.{f.id}": ev.fractions[k, i]
                            for i, f in enumerate(problem.facts)})
                rows.append(row)
            best = max(best, float(objective.max()))
            bar.update(batch)
            bar.set_postfix(best=f"{best:.4f}")
    return pd.DataFrame(rows)


def best_distinct(trials: pd.DataFrame, dims: list[Dimension], count: int) -> list[dict]:
    """The `count` best trials by objective whose rounded values differ."""
    seen, out = set(), []
    for _, row in trials.sort_values(["objective", "trial"], ascending=[False, True]).iterrows():
        values = {d.name: round_significant(float(row[d.name])) for d in dims}
        key = tuple(values.values())
        if key not in seen:
            seen.add(key)
            out.append({"trial": int(row["trial"]), **values})
        if len(out) >= count:
            break
    return out


@dataclass(frozen=True)
class Choice:
    params: dict
    trial: int  # -1 for the reference
    candidates: pd.DataFrame  # the re-evaluated sets, best first
    at_reference: tuple[str, ...] = ()  # values put back at the reference by polish()


def choose(problem: Problem, cal: DictConfig, dims: list[Dimension], reference: dict,
           trials: pd.DataFrame, mask: np.ndarray) -> Choice:
    """Re-run the best `top` trials (rounded as they would be written) and the reference on
    fresh noise streams with final_replicates each; keep the most facts met, then the best
    objective."""
    tops = best_distinct(trials, dims, int(cal.top))
    values = [{d.name: t[d.name] for d in dims} for t in tops] + [flat_values(reference, dims)]
    sets = [param_set(v, reference, dims, rounded=True) for v in values]
    ev = evaluate(problem, sets, int(cal.final_replicates), int(cal.final_seed))
    fit = score(ev, mask, problem.need, cal)
    objective = fit - prior_penalty([flat_values(p, dims) for p in sets], dims, reference,
                                    float(cal.prior_weight))
    met = facts_met(ev, mask, problem.need)
    labels = [t["trial"] for t in tops] + [-1]
    search_objective = trials.set_index("trial")["objective"]
    table = pd.DataFrame({"trial": labels, "objective": objective, "fit": fit, "facts_met": met,
                          "search_objective": [float(search_objective[t]) if t >= 0 else math.nan
                                               for t in labels]})
    order = sorted(range(len(sets)), key=lambda k: (-met[k], -objective[k], k))
    table = table.iloc[order].reset_index(drop=True)
    return Choice(sets[order[0]], labels[order[0]], table)


def polish(problem: Problem, cal: DictConfig, dims: list[Dimension], reference: dict,
           params: dict, mask: np.ndarray) -> tuple[dict, list[str]]:
    """Put searched values back at their reference value while the set still meets as many
    facts with a fit at most polish_tolerance below the chosen set's. Each round runs every
    single reset (final_replicates each, one ensemble), orders those that pass by fit, then
    runs the growing prefixes of that order and keeps the longest prefix that passes.
    Returns the set and the names put back, in the order they were put back."""
    if not cal.polish:
        return params, []
    ref = flat_values(reference, dims)
    current = flat_values(params, dims)
    names = [d.name for d in dims if d.low <= ref[d.name] <= d.high and current[d.name] != ref[d.name]]
    reps, seed = int(cal.final_replicates), int(cal.final_seed)
    ev = evaluate(problem, [param_set(current, reference, dims)], reps, seed)
    need_met = int(facts_met(ev, mask, problem.need)[0])
    need_fit = float(score(ev, mask, problem.need, cal)[0]) - float(cal.polish_tolerance)

    def passing(sets: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        ev = evaluate(problem, [param_set(v, reference, dims) for v in sets], reps, seed)
        fit = score(ev, mask, problem.need, cal)
        return (facts_met(ev, mask, problem.need) >= need_met) & (fit >= need_fit), fit

    reset: list[str] = []
    while names:
        ok, fit = passing([{**current, n: ref[n]} for n in names])
        order = sorted(np.flatnonzero(ok), key=lambda k: (-fit[k], k))
        if not order:
            break
        prefixes = [{**current, **{names[k]: ref[names[k]] for k in order[:m]}}
                    for m in range(1, len(order) + 1)]
        ok, _ = passing(prefixes)
        if not ok.any():
            break
        m = int(np.flatnonzero(ok).max()) + 1
        current = prefixes[m - 1]
        reset += [names[k] for k in order[:m]]
        names = [n for n in names if n not in reset]
    return param_set(current, reference, dims), reset


@dataclass(frozen=True)
class Check:
    """One set run alone, as `python -m sim seed=... replicates=...` runs it."""

    seed: int
    replicates: int
    score: float
    met: int
    fractions: np.ndarray  # float64[F]
    quantiles: np.ndarray


def check(problem: Problem, cal: DictConfig, params: dict, mask: np.ndarray, seed: int,
          replicates: int) -> Check:
    ev = evaluate(problem, [params], replicates, seed)
    return Check(seed, replicates, float(score(ev, mask, problem.need, cal)[0]),
                 int(facts_met(ev, mask, problem.need)[0]), ev.fractions[0], ev.quantiles[0])


# ----------------------------------------------------------------------------- identification

def explore(problem: Problem, cal: DictConfig, dims: list[Dimension], reference: dict,
            mask: np.ndarray, progress: bool = True) -> pd.DataFrame:
    """`explore` sets spread evenly over the box (scrambled Sobol points, seeded by
    sampler_seed), replicates_each replicates each: a sample of the box under a uniform
    prior, free of the sampler's habit of crowding around its best finds."""
    count = int(cal.explore)
    sobol = qmc.Sobol(d=len(dims), scramble=True, seed=int(cal.sampler_seed))
    points = sobol.random_base2(max(0, math.ceil(math.log2(count))))[:count]
    chunk = 16 * int(cal.batch)
    rows = []
    for first in tqdm(range(0, count, chunk), desc="explore", unit="run", disable=not progress,
                      leave=False):
        values = [{d.name: d.unscaled(float(x)) for d, x in zip(dims, point, strict=True)}
                  for point in points[first:first + chunk]]
        sets = [param_set(v, reference, dims) for v in values]
        ev = evaluate(problem, sets, int(cal.replicates_each), int(cal.seed))
        fit = score(ev, mask, problem.need, cal)
        met = facts_met(ev, mask, problem.need)
        rows += [{"fit": float(fit[k]), "facts_met": int(met[k]), **values[k]}
                 for k in range(len(sets))]
    return pd.DataFrame(rows)


def spread_table(sample: pd.DataFrame, trials: pd.DataFrame, dims: list[Dimension],
                 needed: int, share: float, chosen: dict, reference: dict
                 ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Per searched value: the interquartile range, as a share of the box on the search
    scale (a uniform draw gives 0.5), of the exploration sets that meet all `needed` facts
    (the best `share` of them if fewer than 20 do); beside it the same for the best `share`
    of the search trials, which the sampler crowds together by design."""
    accepted = sample[sample.facts_met >= needed]
    rule = f"the {len(accepted)} of {len(sample)} evenly spread sets that meet all {needed} facts"
    if len(accepted) < 20:
        accepted = sample.nlargest(max(20, int(round(share * len(sample)))), "fit")
        rule = f"the best {len(accepted)} of {len(sample)} evenly spread sets by fit"
    best = trials.nlargest(max(10, int(round(share * len(trials)))), "objective")
    chosen_flat, reference_flat = flat_values(chosen, dims), flat_values(reference, dims)
    rows = []
    for d in dims:
        scaled = np.array([d.scaled(v) for v in accepted[d.name]])
        q25, q50, q75 = np.quantile(scaled, [0.25, 0.5, 0.75])
        iqr = float(q75 - q25)
        crowd = np.quantile([d.scaled(v) for v in best[d.name]], [0.25, 0.75])
        rows.append({"name": d.name, "low": d.low, "high": d.high, "log": d.log,
                     "q25": d.unscaled(q25), "median": d.unscaled(q50), "q75": d.unscaled(q75),
                     "relative_iqr": iqr, "search_relative_iqr": float(crowd[1] - crowd[0]),
                     "chosen": chosen_flat[d.name], "reference": reference_flat[d.name],
                     "verdict": "pinned" if iqr < PINNED else "narrowed" if iqr < LOOSE else "free"})
    return pd.DataFrame(rows), accepted, rule


def profile(problem: Problem, cal: DictConfig, dims: list[Dimension], chosen: dict,
            mask: np.ndarray) -> tuple[pd.DataFrame, float]:
    """One value at a time across its box (PROFILE_POINTS points), the others at the chosen
    set: the share of the box over which the score stays within PROFILE_TOLERANCE of the
    chosen set's. All points in one ensemble run."""
    flat = flat_values(chosen, dims)
    grid = np.linspace(0.0, 1.0, PROFILE_POINTS)
    sets = [param_set(flat, chosen, dims)]
    for d in dims:
        for share in grid:
            sets.append(param_set({**flat, d.name: d.unscaled(share)}, chosen, dims))
    reps = max(int(cal.replicates_each), int(cal.final_replicates) // 2)
    ev = evaluate(problem, sets, reps, int(cal.final_seed) + 1)
    scores = score(ev, mask, problem.need, cal)
    base = float(scores[0])
    rows = []
    for k, d in enumerate(dims):
        part = scores[1 + k * PROFILE_POINTS: 1 + (k + 1) * PROFILE_POINTS]
        good = part >= base - PROFILE_TOLERANCE
        inside = grid[good]
        rows.append({"name": d.name, "profile_share": float(good.mean()),
                     "profile_low": d.unscaled(inside.min()) if good.any() else math.nan,
                     "profile_high": d.unscaled(inside.max()) if good.any() else math.nan,
                     "profile_worst": float(part.min())})
    return pd.DataFrame(rows), base


# ----------------------------------------------------------------------------- leave one out

def held_out_groups(problem: Problem, by: str) -> list[tuple[str, list[int]]]:
    """The groups of checked facts left out in turn: each fact alone (`fact`), or all the
    facts that speak of one pair of states in either direction (`dyad`), so that a held-out
    fact has no near-twin left in the fit."""
    ids = [k for k in range(len(problem.facts)) if problem.checked[k]]
    if by == "fact":
        return [(problem.facts[k].id, [k]) for k in ids]
    if by == "dyad":
        dyads: dict[str, list[int]] = {}
        for k in ids:
            for pair in problem.facts[k].pairs:
                members = dyads.setdefault("-".join(sorted(pair)), [])
                if k not in members:
                    members.append(k)
        return list(dyads.items())
    raise InputError("config", "calibration.loo_by", f"'{by}' is not one of fact, dyad")


def leave_out(problem: Problem, cal: DictConfig, dims: list[Dimension], reference: dict,
              groups: list[tuple[str, list[int]]], seed: int, replicates: int,
              progress: bool = True) -> pd.DataFrame:
    """For each group: refit on the other facts (loo_trials trials), choose as in the full fit
    (by those facts only), then check the held-out facts on `replicates` replicates of `seed`.
    One row per held-out fact."""
    rows = []
    for label, held in tqdm(groups, desc="leave out", unit="fit", disable=not progress):
        mask = problem.checked.copy()
        mask[held] = False
        if not mask.any():
            continue
        clock = time.perf_counter()
        trials = search(problem, cal, dims, reference, mask, int(cal.loo_trials),
                        desc=f"without {label}", progress=progress)
        pick = choose(problem, cal, dims, reference, trials, mask)
        params, _ = polish(problem, cal, dims, reference, pick.params, mask)
        got = check(problem, cal, params, mask, seed, replicates)
        seconds = time.perf_counter() - clock
        for f in held:
            rows.append({"group": label, "fact": problem.facts[f].id,
                         "held_out_fraction": float(got.fractions[f]),
                         "held_out_met": bool(got.fractions[f] >= problem.need),
                         "held_out_quantile": float(got.quantiles[f]),
                         "fitted_met": got.met, "fitted_checked": int(mask.sum()),
                         "score": got.score, "trial": pick.trial, "seconds": seconds,
                         **flat_values(params, dims)})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- writing

def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def provenance(cfg: DictConfig, overrides: list[str], choice: Choice, got: Check,
               problem: Problem, mask: np.ndarray) -> dict:
    """Everything that determines the written file, and nothing that varies between reruns
    (no date or time: those go to the run directory's calibration.json)."""
    cal = cfg.calibration
    kept = [o for o in overrides if not o.lstrip("+~").startswith(NOT_IN_PROVENANCE)]
    failed = [f.id for k, f in enumerate(problem.facts)
              if mask[k] and got.fractions[k] < problem.need]
    data = {"actors": cfg.data.actors, "events": cfg.data.events,
            "extra_events": list(cfg.data.extra_events), "facts": cfg.data.facts}
    paths = [cfg.data.actors, cfg.data.events, *cfg.data.extra_events, cfg.data.facts]
    return {
        "command": " ".join(["python -m sim.calibrate", *kept]),
        "start": cfg.start, "end": cfg.end, "data": data,
        "data_sha256": {p: file_digest(resolve_path(p)) for p in paths},
        "sampler": "optuna TPESampler", "sampler_seed": int(cal.sampler_seed),
        "optuna": version("optuna"),
        "trials": math.ceil(int(cal.trials) / int(cal.batch)) * int(cal.batch),
        "batch": int(cal.batch), "replicates_each": int(cal.replicates_each),
        "search_seed": int(cal.seed), "final_replicates": int(cal.final_replicates),
        "final_seed": int(cal.final_seed), "trial": choice.trial,
        "at_reference": list(choice.at_reference),
        "seed": got.seed, "replicates": got.replicates, "score": round(got.score, 6),
        "facts_met": got.met, "facts_checked": int(mask.sum()),
        "fact_fraction": problem.need, "facts_failed": failed,
    }


def params_text(params: dict, prov: dict) -> str:
    head = [
        f"# Calibrated by `{prov['command']}` (sim/calibrate.py): rates per month,",
        "# event weights on the Goldstein scale. Rerun the command rather than edit by hand.",
        f"# Search: {prov['trials']} TPE trials (sampler seed {prov['sampler_seed']}), "
        f"{prov['batch']} sets x {prov['replicates_each']} replicates",
        f"# per ensemble run (seed {prov['search_seed']}); the best {prov['final_replicates']}"
        f"-replicate rerun (seed {prov['final_seed']}) is trial {prov['trial']}.",
        f"# Facts of {prov['data']['facts']} over {prov['start']}..{prov['end']}: "
        f"{prov['facts_met']}/{prov['facts_checked']} hold in >= {prov['fact_fraction']:.0%} of",
        f"# {prov['replicates']} replicates (seed {prov['seed']}, as `python -m sim` runs them), "
        f"score {prov['score']:.4f}.",
        "# The date of the run is kept in its run directory (calibration.json), not here,",
        "# so the same command and seeds write the same bytes.",
    ]
    body = {name: params[name] for name in (*PARAM_NAMES, "money_ref_usd")}
    body["weights"] = dict(params["weights"])
    body["provenance"] = prov
    return "\n".join(head) + "\n" + yaml.safe_dump(body, sort_keys=False, width=100)


def write_params(path: Path, params: dict, prov: dict) -> None:
    text = params_text(params, prov)
    atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def fact_rows(problem: Problem, got: Check, reference: Check) -> list[dict]:
    rows = []
    for k, f in enumerate(problem.facts):
        row = {"id": f.id, "kind": f.kind, "checked": bool(problem.checked[k])}
        if problem.checked[k]:
            row.update(fraction=float(got.fractions[k]), met=bool(got.fractions[k] >= problem.need),
                       margin_quantile=float(got.quantiles[k]),
                       reference_fraction=float(reference.fractions[k]))
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- figures

def draw_spread(spread: pd.DataFrame, accepted: pd.DataFrame, rule: str,
                dims: list[Dimension], path: Path) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 0.34 * len(dims) + 1.6))
    ax = fig.add_subplot()
    for y, d in enumerate(dims):
        row = spread.iloc[y]
        if not math.isnan(row["profile_low"]):
            half = 0.5 / (PROFILE_POINTS - 1)  # each grid point stands for its neighbourhood
            lo = max(0.0, d.scaled(row["profile_low"]) - half)
            hi = min(1.0, d.scaled(row["profile_high"]) + half)
            ax.plot([lo, hi], [y, y], color="#c7e9c0", lw=9, solid_capstyle="butt", zorder=1)
        points = np.array([d.scaled(v) for v in accepted[d.name]])
        jitter = (np.arange(len(points)) % 7 - 3) * 0.045
        ax.scatter(points, y + jitter, s=4, color="#9ecae1", zorder=2)
        ax.plot([d.scaled(row["q25"]), d.scaled(row["q75"])], [y, y], color="#08519c", lw=2.5,
                zorder=3)
        ax.scatter([d.scaled(row["reference"])], [y], marker="x", color="#333333", s=30, zorder=4)
        ax.scatter([d.scaled(row["chosen"])], [y], marker="D", color="#d94801", s=22, zorder=5)
        ax.text(1.04, y, row["verdict"], va="center", fontsize=7)
    labels = [f"{d.name.replace('weights.', 'w ')}  [{d.low:.3g}, {d.high:.3g}]"
              + (" log" if d.log else "") for d in dims]
    ax.set_yticks(range(len(dims)), labels, fontsize=7)
    ax.set_ylim(len(dims) - 0.5, -0.5)
    ax.set_xlim(-0.03, 1.15)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_xlabel("position in the search box (0 = lower bound, 1 = upper bound)")
    ax.set_title(f"Dots: {rule}; bar: their interquartile range.\nGreen: one-at-a-time range "
                 f"within {PROFILE_TOLERANCE} of the calibrated fit. Diamond: calibrated; "
                 "x: Goldstein default.", fontsize=8)
    ax.grid(axis="x", color="#eeeeee")
    fig.tight_layout()
    atomic_write(path, lambda temp: fig.savefig(temp, format="png", dpi=130))
    return path


def draw_facts(rows: list[dict], need: float, path: Path) -> Path:
    from matplotlib.figure import Figure

    rows = [r for r in rows if r["checked"]]
    fig = Figure(figsize=(8.0, 0.26 * len(rows) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    if "reference_fraction" in rows[0]:
        ax.barh(y + 0.2, [r["reference_fraction"] for r in rows], height=0.4, color="#bdbdbd",
                label="Goldstein defaults")
    ax.barh(y - 0.2, [r["fraction"] for r in rows], height=0.4,
            color=["#2171b5" if r["met"] else "#cb181d" for r in rows], label="calibrated")
    ax.axvline(need, color="#333333", lw=0.8, ls="--")
    ax.set_yticks(y, [r["id"] for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of replicates meeting the fact (red: below the line, not met)")
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    atomic_write(path, lambda temp: fig.savefig(temp, format="png", dpi=130))
    return path


# ----------------------------------------------------------------------------- report

def results_markdown(result: dict) -> str:
    """The numbers of a calibration as Markdown tables (results.md beside the report)."""
    prov = result["provenance"]
    lines = [f"# Calibration results ({result['date']})", "",
             f"Command: `{prov['command']}`" + (" with `calibration.loo=true`" if "leave_out" in result
                                                 else ""), "",
             f"Fit score {result['score']:.4f}; facts met {result['facts_met']}/"
             f"{result['facts_checked']} (>= {result['fact_fraction']:.0%} of {result['replicates']} "
             f"replicates, seed {prov['seed']}); Goldstein defaults {result['reference_met']}/"
             f"{result['facts_checked']}, fit score {result['reference_score']:.4f}.", "",
             "| fact | calibrated | defaults | met |", "|---|---:|---:|:---:|"]
    for row in result["facts"]:
        if row["checked"]:
            lines.append(f"| {row['id']} | {row['fraction']:.3f} | {row['reference_fraction']:.3f} "
                         f"| {'yes' if row['met'] else '**no**'} |")
    lines += ["", f"Spread: {result['spread_rule']}. Relative IQR: interquartile range as a share "
              "of the box (0.5 for a uniform draw); search IQR: the same over the best "
              f"{result['spread_share']:.0%} of the search trials; one-at-a-time: the range over "
              f"which the fit stays within {PROFILE_TOLERANCE} of the calibrated set's, the "
              "others held.", "",
              "| parameter | box | calibrated | default | IQR | rel. IQR | search rel. IQR | "
              "one-at-a-time | verdict |", "|---|---|---:|---:|---|---:|---:|---|---|"]
    for row in result["spread"]:
        box = f"[{row['low']:.3g}, {row['high']:.3g}]" + (" log" if row["log"] else "")
        span = (f"[{row['profile_low']:.3g}, {row['profile_high']:.3g}]"
                if not math.isnan(row["profile_low"]) else "none")
        lines.append(f"| {row['name']} | {box} | {row['chosen']:.4g} | {row['reference']:.4g} | "
                     f"[{row['q25']:.3g}, {row['q75']:.3g}] | {row['relative_iqr']:.2f} | "
                     f"{row['search_relative_iqr']:.2f} | {span} ({row['profile_share']:.0%}) | "
                     f"{row['verdict']} |")
    for by, loo in result.get("leave_out", {}).items():
        lines += ["", f"Leave one {by} out: {loo['met']}/{loo['checked']} held-out facts met "
                  f"({loo['score']:.0%}); {loo['fits']} refits of {loo['trials']} trials each, "
                  f"{loo['seconds']:.0f} s in all.", "",
                  "| " + ("" if by == "fact" else f"held-out {by} | ") + "fact | share | met | "
                  "others met |", "|" + ("" if by == "fact" else "---|") + "---|---:|:---:|---:|"]
        for row in loo["rows"]:
            lines.append("| " + ("" if by == "fact" else f"{row['group']} | ")
                         + f"{row['fact']} | {row['held_out_fraction']:.3f} | "
                         f"{'yes' if row['held_out_met'] else '**no**'} | "
                         f"{row['fitted_met']}/{row['fitted_checked']} |")
    lines += ["", "Timings (s): " + ", ".join(f"{k.removesuffix('_s')} {v:.1f}"
                                            for k, v in result["timings"].items()), ""]
    return "\n".join(lines)


def output_path(text: str) -> Path:
    """A relative path is taken from the working directory if its folder exists there, else
    from the project root (so the default lands in configs/params wherever it is run from)."""
    path = Path(text).expanduser()
    if path.is_absolute() or path.parent.is_dir():
        return path
    return PROJECT_ROOT / path


def check_settings(cal: DictConfig) -> None:
    for key in ("trials", "batch", "replicates_each", "final_replicates", "top", "loo_trials"):
        if int(cal[key]) < 1:
            raise InputError("config", f"calibration.{key}", f"{cal[key]} must be at least 1")
    if not float(cal.margin_scale) > 0 or not float(cal.margin_weight) >= 0:
        raise InputError("config", "calibration.margin_scale",
                         "margin_scale must be > 0 and margin_weight >= 0")
    if not 0 < float(cal.spread_share) <= 1:
        raise InputError("config", "calibration.spread_share", "must be in (0, 1]")
    for by in cal.loo_by:
        if by not in ("fact", "dyad"):
            raise InputError("config", "calibration.loo_by", f"'{by}' is not one of fact, dyad")


def calibrate(cfg: DictConfig, out_dir: Path, overrides: list[str] | None = None) -> dict:
    """Fit, choose, write the params file (calibration.output) and the run's tables and
    figures into out_dir; with calibration.loo also the leave-one-out refits."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cal = cfg.calibration
    check_settings(cal)
    progress = bool(cal.progress)
    timings = {}
    clock = time.perf_counter()
    problem = build_problem(cfg)
    reference = problem.setup.params
    dims = search_space(cal, reference)
    mask = problem.checked
    output = output_path(str(cal.output))
    timings["load_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    trials = search(problem, cal, dims, reference, mask, int(cal.trials), progress=progress)
    timings["search_s"] = time.perf_counter() - clock
    write_parquet(trials, out_dir / "calibration.parquet")
    clock = time.perf_counter()
    choice = choose(problem, cal, dims, reference, trials, mask)
    polished, at_reference = polish(problem, cal, dims, reference, choice.params, mask)
    choice = Choice(polished, choice.trial, choice.candidates, at_reference)
    got = check(problem, cal, choice.params, mask, int(cfg.seed), int(cfg.replicates))
    ref = check(problem, cal, reference, mask, int(cfg.seed), int(cfg.replicates))
    timings["choose_s"] = time.perf_counter() - clock
    prov = provenance(cfg, list(overrides or []), choice, got, problem, mask)
    write_params(output, choice.params, prov)

    clock = time.perf_counter()
    sample = explore(problem, cal, dims, reference, mask, progress=progress)
    spread, accepted, rule = spread_table(sample, trials, dims, int(mask.sum()),
                                          float(cal.spread_share), choice.params, reference)
    prof, _ = profile(problem, cal, dims, choice.params, mask)
    spread = spread.merge(prof, on="name")
    timings["identification_s"] = time.perf_counter() - clock

    facts = fact_rows(problem, got, ref)
    result = {
        "date": date.today().isoformat(),
        "output": str(output),
        "provenance": prov,
        "params": choice.params,
        "score": got.score,
        "facts_met": got.met,
        "facts_checked": int(mask.sum()),
        "fact_fraction": problem.need,
        "replicates": got.replicates,
        "reference_met": ref.met,
        "reference_score": ref.score,
        "facts": facts,
        "candidates": choice.candidates.to_dict(orient="records"),
        "spread_rule": rule,
        "spread_share": float(cal.spread_share),
        "spread": spread.to_dict(orient="records"),
        "timings": timings,
    }
    if cal.loo:
        frames = []
        for by in cal.loo_by:
            clock = time.perf_counter()
            table = leave_out(problem, cal, dims, reference, held_out_groups(problem, str(by)),
                              int(cfg.seed), int(cfg.replicates), progress=progress)
            timings[f"leave_out_{by}_s"] = time.perf_counter() - clock
            frames.append(table.assign(by=str(by)))
            result.setdefault("leave_out", {})[str(by)] = {
                "trials": math.ceil(int(cal.loo_trials) / int(cal.batch)) * int(cal.batch),
                "fits": int(table.group.nunique()), "met": int(table.held_out_met.sum()),
                "checked": len(table), "score": float(table.held_out_met.mean()),
                "failed": table.loc[~table.held_out_met, "fact"].tolist(),
                "seconds": timings[f"leave_out_{by}_s"], "rows": table.to_dict(orient="records")}
        loo = pd.concat(frames, ignore_index=True)
        write_parquet(loo, out_dir / "loo.parquet")
    write_parquet(sample, out_dir / "explore.parquet")
    draw_spread(spread, accepted, rule, dims, out_dir / "spread.png")
    draw_facts(facts, problem.need, out_dir / "facts.png")
    write_json(result, out_dir / "calibration.json")
    if cal.report_dir:
        report = output_path(str(cal.report_dir))
        report.mkdir(parents=True, exist_ok=True)
        for name in ("spread.png", "facts.png"):
            shutil.copyfile(out_dir / name, report / name)
        if "leave_out" in result:
            loo_csv = loo.to_csv(index=False, float_format="%.6g")
            atomic_write(report / "loo.csv", lambda temp: temp.write_text(loo_csv))
        text = results_markdown(result)
        atomic_write(report / "results.md", lambda temp: temp.write_text(text))
    return result


def summary_lines(result: dict, out_dir: Path) -> list[str]:
    lines = [f"Calibrated params written to {result['output']}",
             f"Score {result['score']:.4f}; facts met {result['facts_met']}/{result['facts_checked']} "
             f"(Goldstein defaults {result['reference_met']}/{result['facts_checked']})"]
    failing = [f for f in result["facts"] if f["checked"] and not f["met"]]
    for f in failing:
        lines.append(f"  not met: {f['id']} ({f['fraction']:.2f})")
    pinned = [s["name"] for s in result["spread"] if s["verdict"] == "pinned"]
    lines.append(f"Pinned by the facts: {', '.join(pinned) or 'none'}")
    for by, loo in result.get("leave_out", {}).items():
        lines.append(f"Leave one {by} out: {loo['met']}/{loo['checked']} held-out facts met "
                     f"({loo['score']:.0%}); failing: {', '.join(loo['failed']) or 'none'}")
    lines.append("Timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["timings"].items()))
    lines.append(f"Run directory: {out_dir}")
    return lines


@hydra.main(version_base="1.3", config_path="../configs", config_name="calibrate")
def main(cfg: DictConfig) -> float | None:
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        result = calibrate(cfg, out_dir, [str(o) for o in hydra_cfg.overrides.task])
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print("\n".join(summary_lines(result, out_dir)))
    return result["score"]


def entry() -> None:
    exit_on_bad_overrides(sys.argv[1:])
    main()


if __name__ == "__main__":
    entry()
