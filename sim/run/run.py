"""Build, simulate, summarise: one run from a configuration into a directory (no Hydra here)."""

import logging
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from sim.config.options import options
from sim.config.schema import DataConfig
from sim.data.actors import Actors, load_actors
from sim.data.dates import month_dates, month_label, parse_month
from sim.data.events.catalogue import load_catalogues, shown_path
from sim.data.eventtypes import TYPE_NAMES
from sim.data.facts import Fact, FactProbes, fact_probes, fact_report, load_facts
from sim.data.files import atomic_write
from sim.data.skips import InputUse, outside_states
from sim.errors import InputError
from sim.model.ensemble import (
    Ensemble,
    EnsembleParts,
    compiled_kernels,
    ensemble_bins,
    simulate_parts,
)
from sim.model.params import PARAM_NAMES
from sim.paths import PROJECT_ROOT, resolve_path
from sim.run import measurements
from sim.run.console import report_lines
from sim.run.effects import (
    CUMULATIVE_MONTHS,
    PROBE_BUDGET_MB,
    EffectPlan,
    ReplicateEffects,
    all_cells,
    cell_arrays,
    effect_entries,
    entry_cells,
    mark_entries,
    plan_effects,
    probe_bytes,
)
from sim.run.final import final_cells, final_entries
from sim.run.handover import hand_over, handover_month, run_agency
from sim.run.inputs import build_schedule
from sim.run.memory import check_fits, memory_limit, run_bytes
from sim.run.parameters import check_params, replicate_rows
from sim.run.scenario import Schedules, build_schedules, check_scenario
from sim.run.tables import effects_table, trajectories_table, write_json, write_parquet
from sim.run.waiting import waiting

COMPILE_SECONDS = 10  # measured cold: 9.7 s wall for the whole first run (benchmarks, section 3, 2026-12-02)
log = logging.getLogger(__name__)

# documented ranges of the parameters: (low, high), per step (month)
MIN_QUANTILE_BINS = 100  # fewer bins give no quantiles (sim.model.ensemble.choose_bins)
EFFECT_DATES = 3 + CUMULATIVE_MONTHS  # dates of a pair's effect entries: 12m, peak, end, window


@dataclass(frozen=True)
class Setup:
    actors: Actors
    catalogue: pd.DataFrame
    facts: list[Fact]
    schedules: Schedules
    start: int
    n_steps: int
    params: dict
    focus: str
    agents_from: int | None  # the month the states take over (None: they never act)
    catalogues: tuple[InputUse, ...]  # what each catalogue gave, in reading order
    facts_use: InputUse  # what the facts file gave


def check_output(output: DictConfig, replicates: int, where: str = "config") -> None:
    """The output settings inside their meaningful ranges."""
    if output.quantile_bins != 0 and output.quantile_bins < MIN_QUANTILE_BINS:
        raise InputError(where, "output.quantile_bins", f"{output.quantile_bins} must be 0 (no "
                         f"quantiles) or at least {MIN_QUANTILE_BINS}")
    if not 0 <= output.keep_replicates <= replicates:
        raise InputError(where, "output.keep_replicates", f"{output.keep_replicates} must be "
                         f"between 0 and replicates ({replicates})")
    if not 0 < output.fact_fraction <= 1:
        raise InputError(where, "output.fact_fraction", f"{output.fact_fraction} must be a "
                         "share of replicates in (0, 1]")
    if not (math.isfinite(output.effect_threshold) and output.effect_threshold >= 0):
        raise InputError(where, "output.effect_threshold", f"{output.effect_threshold} must be "
                         "a size of effect >= 0 (a move no larger counts as none)")
    if output.histogram_budget_mb <= 0:
        raise InputError(where, "output.histogram_budget_mb",
                         f"{output.histogram_budget_mb} must be a number of megabytes > 0")


