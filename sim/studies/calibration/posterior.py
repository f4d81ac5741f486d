"""Posterior draws as a parameter set: written by the calibration, read by every run.

A params file with `draws: PATH` names a CSV table of posterior draws, one column per fitted
value (its dotted path in params) and one row per draw; its own values are the draws'
medians. Replicate r of a run takes draw r mod D, so replicate r is the same in runs of 100
and of 10,000 replicates. A value set on the command line (`params.lam=0.05`) differs from
the median and holds for every replicate; the other values still come from the draws.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.run.parameters import SIGNIFICANT, median, round_significant, with_values
from sim.run.tables import atomic_write


def params_text(params: dict, head: list[str]) -> str:
    return "\n".join(f"# {line}" if line else "#" for line in head) + "\n" + \
        yaml.safe_dump(params, sort_keys=False, width=100)


def write_posterior(path: Path, point_path: Path, reference: dict, names: list[str],
                    draws: np.ndarray, provenance: dict, draws_name: str) -> pd.DataFrame:
    """posterior YAML + CSV of the draws beside it (draws_name: how the YAML names the CSV),
    and the point set (the draws' medians, no draws). Returns the written table."""
    table = pd.DataFrame(round_significant(draws), columns=names)
    medians = [median(table[c].to_numpy()) for c in names]
    point = with_values(reference, names, medians)
    point.pop("provenance", None)
    point.pop("draws", None)
    csv = path.with_suffix(".csv")
    text = table.to_csv(index=False, float_format=f"%.{SIGNIFICANT}g", lineterminator="\n")
    atomic_write(csv, lambda temp: temp.write_text(text, encoding="utf-8"))
    command = provenance["command"]
    posterior = {**point, "draws": draws_name, "provenance": provenance}
    head = [f"Posterior of `{command}` (sim/studies/calibration/calibrate.py): {len(table)} draws of "
            f"{len(names)} values in {csv.name};",
            "replicate r of a run takes draw r mod D. The values below are the draws' medians",
            "(a value set on the command line holds for every draw). Rerun the command rather",
            "than edit by hand; the same command and seed write the same bytes."]
    atomic_write(path, lambda temp: temp.write_text(params_text(posterior, head), encoding="utf-8"))
    point_head = [f"The median of each value over the posterior draws of `{command}`",
                  f"({path.name}): one parameter set, so a run's intervals hold model noise only.",
                  f"provenance: see {path.name}."]
    atomic_write(point_path, lambda temp: temp.write_text(params_text(point, point_head),
                                                          encoding="utf-8"))
    return table


def observation_draws_path(path: Path) -> Path:
    """Beside the params file: posterior.yaml -> posterior.observation.csv."""
    return path.with_name(f"{path.stem}.observation.csv")


def write_observation_draws(path: Path, names: list[str], draws: np.ndarray) -> Path:
    """The observation model's draws (observation.<measure>.slope and .sd), row d the same draw
    as row d of the params' CSV. Not a params file: a run's measurements.parquet keeps the skill
    study's fit (configs/observation.yaml), whose training years end before its forecast."""
    table = pd.DataFrame(round_significant(draws), columns=names)
    text = table.to_csv(index=False, float_format=f"%.{SIGNIFICANT}g", lineterminator="\n")
    out = observation_draws_path(path)
    atomic_write(out, lambda temp: temp.write_text(text, encoding="utf-8"))
    return out
