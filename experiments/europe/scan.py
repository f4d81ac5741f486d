"""Where the European study ends in the two blocs: facts met over a grid of the balance rate
(beta), the decay (lam) and the event gain, for both forms of the balance term and two seeds.

    python experiments/europe/scan.py [--replicates 100] [--out experiments/europe/scan.csv]

Every other setting is the study's (experiments/experiment/europe.yaml, and
europe_canonical.yaml for the canonical form); mu takes 0 and 0.003. Writes one row per
form, beta, lam, mu, gain and seed (facts met of the 42, and which failed) to the CSV, and
beside it (scan.md) per form a table of the fewest facts met over the seeds, with the
pairs that failed. About seven minutes on two cores.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

from sim.config.compose import with_experiments
from sim.config.schema import register
from sim.data.facts import fact_report
from sim.paths import CONFIG_DIR
from sim.run.run import prepare, simulate_setup

HERE = Path(__file__).resolve().parent
EXPERIMENTS = {"local": "europe", "canonical": "europe_canonical"}
GRID = {"local": [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04],
        "canonical": [0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01]}
LAMS = (0.001, 0.002, 0.005, 0.01)
MUS = (0.0, 0.003)
GAINS = (0.5, 0.75, 1.0)
SEEDS = (0, 1)


def facts_met(experiment: str, overrides: list[str]) -> tuple[int, list[str]]:
    """(facts met, ids of those not met) for one run of the experiment with these overrides."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=with_experiments([f"+experiment={experiment}", *overrides]))
    setup = prepare(cfg)
    ens, probes = simulate_setup(setup, cfg, progress=False)
    report = fact_report(probes, ens.probes[:, 0], cfg.output.fact_fraction)["facts"]
    return sum(f["met"] for f in report), [f["id"] for f in report if not f["met"]]


def pair_label(ident: str) -> str:
    """'ukg_ita_1914' -> 'ITA-UKG 1914'; 'y1900_frn_rus' -> 'FRN-RUS 1900'."""
    parts = ident.split("_")
    year, a, b = (parts[0][1:], parts[1], parts[2]) if parts[0][0] == "y" else (parts[2], *parts[:2])
    return f"{'-'.join(sorted((a.upper(), b.upper())))} {year}"


def failed_pairs(ids: list[str]) -> str:
    return ", ".join(sorted({pair_label(i) for i in ids}))


def scan(replicates: int) -> pd.DataFrame:
    rows = []
    for form, betas in GRID.items():
        for beta, lam, mu, gain, seed in itertools.product(betas, LAMS, MUS, GAINS, SEEDS):
            met, failed = facts_met(EXPERIMENTS[form], [
                f"params.beta={beta}", f"params.lam={lam}", f"params.mu={mu}",
                f"params.gain={gain}", f"seed={seed}", f"replicates={replicates}"])
            rows.append({"form": form, "beta": beta, "lam": lam, "mu": mu, "gain": gain,
                         "seed": seed, "facts_met": met, "failed": " ".join(failed)})
            print(f"{form:9} beta={beta:<6} lam={lam:<6} mu={mu:<6} gain={gain:<5} seed={seed}: "
                  f"{met}", flush=True)
    return pd.DataFrame(rows)


def tables(frame: pd.DataFrame) -> str:
    """Per form, a row per beta, lam and mu, a column per gain: the fewest facts met over
    the seeds, and the pairs that failed."""
    out = []
    for form, part in frame.groupby("form", sort=False):
        cells = part.groupby(["beta", "lam", "mu", "gain"]).agg(
            met=("facts_met", "min"), failed=("failed", lambda f: failed_pairs(" ".join(f).split())))
        out.append(f"\n## {form} balance\n\nFacts met (of 42, the fewest over seeds "
                   f"{', '.join(map(str, SEEDS))}) and the pairs that failed.\n")
        out.append("| beta | lam | mu | " + " | ".join(f"gain {gain}" for gain in GAINS) + " |")
        out.append("|---" * (len(GAINS) + 3) + "|")
        for beta, lam, mu in itertools.product(GRID[form], LAMS, MUS):
            row = []
            for gain in GAINS:
                cell = cells.loc[(beta, lam, mu, gain)]
                row.append(f"**{cell['met']}**" if cell["met"] == 42 else
                           f"{cell['met']}: {cell['failed']}")
            out.append(f"| {beta} | {lam} | {mu} | " + " | ".join(row) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--out", type=Path, default=HERE / "scan.csv")
    args = parser.parse_args(argv)
    register()
    frame = scan(args.replicates)
    frame.to_csv(args.out, index=False)
    text = tables(frame)
    args.out.with_suffix(".md").write_text(text.lstrip() + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