def check_resolves(cfg: DictConfig) -> None:
    """InputError naming the key of the first value the configuration lacks (an edit's
    event without a type) or cannot resolve (an interpolation of a key that is not there)."""
    try:
        for key in cfg:  # Hydra's own section resolves inside a job only
            if key != "hydra" and OmegaConf.is_config(cfg[key]):
                OmegaConf.to_container(cfg[key], resolve=True, throw_on_missing=True)
    except OmegaConfBaseException as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        fix = ("give it a value" if isinstance(err, MissingMandatoryValue)
               else "an interpolation ${...} names a key that is set")
        raise InputError("config", getattr(err, "full_key", "") or "config",
                         f"{reason}; {fix}") from None


def prepare(cfg: DictConfig) -> Setup:
    """Load and check every input; raises InputError before anything is written."""
    check_resolves(cfg)
    if cfg.replicates < 1:
        raise InputError("config", "replicates", f"{cfg.replicates} must be at least 1")
    if not 1 <= cfg.block.count <= cfg.replicates or not 0 <= cfg.block.index < cfg.block.count:
        raise InputError("config", "block", f"block.index {cfg.block.index} of block.count "
                         f"{cfg.block.count}: the count must lie in 1..replicates "
                         f"({cfg.replicates}) and the index in 0..count - 1")
    if not 0 <= cfg.seed < 2**63:
        raise InputError("config", "seed", f"{cfg.seed} must be an integer in [0, 2**63)")
    start = parse_month(cfg.start, "config", "start")
    end = parse_month(cfg.end, "config", "end")
    if end <= start:
        raise InputError("config", "end", f"{cfg.end} must come after start {cfg.start}")
    check_output(cfg.output, cfg.replicates)
    params = check_params(OmegaConf.to_container(cfg.params, resolve=True))
    actors = load_actors(resolve_path(cfg.data.actors))
    focus = cfg.focus or ("PAK" if "PAK" in actors.codes else actors.codes[0])
    if focus not in actors.codes:
        raise InputError("config", "focus", f"unknown state '{focus}'; known: {', '.join(actors.codes)}")
    events = resolve_path(cfg.data.events)
    paths = [events, *(resolve_path(p) for p in cfg.data.extra_events)]
    catalogues: list[InputUse] = []
    catalogue = load_catalogues(paths, actors.codes, [resolve_path(p) for p in cfg.data.background],
                                catalogues, first_shipped=shipped(events, DataConfig.events),
                                measured=[resolve_path(p) for p in cfg.data.measured],
                                measured_until=parse_month(cfg.data.measured_until, "config",
                                                           "data.measured_until"))
    scenarios = {*options("scenario"), *([] if cfg.scenario is None else [cfg.scenario.name])}
    facts_path = resolve_path(cfg.data.facts)
    skipped = [] if shipped(facts_path, DataConfig.facts) else None
    facts = load_facts(facts_path, actors.codes, scenarios, skipped)
    facts_use = InputUse(shown_path(facts_path), "facts", len(facts), len(skipped or []),
                         outside_states(skipped or [], actors.codes))
    scenario_file = None if cfg.scenario is None else f"configs/scenario/{cfg.scenario.name}.yaml"
    schedules = build_schedules(catalogue, cfg.scenario, actors.codes, scenario_file)
    check_scenario(cfg.scenario, schedules, start, end)
    plan = plan_effects(schedules, actors.index, focus, start, end - start)
    per_replicate, besides = run_bytes(
        params=len(PARAM_NAMES) + len(TYPE_NAMES), variants=len(schedules.names),
        probes=2 * len(facts) + (0 if plan is None else len(plan.pairs) * EFFECT_DATES),
        facts=len(facts), keep=cfg.output.keep_replicates,
        cells=(end - start + 1) * len(actors.codes) ** 2, budget_mb=cfg.output.histogram_budget_mb)
    check_fits(cfg.replicates, per_replicate, besides, memory_limit())
    agents_from = None
    if cfg.model.agents:
        agents_from = handover_month(cfg, schedules, catalogue)
        schedules = hand_over(schedules, agents_from)
    return Setup(actors, catalogue, facts, schedules, start, end - start, params, focus, agents_from,
                 tuple(catalogues), facts_use)


def shipped(path: Path, default: str) -> bool:
    """Whether `path` is the project's own file that a data key gives by default (seeds/...):
    like the background, it applies to the states of the actors file it names, where a
    user's own file is checked row by row."""
    return path.resolve() == (PROJECT_ROOT / default).resolve()


