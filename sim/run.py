"""Build, simulate, summarise: one run from a configuration into a directory (no Hydra here)."""

import math
import platform
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.actors import Actors, load_actors
from sim.dates import month_dates, month_label, parse_month
from sim.ensemble import Ensemble, build_schedule, simulate
from sim.errors import InputError
from sim.events.catalogue import load_catalogues
from sim.eventtypes import CHOSEN_TYPES, TYPE_NAMES
from sim.facts import Fact, FactProbes, fact_probes, fact_report, load_facts
from sim.handover import hand_over, handover_month, run_agency
from sim.io import effects_table, trajectories_table, write_json, write_parquet
from sim.kernel import BALANCE_FORMS, PARAM_NAMES
from sim.posterior import replicate_rows, uncertainty
from sim.scenario import Schedules, build_schedules

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# documented ranges of the parameters: (low, high), per step (month)
PARAM_RANGES = {"lam": (0.0, 1.0), "beta": (0.0, 1.0), "rho": (0.0, 0.5), "sigma": (0.0, 0.5),
                "mu": (0.0, 1.0), "gain": (0.0, 1.0), "source_share": (0.0, 1.0),
                "affinity": (0.0, 10.0), "tit_for_tat": (0.0, 50.0), "balancing": (0.0, 50.0),
                "substitution": (0.0, 50.0), "client_ties": (0.0, 10.0), "memory": (0.0, 0.99)}
ACTION_RATE_RANGE = (0.0, 0.2)  # per month and ordered pair
WEIGHT_RANGE = (-10.0, 10.0)


def resolve_path(text: str) -> Path:
    """A relative path is taken from the working directory, else from the project root."""
    path = Path(text).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path


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


def check_params(params: dict, where: str = "config") -> dict:
    """Finite values inside the documented ranges, and a weight for every event type."""
    for name in PARAM_NAMES:
        low, high = PARAM_RANGES[name]
        value = params.get(name)
        if not isinstance(value, int | float) or not low <= value <= high:
            raise InputError(where, f"params.{name}", f"{value} must be a number in [{low}, {high}]")
    money = params.get("money_ref_usd")
    if not isinstance(money, int | float) or not math.isfinite(money) or money <= 0:
        raise InputError(where, "params.money_ref_usd", f"{money} must be a number > 0")
    weights = params.get("weights") or {}
    for name in TYPE_NAMES:
        value = weights.get(name)
        if not isinstance(value, int | float) or not WEIGHT_RANGE[0] <= value <= WEIGHT_RANGE[1]:
            raise InputError(where, f"params.weights.{name}",
                             f"{value} must be a number in {list(WEIGHT_RANGE)} (Goldstein scale)")
    unknown = set(weights) - set(TYPE_NAMES)
    if unknown:
        raise InputError(where, "params.weights", f"unknown event type(s) {sorted(unknown)}")
    action_rates = params.get("action_rates") or {}
    for name, value in action_rates.items():
        if name not in CHOSEN_TYPES:
            raise InputError(where, f"params.action_rates.{name}",
                             f"not a type the states choose; one of {', '.join(CHOSEN_TYPES)}")
        low, high = ACTION_RATE_RANGE
        if not isinstance(value, int | float) or not low <= value <= high:
            raise InputError(where, f"params.action_rates.{name}",
                             f"{value} must be a number in [{low}, {high}] (per month and pair)")
    return params


