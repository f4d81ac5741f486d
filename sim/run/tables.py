"""Tables and metadata into a run directory, each file written atomically."""

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.data.files import atomic_write
from sim.model.stats import QUANTILE_NAMES

if TYPE_CHECKING:  # the kernels' module loads numba, which readers of tables do not need
    from sim.model.ensemble import Ensemble


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda temp: frame.to_parquet(temp, index=False))


def write_json(data: dict, path: Path) -> None:
    atomic_write(path, lambda temp: temp.write_text(json.dumps(data, indent=2) + "\n"))


def _pairs(codes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    n = len(codes)
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    return i, j


def long_table(values: np.ndarray, stat_names, codes, dates, prefix: dict) -> pd.DataFrame:
    """values[stat, step, i, j] -> rows (stat, step, date, source, target, value) + prefix cols."""
    i, j = _pairs(codes)
    n_stats, n_dates = values.shape[0], values.shape[1]
    cells = values[:, :, i, j]  # [stat, step, pair]
    stat = np.repeat(np.asarray(stat_names), n_dates * len(i))
    step = np.tile(np.repeat(np.arange(n_dates), len(i)), n_stats)
    code = np.asarray(codes)
    frame = pd.DataFrame({
        **{key: np.repeat(value, cells.size) for key, value in prefix.items()},
        "stat": stat,
        "step": step,
        "date": np.asarray(dates)[step],
        "source": np.tile(code[i], n_stats * n_dates),
        "target": np.tile(code[j], n_stats * n_dates),
        "value": cells.reshape(-1),
    })
    return frame


def wide_table(values: np.ndarray, stat_names, codes, dates) -> pd.DataFrame:
    """values[stat, step, i, j] -> rows (step, date, source, target, one column per stat),
    steps in order, the pairs of a step in row order of the matrix."""
    i, j = _pairs(codes)
    n_dates = values.shape[1]
    step = np.repeat(np.arange(n_dates), len(i))
    code = np.asarray(codes)
    return pd.DataFrame({
        "step": step,
        "date": np.asarray(dates)[step],
        "source": np.tile(code[i], n_dates),
        "target": np.tile(code[j], n_dates),
        **{name: values[k][:, i, j].reshape(-1) for k, name in enumerate(stat_names)},
    })


def trajectories_table(ens: "Ensemble", variants, codes, dates) -> pd.DataFrame:
    frames = []
    for v, name in enumerate(variants):
        stats = [ens.mean[v][None]]
        names = ["mean"]
        if ens.quantiles is not None:
            stats.append(ens.quantiles[:, v])
            names += list(QUANTILE_NAMES)
        for k in range(ens.raw.shape[0]):
            stats.append(ens.raw[k, v][None])
            names.append(f"raw{k}")
        frames.append(long_table(np.concatenate(stats), names, codes, dates, {"variant": name}))
    frame = pd.concat(frames, ignore_index=True)
    frame["variant"] = frame["variant"].astype(str)
    return frame[["variant", "stat", "step", "date", "source", "target", "value"]]


def effects_table(ens: "Ensemble", codes, dates, series: int,
                  exact: pd.DataFrame | None = None) -> pd.DataFrame:
    """Scenario minus reference over paired replicates: one row per step and pair. `exact`
    (step, source, target, mean, p05 .. p95 and moved of the per-replicate values) replaces
    the histogram quantiles (and the fixed-point mean, which differs in the last bits) where
    it has a row; the `exact` column says which rows it did, and `moved` (the share of
    replicates moved the way of the mean by more than the run's effect_threshold) is given on
    those rows only (NaN elsewhere: a histogram cannot say it)."""
    stats = [ens.mean[series][None]]
    names = ["mean"]
    if ens.quantiles is not None:
        stats.append(ens.quantiles[:, series])
        names += list(QUANTILE_NAMES)
    wide = wide_table(np.concatenate(stats), names, codes, dates)
    wide["exact"] = False
    wide["moved"] = np.nan
    if exact is not None:
        keys = ["step", "source", "target"]
        merged = wide[keys].merge(exact, on=keys, how="left")
        found = merged[QUANTILE_NAMES[0]].notna().to_numpy()
        for name in ("mean", *QUANTILE_NAMES, "moved"):
            wide.loc[found, name] = merged.loc[found, name].to_numpy()
        wide["exact"] = found
    return wide