def simulate_setup(setup: Setup, cfg: DictConfig, progress: bool = True, cells=None,
                   quantile_bins: int | None = None, doing: str | None = None
                   ) -> tuple[Ensemble, FactProbes]:
    """The run's ensemble. Its probes are the facts' cells, then `cells` ((step, i, j) arrays,
    any order) if given; quantile_bins overrides cfg.output.quantile_bins; doing: what the
    progress line says (simulate_block)."""
    parts = simulate_block(setup, cfg, range(cfg.replicates), progress, cells, quantile_bins,
                           doing)
    with waiting("the statistics of the replicates", progress):
        return ensemble_of(setup, cfg, parts, cells, quantile_bins)


def run_probes(setup: Setup, cells=None) -> tuple[FactProbes, tuple, np.ndarray]:
    """(the facts' probes, every probed cell as (step, i, j) in date order, the order that
    puts them back: the facts' cells, then `cells`)."""
    probes = fact_probes(setup.facts, setup.actors.index, setup.start, setup.n_steps)
    extra = cells if cells is not None else (np.zeros(0, dtype=np.int64),) * 3
    step, i, j = (np.concatenate([a, b]) for a, b in zip((probes.step, probes.i, probes.j), extra,
                                                         strict=True))
    order = np.argsort(step, kind="stable")  # the kernel reads probes in date order
    return probes, (step[order], i[order], j[order]), np.argsort(order)


def simulate_block(setup: Setup, cfg: DictConfig, replicates: range, progress: bool = True,
                   cells=None, quantile_bins: int | None = None,
                   doing: str | None = None) -> EnsembleParts:
    """Replicates `replicates` (a block of the run's cfg.replicates) of the run, not yet
    reduced: blocks simulated apart and added in order give the whole run exactly. progress:
    a bar over chunks of replicates, and a line saying `doing` (default: what is simulated)
    if it takes a while."""
    _, (step, i, j), _ = run_probes(setup, cells)
    schedule = build_schedule(list(setup.schedules.events), setup.actors.index, setup.start,
                              setup.n_steps, setup.params["money_ref_usd"], setup.params["tiv_ref"])
    rates, weights = (rows[replicates.start:replicates.stop]
                      for rows in replicate_rows(setup.params, cfg.replicates))
    bins = cfg.output.quantile_bins if quantile_bins is None else quantile_bins
    variants = len(setup.schedules.names)
    doing = doing or (f"simulating {len(replicates)} replicates of {variants} variant"
                      f"{'s' * (variants > 1)}, {len(setup.actors.codes)} states, "
                      f"{month_label(setup.start)}..{month_label(setup.start + setup.n_steps)}")
    with waiting(doing, progress):
        return simulate_parts(setup.actors.alignment, setup.actors.capability, schedule, rates,
                              weights, cfg.seed, quantile_bins=bins,
                              budget_mb=cfg.output.histogram_budget_mb, probe_step=step,
                              probe_i=i, probe_j=j, keep=cfg.output.keep_replicates,
                              progress=progress, balance=cfg.model.balance,
                              agency=run_agency_of(setup), bounds=cfg.model.bounds,
                              first_replicate=replicates.start)


def run_agency_of(setup: Setup):
    return None if setup.agents_from is None else run_agency(
        setup.agents_from, setup.start, setup.n_steps, setup.schedules, setup.catalogue,
        setup.params["money_ref_usd"], setup.params["tiv_ref"])


def ensemble_of(setup: Setup, cfg: DictConfig, parts: EnsembleParts, cells=None,
                quantile_bins: int | None = None) -> tuple[Ensemble, FactProbes]:
    """The statistics of a run's replicates (simulate_block's parts, added up)."""
    probes, _, back = run_probes(setup, cells)
    schedule = build_schedule(list(setup.schedules.events), setup.actors.index, setup.start,
                              setup.n_steps, setup.params["money_ref_usd"], setup.params["tiv_ref"])
    bins = ensemble_bins(cfg.output.quantile_bins if quantile_bins is None else quantile_bins,
                         schedule, setup.actors.capability, cfg.output.histogram_budget_mb)
    agency = run_agency_of(setup)
    ens = parts.ensemble(len(setup.schedules.names), bins,
                         agency is not None and agency.count_window[1] > agency.count_window[0])
    return replace(ens, probes=ens.probes[:, :, back]), probes