def prepare(cfg: DictConfig) -> Setup:
    """Load and check every input; raises InputError before anything is written."""
    if cfg.replicates < 1:
        raise InputError("config", "replicates", f"{cfg.replicates} must be at least 1")
    if not 0 <= cfg.seed < 2**63:
        raise InputError("config", "seed", f"{cfg.seed} must be an integer in [0, 2**63)")
    start = parse_month(cfg.start, "config", "start")
    end = parse_month(cfg.end, "config", "end")
    if end <= start:
        raise InputError("config", "end", f"{cfg.end} must come after start {cfg.start}")
    params = check_params(OmegaConf.to_container(cfg.params, resolve=True))
    actors = load_actors(resolve_path(cfg.data.actors))
    focus = cfg.focus or ("PAK" if "PAK" in actors.codes else actors.codes[0])
    if focus not in actors.codes:
        raise InputError("config", "focus", f"unknown state '{focus}'; known: {', '.join(actors.codes)}")
    paths = [resolve_path(cfg.data.events), *(resolve_path(p) for p in cfg.data.extra_events)]
    catalogue = load_catalogues(paths, actors.codes)
    facts = load_facts(resolve_path(cfg.data.facts), actors.codes)
    scenario_file = None if cfg.scenario is None else f"configs/scenario/{cfg.scenario.name}.yaml"
    schedules = build_schedules(catalogue, cfg.scenario, actors.codes, scenario_file)
    if cfg.model.balance not in BALANCE_FORMS:
        raise InputError("config", "model.balance",
                         f"'{cfg.model.balance}' is not one of {', '.join(BALANCE_FORMS)}")
    agents_from = None
    if cfg.model.agents:
        agents_from = handover_month(cfg, schedules, catalogue)
        schedules = hand_over(schedules, agents_from)
    return Setup(actors, catalogue, facts, schedules, start, end - start, params, focus, agents_from)


def simulate_setup(setup: Setup, cfg: DictConfig, progress: bool = True
                   ) -> tuple[Ensemble, FactProbes]:
    probes = fact_probes(setup.facts, setup.actors.index, setup.start, setup.n_steps)
    schedule = build_schedule(list(setup.schedules.events), setup.actors.index, setup.start,
                              setup.n_steps, setup.params["money_ref_usd"])
    rates, weights = replicate_rows(setup.params, cfg.replicates, resolve_path, check_params)
    agency = None if setup.agents_from is None else run_agency(
        setup.agents_from, setup.start, setup.n_steps, setup.schedules, setup.catalogue,
        setup.params["money_ref_usd"])
    ens = simulate(setup.actors.alignment, setup.actors.capability, schedule, rates, weights,
                   cfg.seed, quantile_bins=cfg.output.quantile_bins,
                   budget_mb=cfg.output.histogram_budget_mb, probe_step=probes.step,
                   probe_i=probes.i, probe_j=probes.j, keep=cfg.output.keep_replicates,
                   progress=progress, balance=cfg.model.balance, agency=agency)
    return ens, probes


def versions() -> dict:
    found = {"python": platform.python_version()}
    for package in ("sim", "numpy", "numba", "mesa", "hydra-core", "pandas", "pyarrow"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def effect_entries(ens: Ensemble, setup: Setup, dates) -> list[dict]:
    """Scenario minus reference at 12 months after the first change and at the end."""
    if len(setup.schedules.names) < 2:
        return []
    series = len(setup.schedules.names)  # the first difference series
    steps = {"end": setup.n_steps}
    if setup.schedules.first_change is not None:
        steps = {"12m": min(setup.n_steps, max(0, setup.schedules.first_change - setup.start + 12)),
                 **steps}
    codes = setup.actors.codes
    rows = []
    for when, step in steps.items():
        for i, source in enumerate(codes):
            for j, target in enumerate(codes):
                if i == j:
                    continue
                row = {"source": source, "target": target, "when": when,
                       "date": str(dates[step])[:7], "mean": float(ens.mean[series, step, i, j])}
                if ens.quantiles is not None:
                    row["p05"] = float(ens.quantiles[0, series, step, i, j])
                    row["p95"] = float(ens.quantiles[-1, series, step, i, j])
                rows.append(row)
    return rows


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


def summarise(cfg: DictConfig, setup: Setup, ens: Ensemble, probes: FactProbes, dates,
              timings: dict) -> dict:
    codes = setup.actors.codes
    history = setup.schedules.names.index(setup.schedules.history)
    final = ens.mean[len(setup.schedules.names) - 1, -1]
    used, outside = events_used(setup)
    scenario = None
    if cfg.scenario is not None:
        first = setup.schedules.first_change
        scenario = {"name": cfg.scenario.name, "description": cfg.scenario.description,
                    "history": setup.schedules.history,
                    "first_change": None if first is None else month_label(first)}
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
        "model": {"balance": cfg.model.balance, "agents": bool(cfg.model.agents),
                  "agents_from": None if setup.agents_from is None
                  else month_label(setup.agents_from)},
        "params": setup.params,
        "uncertainty": uncertainty(setup.params, int(cfg.replicates)),
        "final_mean": {s: {t: float(final[i, j]) for j, t in enumerate(codes) if i != j}
                       for i, s in enumerate(codes)},
        "effects": effect_entries(ens, setup, dates),
        "events_outside": outside,
        "events_used": used,
        **fact_report(probes, ens.probes[:, history], cfg.output.fact_fraction,
                      None if scenario is None else (scenario["name"], ens.probes[:, 0], ens.probes[:, 1])),
        "quantile_bins": ens.quantile_bins,
        "versions": versions(),
        "timings": timings,
    }


