"""The answer of a run without a scenario: the focus state's alignments at the end of the run,
mean and exact 90% interval over the replicates (read at probed cells, as the effects are)."""

import numpy as np

from sim.data.dates import month_label
from sim.run.effects import INTERVAL, sample_mean


def final_pairs(index: dict[str, int], focus: str) -> list[tuple[int, int]]:
    """(focus, other) and (other, focus) for every other state, in the actors' order."""
    f = index[focus]
    return [pair for k in range(len(index)) if k != f for pair in ((f, k), (k, f))]


def final_cells(index: dict[str, int], focus: str, n_steps: int) -> tuple[np.ndarray, ...]:
    """(step, i, j) int64 arrays of the focus state's pairs at the last date."""
    pairs = np.array(final_pairs(index, focus), dtype=np.int64).reshape(-1, 2)
    return np.full(len(pairs), n_steps, dtype=np.int64), pairs[:, 0].copy(), pairs[:, 1].copy()


def final_entries(values: np.ndarray, cells: tuple[np.ndarray, ...], codes, month: int
                  ) -> list[dict]:
    """One entry per cell: source, target, date, mean, p05, p95 of the replicates' values
    (float64[R, C], one column per cell)."""
    low, high = np.quantile(values, INTERVAL, axis=0)
    mean = sample_mean(values)
    _, rows, columns = cells
    return [{"source": codes[i], "target": codes[j], "date": month_label(month),
             "mean": float(mean[c]), "p05": float(low[c]), "p95": float(high[c])}
            for c, (i, j) in enumerate(zip(rows.tolist(), columns.tolist(), strict=True))]
