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

from sim.errors import InputError
from sim.model.ensemble import parameter_rows
from sim.run.tables import atomic_write
from sim.studies.calibration.priors import get_path, has_value, with_values

SIGNIFICANT = 6  # digits of the written draws and medians


def round_significant(values, digits: int = SIGNIFICANT) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.array([float(f"{v:.{digits}g}") for v in values.ravel()]).reshape(values.shape)


def median(column: np.ndarray) -> float:
    """The value a params file shows for a column of draws."""
    return float(round_significant(np.median(column)))


def read_draws(params: dict, resolve, check) -> pd.DataFrame | None:
    """The draws table named by params['draws'] (None without one); its columns must be
    values of params and every draw inside the documented ranges (check(params, where))."""
    name = params.get("draws")
    if not name:
        return None
    path = resolve(str(name))
    if not path.is_file():
        raise InputError("config", "params.draws", f"no such file {path}; rerun python -m sim.calibrate "
                         "or choose params=point")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise InputError(path, "table", "not a CSV table of draws; rerun python -m sim.calibrate") from None
    if table.empty:
        raise InputError(path, "rows", "no draws; rerun python -m sim.calibrate")
    for column in table.columns:
        if not has_value(params, column):
            raise InputError(path, column, "is not a parameter value of this model; rerun "
                             "python -m sim.calibrate")
        if not np.isfinite(table[column].to_numpy(dtype=float, na_value=np.nan)).all():
            raise InputError(path, column, "holds a missing or non-finite draw")
    names = list(table.columns)
    for row in (table.min(), table.max()):
        check(with_values(params, names, row.to_numpy()), str(path))
    return table


def draw_sets(params: dict, table: pd.DataFrame) -> list[dict]:
    """One params mapping per draw; a column whose params value is not the draws' median (set
    on the command line) is held at that value."""
    names = [c for c in table.columns if float(get_path(params, c)) == median(table[c].to_numpy())]
    values = table[names].to_numpy(dtype=np.float64)
    return [with_values(params, names, row) for row in values]


def replicate_rows(params: dict, replicates: int, resolve, check) -> tuple[np.ndarray, ...]:
    """The kernel's per-replicate parameter rows: replicate r takes draw r mod D of the
    posterior params['draws'] names, or the one set params when it names none."""
    table = read_draws(params, resolve, check)
    if table is None:
        return parameter_rows([params], replicates)
    rows = parameter_rows(draw_sets(params, table), 1)
    index = np.arange(replicates) % len(table)
    return tuple(row[index] for row in rows)


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
    head = [f"Posterior of `{command}` (sim/calibrate.py): {len(table)} draws of "
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