def run(cfg: DictConfig, out_dir: Path, overrides: list[str] | None = None,
        progress: bool = True) -> dict:
    """Run the configured ensemble (and scenario) and write its outputs into out_dir."""
    clock = time.perf_counter()
    setup = prepare(cfg)
    timings = {"load_s": time.perf_counter() - clock}
    clock = time.perf_counter()
    ens, probes = simulate_setup(setup, cfg, progress)
    timings["simulate_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    dates = month_dates(setup.start, setup.n_steps + 1)
    codes = setup.actors.codes
    write_parquet(trajectories_table(ens, setup.schedules.names, codes, dates),
                  out_dir / "trajectories.parquet")
    if len(setup.schedules.names) > 1:
        write_parquet(effects_table(ens, codes, dates, len(setup.schedules.names)),
                      out_dir / "effects.parquet")
    timings["write_s"] = time.perf_counter() - clock
    summary = summarise(cfg, setup, ens, probes, dates, timings)
    summary["overrides"] = list(overrides or [])
    write_json(summary, out_dir / "summary.json")
    if cfg.plot:
        from sim.plot import plot_run

        clock = time.perf_counter()
        plot_run(out_dir, focus=setup.focus)
        summary["timings"]["plot_s"] = time.perf_counter() - clock
        write_json(summary, out_dir / "summary.json")
    return summary


def effect_lines(summary: dict, focus: str) -> list[str]:
    """A short table of the effect on each pair involving the focal state."""
    rows = [e for e in summary["effects"] if focus in (e["source"], e["target"])]
    if not rows:
        return []
    lines = [f"Effect of scenario '{summary['scenario']['name']}' (scenario - reference, "
             f"{summary['replicates']} paired replicates; mean [90% interval]):",
             f"  {'pair':<12}{'when':<6}{'date':<9}{'mean':>8}  interval"]
    for e in rows:
        interval = f"[{e['p05']:+.3f}, {e['p95']:+.3f}]" if "p05" in e else ""
        lines.append(f"  {e['source'] + ' -> ' + e['target']:<12}{e['when']:<6}{e['date']:<9}"
                     f"{e['mean']:>+8.3f}  {interval}")
    return lines


def report_lines(summary: dict, out_dir: Path) -> list[str]:
    lines = effect_lines(summary, summary["focus"])
    if summary.get("facts_met") is not None:
        met = sum(1 for f in summary["facts"] if f["met"])
        checked = sum(1 for f in summary["facts"] if f["met"] is not None)
        lines.append(f"Facts met: {met}/{checked}")
    lines.append(f"Run directory: {out_dir}")
    return lines