def kernels_cached(n_states: int) -> bool:
    """Whether numba's disk cache holds compiled code of the kernels a run of n_states states
    calls; False before the first run (which then compiles them)."""
    return cached(*compiled_kernels(n_states))


def cached(*dispatchers) -> bool:
    """Whether numba's disk cache holds compiled code of every one of `dispatchers`."""
    try:
        return all(dispatcher._cache._cache_file._load_index()  # numba's cache index
                   for dispatcher in dispatchers)
    except (AttributeError, OSError):  # another numba layout: say nothing
        return True


def compile_notice(what: str) -> str:
    return (f"compiling {what} (first use only, about {COMPILE_SECONDS} s on an idle machine; "
            "later uses load it from the cache)")


def versions() -> dict:
    found = {"python": platform.python_version()}
    for package in ("sim", "numpy", "numba", "mesa", "hydra-core", "pandas", "pyarrow"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def interval_includes(params: dict) -> str:
    """What an effect's interval spans for this parameter set: one set gives model noise only;
    posterior draws (one per replicate) add parameter uncertainty."""
    return "parameter uncertainty and model noise" if params.get("draws") else "model noise only"


def first_pass_cells(setup: Setup, cfg: DictConfig) -> tuple[EffectPlan | None, tuple | None]:
    """(effect plan, cells for the run's own pass): every date of the reported pairs when their
    per-replicate values fit PROBE_BUDGET_MB, else None (a second pass then reads them)."""
    plan = plan_effects(setup.schedules, setup.actors.index, setup.focus, setup.start,
                        setup.n_steps)
    if plan is None or probe_bytes(plan, cfg.replicates) > PROBE_BUDGET_MB * 2**20:
        return plan, None
    return plan, cell_arrays(all_cells(plan))


def measurement_plan(setup: Setup, cfg: DictConfig, cells: tuple | None
                     ) -> tuple[measurements.MeasurementCells | None, tuple | None]:
    """The probes of the measured pairs, when output.measurements asks for them and their
    per-replicate values fit PROBE_BUDGET_MB beside the effects' (else None, and a log line)."""
    if not cfg.output.measurements:
        return None, None
    where, probe_cells = measurements.cells(setup.actors.codes, setup.focus, setup.n_steps, 0)
    n_variants = len(setup.schedules.names)
    needed = 8 * cfg.replicates * n_variants * (len(probe_cells[0]) + (0 if cells is None else len(cells[0])))
    if needed > PROBE_BUDGET_MB * 2**20:
        log.info("measurements.parquet skipped: %d MB of probes over the %d MB budget",
                 needed // 2**20, PROBE_BUDGET_MB)
        return None, None
    return where, probe_cells


def join_cells(first: tuple | None, second: tuple | None) -> tuple | None:
    if first is None or second is None:
        return first if second is None else second
    return tuple(np.concatenate([a, b]) for a, b in zip(first, second, strict=True))


def scenario_effects(setup: Setup, cfg: DictConfig, ens: Ensemble, probes: FactProbes,
                     plan: EffectPlan | None, cells: tuple | None, progress: bool = True
                     ) -> tuple[list[dict], pd.DataFrame | None]:
    """(summary entries, exact quantiles at the probed cells) of the scenario's effect. `cells`
    are the ones the run's pass probed after the facts' (first_pass_cells); when None, a second
    pass on the same random numbers probes the dates the entries read."""
    if plan is None:
        return [], None
    series = len(setup.schedules.names)  # the first difference series
    if cells is None:
        cells = cell_arrays(entry_cells(plan, ens.mean[series]))
        ens_cells, _ = simulate_setup(setup, cfg, progress, cells, quantile_bins=0,
                                      doing=f"simulating the {cfg.replicates} replicates again "
                                      "for the effects (their values at every date did not "
                                      f"fit the {PROBE_BUDGET_MB} MB probe budget)")
    else:
        ens_cells = ens
    values = ens_cells.probes[:, :, len(probes.step):]
    per_replicate = ReplicateEffects(*cells, values[:, 0], values[:, 1])
    threshold = cfg.output.effect_threshold
    entries = effect_entries(plan, ens.mean[series], per_replicate, setup.actors.codes,
                             setup.start, threshold)
    return entries, per_replicate.quantile_table(setup.actors.codes, threshold)


@dataclass(frozen=True)
class Answer:
    """A run's ensemble and what it answers: the effect entries with a scenario (and their
    exact quantiles at every probed cell), else the focus state's pairs at the end."""

    ens: Ensemble
    probes: FactProbes
    plan: EffectPlan | None
    effects: list[dict]
    exact: pd.DataFrame | None
    final: list[dict]
    measured: measurements.MeasurementCells | None  # the measured pairs' probes, if any


def answer_cells(setup: Setup, cfg: DictConfig, every_date: bool = False) -> tuple[tuple, tuple | None]:
    """(planned, the run's probe cells): planned is (effect plan, its cells, the measured pairs,
    their cells, the focus pairs at the end). every_date: the effect cells whatever the probe
    budget (a run split into blocks reads them from every block)."""
    plan, cells = first_pass_cells(setup, cfg)
    if every_date and plan is not None:
        cells = cell_arrays(all_cells(plan))
    measured, measured_cells = measurement_plan(setup, cfg, cells)
    last = None if plan is not None else final_cells(setup.actors.index, setup.focus,
                                                     setup.n_steps)
    # probes: the facts', the effects', the measured pairs', the focus pairs' at the end
    return ((plan, cells, measured, measured_cells, last),
            join_cells(join_cells(cells, measured_cells), last))


def read_answer(setup: Setup, cfg: DictConfig, ens: Ensemble, probes: FactProbes, planned: tuple,
                progress: bool = True) -> Answer:
    """The answer of a simulated run (answer_cells' `planned`): effects, final alignments."""
    plan, cells, measured, measured_cells, last = planned
    effects, exact = scenario_effects(setup, cfg, ens, probes, plan, cells, progress)
    after_effects = len(probes.step) + (0 if cells is None else len(cells[0]))
    if measured is not None:
        measured = replace(measured, offset=after_effects)
    final = []
    if last is not None:
        history = setup.schedules.names.index(setup.schedules.history)
        offset = after_effects + (0 if measured_cells is None else len(measured_cells[0]))
        final = final_entries(ens.probes[:, history, offset:], last, setup.actors.codes,
                              setup.start + setup.n_steps)
    return Answer(ens, probes, plan, effects, exact, final, measured)


def simulate_answer(setup: Setup, cfg: DictConfig, progress: bool = True) -> Answer:
    """Simulate the run and read its answer (the calls of `run`, without its files)."""
    planned, cells = answer_cells(setup, cfg)
    ens, probes = simulate_setup(setup, cfg, progress, cells)
    return read_answer(setup, cfg, ens, probes, planned, progress)


def events_used(setup: Setup) -> tuple[list[dict], list[str]]:
    used, outside = [], set()
    for name, events in zip(setup.schedules.names, setup.schedules.events, strict=True):
        step = events["month"].to_numpy() - setup.start
        inside = (step >= 0) & (step < setup.n_steps)
        outside.update(events.loc[~inside, "id"])
        for row in events.loc[inside].itertuples():
            used.append({"id": row.id, "date": f"{month_label(row.month)}-01", "source": row.source,
                         "target": row.target, "type": row.type, "variant": name})
    return used, sorted(outside)


def summarise(cfg: DictConfig, setup: Setup, answer: Answer, timings: dict) -> dict:
    codes = setup.actors.codes
    ens, probes, plan = answer.ens, answer.probes, answer.plan
    history = setup.schedules.names.index(setup.schedules.history)
    final = ens.mean[len(setup.schedules.names) - 1, -1]
    used, outside = events_used(setup)
    scenario = None
    effect_keys = {}
    if cfg.scenario is not None:
        first, lever = setup.schedules.first_change, setup.schedules.lever
        scenario = {"name": cfg.scenario.name, "description": cfg.scenario.description,
                    "history": setup.schedules.history,
                    "settings": {key: cfg.scenario[key] for key in ("amount_usd", "date", "factor")
                                 if cfg.scenario[key] is not None},
                    "first_change": None if first is None else month_label(first),
                    "lever_date": None if lever is None else month_label(lever)}
        effect_keys = {
            "effect_interval": interval_includes(setup.params),
            "effect_threshold": float(cfg.output.effect_threshold),
            "effect_pairs_touched": [[codes[i], codes[j]] for i, j in sorted(plan.touched)],
            "effect_window": {"from": month_label(setup.start + plan.window[0]),
                              "to": month_label(setup.start + plan.window[1])},
        }
    bins = ens.quantile_bins
    return {
        "actors": [{"code": c, "name": n, "capability": float(w)} for c, n, w in
                   zip(codes, setup.actors.names, setup.actors.capability, strict=True)],
        "start": cfg.start,
        "end": cfg.end,
        "seed": int(cfg.seed),
        "replicates": int(cfg.replicates),
        "variants": list(setup.schedules.names),
        "focus": setup.focus,
        "scenario": scenario,
        "model": {"balance": cfg.model.balance, "bounds": cfg.model.bounds,
                  "agents": bool(cfg.model.agents),
                  "agents_from": None if setup.agents_from is None
                  else month_label(setup.agents_from)},
        "params": setup.params,
        "final_mean": {s: {t: float(final[i, j]) for j, t in enumerate(codes) if i != j}
                       for i, s in enumerate(codes)},
        "effects": answer.effects,
        **effect_keys,
        **({"final": answer.final, "final_interval": interval_includes(setup.params)}
           if answer.final else {}),
        "catalogues": [use.record() for use in setup.catalogues],
        "facts_file": setup.facts_use.record(),
        "events_outside": outside,
        "events_used": used,
        **fact_report(probes, ens.probes[:, history], cfg.output.fact_fraction,
                      None if scenario is None else (scenario["name"], ens.probes[:, 0], ens.probes[:, 1])),
        "fact_fraction": float(cfg.output.fact_fraction),
        "quantile_bins": bins,
        # histogram quantiles (trajectories, and effects.parquet where `exact` is false) are
        # within one bin of the exact ones: the bin width on [-1, 1] and on [-2, 2]
        "quantile_resolution": ({"alignment": 2.0 / bins, "effect": 4.0 / bins} if bins else None),
        "versions": versions(),
        "timings": timings,
    }


def run(cfg: DictConfig, out_dir: Path, overrides: list[str] | None = None,
        progress: bool = True, figures: Callable[[Path, str], object] | None = None) -> dict:
    """Run the configured ensemble (and scenario) and write its outputs into out_dir.

    figures(out_dir, focus), when given and cfg.plot is set, draws from the written tables
    before the run marks itself complete (sim.report.plot.plot_run does)."""
    clock = time.perf_counter()
    with waiting("reading the inputs", progress):
        setup = prepare(cfg)
    timings = {"load_s": time.perf_counter() - clock}
    log.info("%d states, %d events, %d facts, %d replicates, %s..%s", len(setup.actors.codes),
             len(setup.catalogue), len(setup.facts), cfg.replicates, cfg.start, cfg.end)
    if not kernels_cached(len(setup.actors.codes)):
        notice = compile_notice("the kernel")
        print(notice, file=sys.stderr, flush=True)
        log.info(notice)
    clock = time.perf_counter()
    if cfg.block.count > 1:
        return run_block(cfg, setup, out_dir, overrides, progress, timings, clock)
    planned, cells = answer_cells(setup, cfg)
    ens, probes = simulate_setup(setup, cfg, progress, cells)
    return finish(cfg, setup, ens, probes, planned, out_dir, overrides, progress, figures,
                  timings, clock)


def finish(cfg: DictConfig, setup: Setup, ens: Ensemble, probes: FactProbes, planned: tuple,
           out_dir: Path, overrides: list[str] | None, progress: bool,
           figures: Callable[[Path, str], object] | None, timings: dict, clock: float) -> dict:
    """A simulated run's effects, tables, summary and figures into out_dir (answer_cells'
    `planned`; clock: when the simulation began)."""
    answer = read_answer(setup, cfg, ens, probes, planned, progress)
    timings["simulate_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    with waiting(f"writing the tables into {out_dir}", progress):
        write_tables(cfg, setup, ens, answer, out_dir)
    timings["write_s"] = time.perf_counter() - clock
    summary = summarise(cfg, setup, answer, timings)
    log.info("simulated in %.2f s, tables written in %.2f s", timings["simulate_s"],
             timings["write_s"])
    for line in report_lines(summary, out_dir):
        log.info(line)
    if cfg.plot and figures is not None:
        write_json(summary, out_dir / "summary.json")  # for the figures; not yet marked done
        clock = time.perf_counter()
        if progress:
            print("drawing the figures (a few seconds)", file=sys.stderr, flush=True)
        written = figures(out_dir, setup.focus) or []
        summary["figures"] = [str(Path(path).relative_to(out_dir)) for path in written]
        summary["timings"]["plot_s"] = time.perf_counter() - clock
    # last of all: summary.json with the overrides marks the run complete (sim.run.jobs)
    summary["overrides"] = list(overrides or [])
    write_json(summary, out_dir / "summary.json")
    return summary


def write_tables(cfg: DictConfig, setup: Setup, ens: Ensemble, answer: Answer,
                 out_dir: Path) -> None:
    """trajectories.parquet, and effects.parquet and measurements.parquet when the run has them."""
    dates = month_dates(setup.start, setup.n_steps + 1)
    codes = setup.actors.codes
    write_parquet(trajectories_table(ens, setup.schedules.names, codes, dates),
                  out_dir / "trajectories.parquet")
    if answer.plan is not None:
        write_parquet(mark_entries(effects_table(ens, codes, dates, len(setup.schedules.names),
                                                 answer.exact), answer.effects),
                      out_dir / "effects.parquet")
    if answer.measured is not None:
        write_parquet(measurements.measurements_table(
            ens.probes, setup.schedules.names, codes, answer.measured, setup.start, setup.n_steps,
            cfg.seed), out_dir / "measurements.parquet")


BLOCK_FILE = "block.npz"


def block_range(replicates: int, index: int, count: int) -> range:
    """The replicates of block `index` of `count` (as even as integers allow)."""
    return range(index * replicates // count, (index + 1) * replicates // count)


def block_cells(setup: Setup, cfg: DictConfig) -> tuple[tuple, tuple | None]:
    """(finish's `planned`, the cells every block probes) of a run split into blocks: every
    date of the reported pairs, whatever the probe budget (the entries' dates follow the
    mean of all blocks)."""
    return answer_cells(setup, cfg, every_date=True)


def run_block(cfg: DictConfig, setup: Setup, out_dir: Path, overrides: list[str] | None,
              progress: bool, timings: dict, clock: float) -> dict:
    """One block of a run split across jobs (block.index of block.count): its replicates'
    exact sums, counts and probes into block.npz, for sim.run.blocks.merge_blocks."""
    replicates = block_range(cfg.replicates, cfg.block.index, cfg.block.count)
    _, cells = block_cells(setup, cfg)
    parts = simulate_block(setup, cfg, replicates, progress, cells)
    timings["simulate_s"] = time.perf_counter() - clock
    with waiting(f"writing {out_dir / BLOCK_FILE}", progress):
        atomic_write(out_dir / BLOCK_FILE, parts.save)
    summary = {"block": {"index": cfg.block.index, "count": cfg.block.count,
                         "first": replicates.start, "last": replicates.stop - 1},
               "replicates": int(cfg.replicates), "seed": int(cfg.seed), "timings": timings,
               "versions": versions(), "overrides": list(overrides or [])}
    write_json(summary, out_dir / "summary.json")
    return summary
