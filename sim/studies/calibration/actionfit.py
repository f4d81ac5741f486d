"""Fitting the states' action model to the record, and comparing its mechanisms out of sample.

    python -m sim.actionfit                         # report to experiments/agents/
    python -m sim.actionfit --replicates 32 --out /tmp/agents

The record is evidence of how often each state did what toward whom. Along the alignments
the record itself drives (replayed as it happened), the states' choices are drawn but not
applied and counted per pair and type: their expectation E[i, j, k] is what the action
model predicts of the record's counts N[i, j, k]. With intensities linear in the action
rates, the rates that maximise the Poisson likelihood

    log L = sum_{i, j, k} N[i,j,k] log E[i,j,k] - E[i,j,k]

for given mechanism coefficients make each type's expected total equal its recorded total
(found by rescaling, two rounds). The coefficients are chosen on a grid by the likelihood
of the training months (2010-2016) among the sets that keep the evidence of the facts: the
seed facts (FACTS_NEEDED of them met) and the seeds' causal claims on the January 2018 aid
freeze (CLAIMS: the effect above CLAIM_THRESHOLD in at least CLAIM_FRACTION of the
replicates), checked in the aid_freeze scenario. Every variant (all mechanisms, each mechanism
switched off, none) is judged by the likelihood of the held-out months (2017-2018) with its
training fit, and by whether any of its sets keeps the claims.
"""

import argparse
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir

from sim.config.schema import register
from sim.data.dates import parse_month
from sim.data.events.catalogue import record_counts as catalogue_counts
from sim.data.eventtypes import CHOSEN_TYPES, TYPE_INDEX, TYPE_NAMES
from sim.data.facts import fact_probes, facts_met_by_replicate
from sim.model.ensemble import Agency, simulate
from sim.paths import PROJECT_ROOT
from sim.run.handover import run_agency
from sim.run.inputs import build_schedule, parameter_rows, typical_factors
from sim.run.run import Setup, prepare
from sim.run.tables import atomic_write

MECHANISMS = ("affinity", "tit_for_tat", "balancing", "substitution", "client_ties")
GRID = {"affinity": (0.0, 2.0, 5.0), "tit_for_tat": (0.0, 3.0, 10.0, 30.0),
        "balancing": (0.0, 3.0, 10.0, 30.0), "substitution": (0.0, 5.0, 20.0, 50.0),
        "client_ties": (0.0, 2.0, 5.0), "memory": (0.5, 0.8, 0.95)}
TRAIN, TEST = ("2010-01", "2017-01"), ("2017-01", "2019-01")  # [first, last) months
FACTS_NEEDED = 0.85  # share of the seed facts a set must keep in the aid_freeze scenario
CLAIM_FRACTION = 0.5  # a claim holds when the effect exceeds CLAIM_THRESHOLD in the median replicate
# the seeds' causal claims: (source, target, month): the aid freeze raised the alignment
# within a year (000_60e669897098f27f.txt, 003_32da390a8bacc9ff.txt), by more than
# CLAIM_THRESHOLD in a replicate
CLAIMS = (("PAK", "RUS", "2019-01"), ("PAK", "CHN", "2019-01"))
CLAIM_THRESHOLD = 0.001
CHOSEN_MASK = np.array([name in CHOSEN_TYPES for name in TYPE_NAMES], dtype=np.int64)


def record_counts(catalogue: pd.DataFrame, index: dict[str, int], start: int,
                  window: tuple[int, int]) -> np.ndarray:
    """int64[N, N, K]: the recorded events of the types the states choose, per source,
    target and type (all K types, the others 0), in steps window[0] .. window[1] - 1."""
    return catalogue_counts(catalogue, index, start, window, TYPE_NAMES) * CHOSEN_MASK


def expected_counts(setup: Setup, sets: list[dict], window: tuple[int, int], replicates: int,
                    seed: int) -> np.ndarray:
    """float64[S, N, N, K]: the mean count of the states' choices per set over `replicates`
    replicates, along the record replayed whole (the choices are counted, not applied)."""
    refs = setup.params["money_ref_usd"], setup.params["tiv_ref"]
    schedule = build_schedule([setup.catalogue], setup.actors.index, setup.start, setup.n_steps,
                              *refs)
    rates, weights = parameter_rows(sets, replicates)
    agency = Agency(typical_factors(setup.catalogue, *refs), np.array([setup.n_steps]), window)
    ens = simulate(setup.actors.alignment, setup.actors.capability, schedule, rates, weights, seed,
                   quantile_bins=0, agency=agency)
    n = len(setup.actors.codes)
    return ens.action_counts[:, 0].reshape(len(sets), replicates, n, n, -1).mean(axis=1)


def poisson_loglik(observed: np.ndarray, expected: np.ndarray, replicates: int) -> np.ndarray:
    """Per set, sum over pairs and chosen types of N log E - E - log N! (E floored at half a
    count in all the replicates, the resolution of the estimate)."""
    chosen = [TYPE_INDEX[name] for name in CHOSEN_TYPES]
    n = observed.shape[0]
    off = ~np.eye(n, dtype=bool)
    obs = observed[off][:, chosen]
    exp = np.maximum(expected[:, off][:, :, chosen], 0.5 / replicates)
    log_factorial = np.vectorize(math.lgamma)(obs + 1.0)
    return (obs * np.log(exp) - exp - log_factorial).sum(axis=(1, 2))


