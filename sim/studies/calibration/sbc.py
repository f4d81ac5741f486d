"""Simulation-based calibration (Talts et al. 2018) from posterior draws of synthetic records.

For M records simulated from parameters drawn from the prior, the share q of each record's
posterior draws below the true value is uniform on (0, 1) when the posterior is calibrated;
a central interval of level c covers the truth when |q - 1/2| <= c/2.
"""

import numpy as np
import pandas as pd

LEVELS = (0.5, 0.9)
TOLERANCE = 0.05  # coverage may differ from its level by at most this much


def shares(draws: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """draws float[L, M, D] and truth float[M, D] -> float64[M, D]: the share of each
    record's draws below its true value (ties counted half)."""
    below = (draws < truth[None]).mean(axis=0)
    ties = (draws == truth[None]).mean(axis=0)
    return below + 0.5 * ties


def coverage_table(q: np.ndarray, names: list[str]) -> pd.DataFrame:
    """One row per parameter and one for all of them: the share of records whose central
    interval of each level covers the truth, its binomial standard error, and whether it
    lies within TOLERANCE of the level."""
    rows = []
    for k, name in enumerate([*names, "all"]):
        column = q if name == "all" else q[:, k:k + 1]
        row = {"parameter": name, "records": q.shape[0]}
        for level in LEVELS:
            covered = float((np.abs(column - 0.5) <= level / 2).mean())
            tag = f"{round(level * 100)}"
            row[f"coverage_{tag}"] = covered
            row[f"se_{tag}"] = float(np.sqrt(level * (1 - level) / column.size))
            row[f"ok_{tag}"] = bool(abs(covered - level) <= TOLERANCE)
        rows.append(row)
    return pd.DataFrame(rows)


def rank_histogram(q: np.ndarray, bins: int) -> np.ndarray:
    """int64[D, bins]: counts of the shares q[M, D] in equal bins of (0, 1)."""
    index = np.minimum((q * bins).astype(np.int64), bins - 1)
    return np.stack([np.bincount(index[:, k], minlength=bins) for k in range(q.shape[1])])