def fit_rates(setup: Setup, sets: list[dict], window: tuple[int, int], replicates: int, seed: int,
              rounds: int = 2) -> tuple[list[dict], np.ndarray]:
    """The sets with action rates rescaled so each type's expected total matches the record
    (a type never recorded gets rate 0), and the expected counts of the last round."""
    observed = record_counts(setup.catalogue, setup.actors.index, setup.start, window)
    totals = observed.sum(axis=(0, 1))
    n = len(setup.actors.codes)
    months = window[1] - window[0]
    sets = [dict(s, action_rates={name: totals[TYPE_INDEX[name]] / (n * (n - 1) * months)
                                  for name in CHOSEN_TYPES}) for s in sets]
    expected = None
    for _ in range(rounds + 1):
        expected = expected_counts(setup, sets, window, replicates, seed)
        if _ == rounds:
            break
        made = expected.sum(axis=(1, 2))
        for s, row in zip(sets, made, strict=True):
            s["action_rates"] = {
                name: float(min(0.2, s["action_rates"][name] * totals[TYPE_INDEX[name]]
                                / row[TYPE_INDEX[name]])) if row[TYPE_INDEX[name]] > 0 else 0.0
                for name in CHOSEN_TYPES}
    return sets, expected


def evidence_check(scenario: Setup, sets: list[dict], replicates: int, seed: int,
                   fact_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Per set, in the aid_freeze scenario: the share of the seed facts met on the history
    variant, and the fraction of replicates in which each claim's effect is above
    CLAIM_THRESHOLD."""
    facts = fact_probes(scenario.facts, scenario.actors.index, scenario.start, scenario.n_steps)
    index = scenario.actors.index
    claims = [(parse_month(month, "sim.actionfit", "CLAIMS") - scenario.start, index[s], index[t])
              for s, t, month in CLAIMS]
    step = np.concatenate([facts.step, [c[0] for c in claims]])
    order = np.argsort(step, kind="stable")
    schedule = build_schedule(list(scenario.schedules.events), index, scenario.start,
                              scenario.n_steps, scenario.params["money_ref_usd"],
                              scenario.params["tiv_ref"])
    agency = run_agency(scenario.agents_from, scenario.start, scenario.n_steps, scenario.schedules,
                        scenario.catalogue, scenario.params["money_ref_usd"],
                        scenario.params["tiv_ref"])
    rates, weights = parameter_rows(sets, replicates)
    ens = simulate(scenario.actors.alignment, scenario.actors.capability, schedule, rates, weights,
                   seed, quantile_bins=0, probe_step=step[order],
                   probe_i=np.concatenate([facts.i, [c[1] for c in claims]])[order],
                   probe_j=np.concatenate([facts.j, [c[2] for c in claims]])[order],
                   agency=agency)
    values = np.empty_like(ens.probes)
    values[:, :, order] = ens.probes
    history = scenario.schedules.names.index(scenario.schedules.history)
    n_facts = len(facts.step)
    met = facts_met_by_replicate(facts, values[:, history, :n_facts])
    share = (met.reshape(len(sets), replicates, -1).mean(axis=1) >= fact_fraction)
    checked = facts.checked
    facts_share = share[:, checked].mean(axis=1)
    effect = values[:, 1, n_facts:] - values[:, 0, n_facts:]
    raised = (effect > CLAIM_THRESHOLD).reshape(len(sets), replicates, -1).mean(axis=1)
    return facts_share, raised


@dataclass(frozen=True)
class Variant:
    name: str
    off: tuple[str, ...]  # mechanisms held at 0


VARIANTS = (Variant("all mechanisms", ()),
            *(Variant(f"without {m}", (m,)) for m in MECHANISMS),
            Variant("no mechanism (constant rates)", MECHANISMS))


def grid_sets(base: dict) -> list[dict]:
    return [dict(base, **dict(zip(GRID, combo, strict=True)))
            for combo in itertools.product(*GRID.values())]


def compare(setup: Setup, scenario: Setup, replicates: int, seed: int,
            fact_fraction: float) -> tuple[pd.DataFrame, dict]:
    """Every grid set fitted on the training months; per variant its best set by training
    likelihood among those that keep the evidence of the facts (else among all), and that
    set's held-out likelihood. -> (table, the set to use, refitted on all months: the best
    of all mechanisms if it keeps the claims, else the set that keeps the seed facts and
    comes closest to the claims)."""
    def steps(window):
        return tuple(parse_month(m, "sim.actionfit", "window") - setup.start for m in window)

    train, test = steps(TRAIN), steps(TEST)
    sets = grid_sets(setup.params)
    fitted, expected_train = fit_rates(setup, sets, train, replicates, seed)
    observed_train = record_counts(setup.catalogue, setup.actors.index, setup.start, train)
    train_ll = poisson_loglik(observed_train, expected_train, replicates)
    expected_test = expected_counts(setup, fitted, test, replicates, seed + 1)
    observed_test = record_counts(setup.catalogue, setup.actors.index, setup.start, test)
    test_ll = poisson_loglik(observed_test, expected_test, replicates)
    facts_share, raised = evidence_check(scenario, fitted, replicates, seed + 2, fact_fraction)
    keeps = (facts_share >= FACTS_NEEDED) & (raised >= CLAIM_FRACTION).all(axis=1)
    rows = []
    for variant in VARIANTS:
        allowed = [k for k, s in enumerate(fitted) if all(s[m] == 0.0 for m in variant.off)]
        keeping = [k for k in allowed if keeps[k]]
        best = max(keeping or allowed, key=lambda k: train_ll[k])
        rows.append({"variant": variant.name, "train_loglik": float(train_ll[best]),
                     "test_loglik": float(test_ll[best]), "free": len(MECHANISMS) - len(variant.off),
                     "keeps_claims": bool(keeping), "facts_met": float(facts_share[best]),
                     **{f"raised_{s}_{t}": float(raised[best, c])
                        for c, (s, t, _) in enumerate(CLAIMS)},
                     **{m: fitted[best][m] for m in GRID}})
    table = pd.DataFrame(rows)
    table["test_vs_all"] = table["test_loglik"] - table["test_loglik"].iloc[0]
    chosen = rows[0] if rows[0]["keeps_claims"] else max(
        ({**{m: fitted[k][m] for m in GRID}, "score": (raised[k].min(), train_ll[k])}
         for k in range(len(fitted)) if facts_share[k] >= FACTS_NEEDED), key=lambda r: r["score"])
    full = [s for s in grid_sets(setup.params) if all(s[m] == chosen[m] for m in GRID)]
    whole = tuple(parse_month(m, "sim.actionfit", "window") - setup.start
                  for m in (TRAIN[0], TEST[1]))
    best_all, _ = fit_rates(setup, full, whole, replicates, seed)
    return table, best_all[0]


def report(table: pd.DataFrame, best: dict, setup: Setup, replicates: int) -> str:
    n_train = record_counts(setup.catalogue, setup.actors.index, setup.start,
                            tuple(parse_month(m, "", "") - setup.start for m in TRAIN)).sum()
    n_test = record_counts(setup.catalogue, setup.actors.index, setup.start,
                           tuple(parse_month(m, "", "") - setup.start for m in TEST)).sum()
    lines = ["# The action model against the record", "",
             "Written by `python -m sim.actionfit` "
             "(sim/studies/calibration/actionfit.py explains the method).",
             f"Events the states choose in the record: {n_train} in the training months "
             f"({TRAIN[0]} to {TRAIN[1]}, exclusive), {n_test} held out ({TEST[0]} to "
             f"{TEST[1]}, exclusive); {replicates} replicates per parameter set.", "",
             "| variant | free | train log L | held-out log L | held-out vs all | facts met |"
             + "".join(f" freeze raised {s}->{t} |" for s, t, _ in CLAIMS)
             + "".join(f" {m} |" for m in GRID),
             "|---|---:|---:|---:|---:|---:|" + "---:|" * (len(CLAIMS) + len(GRID))]
    for row in table.to_dict("records"):
        lines.append(f"| {row['variant']} | {row['free']} | {row['train_loglik']:.1f} | "
                     f"{row['test_loglik']:.1f} | {row['test_vs_all']:+.1f} | "
                     f"{row['facts_met']:.0%} |"
                     + "".join(f" {row[f'raised_{s}_{t}']:.0%} |" for s, t, _ in CLAIMS)
                     + "".join(f" {row[m]:g} |" for m in GRID))
    lines += ["", "Action rates of the best set, fitted to all months (per month and ordered pair):",
              "", "| type | rate |", "|---|---:|"]
    lines += [f"| {name} | {best['action_rates'][name]:.5f} |" for name in CHOSEN_TYPES]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sim.actionfit", description=__doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=64, help="replicates per parameter set")
    parser.add_argument("--seed", type=int, default=20241101)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "experiments" / "agents"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. data.extra_events=[...]")
    args = parser.parse_args(argv)
    register()
    with initialize_config_dir(config_dir=str(PROJECT_ROOT / "configs"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["end=2018-12", *args.overrides])
        scenario_cfg = compose(config_name="config", overrides=["+scenario=aid_freeze",
                                                                *args.overrides])
    setup = prepare(cfg)
    table, best = compare(setup, prepare(scenario_cfg), args.replicates, args.seed,
                          cfg.output.fact_fraction)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = report(table, best, setup, args.replicates)
    best_text = json.dumps({m: best[m] for m in (*GRID, "action_rates")}, indent=2) + "\n"
    atomic_write(out / "report.md", lambda path: path.write_text(text))
    atomic_write(out / "best.json", lambda path: path.write_text(best_text))
    print(text)


if __name__ == "__main__":
    main()
