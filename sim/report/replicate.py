"""One replicate's path beside the ensemble's mean: the pairs of the focus state over time,
as the Mesa model steps through a run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator

LINES = colormaps["tab10"]


def replicate_figure(years: np.ndarray, path: np.ndarray, mean: np.ndarray, codes: Sequence[str],
                     focus: str, title: str, size: tuple[float, float] = (9.0, 3.2)) -> Figure:
    """years float[T + 1] (decimal years of the run's dates); path float[t, N, N], the
    replicate's months so far; mean float[T + 1, N, N], the ensemble's mean of its variant.
    One colour per pair from the focus state: the replicate solid, the mean dashed, and a
    vertical line at the replicate's last month."""
    f = list(codes).index(focus)
    others = [k for k in range(len(codes)) if k != f]
    fig = Figure(figsize=size)
    # margins fixed in inches: redrawn at every step, a figure cannot wait for a layout engine
    fig.subplots_adjust(left=0.07, right=0.985, top=1 - 0.35 / size[1], bottom=0.35 / size[1])
    ax = fig.subplots()
    for n, k in enumerate(others):
        colour = LINES(n % LINES.N)
        ax.plot(years, mean[:, f, k], color=colour, lw=0.8, ls="--", alpha=0.8)
        ax.plot(years[:len(path)], path[:, f, k], color=colour, lw=1.6,
                label=f"{focus} → {codes[k]}")
    ax.axvline(years[len(path) - 1], color="black", lw=0.8, alpha=0.6)
    ax.set_xlim(years[0], years[-1])
    ax.xaxis.set_major_locator(MultipleLocator(2))
    ax.xaxis.set_major_formatter("{x:.0f}")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.set_ylim(-1.0, 1.0)
    ax.axhline(0, color="black", lw=0.5, alpha=0.5)
    ax.set_ylabel("alignment", fontsize="small")
    ax.tick_params(labelsize="small")
    ax.legend(fontsize="small", ncols=min(len(others), 6), loc="lower left", frameon=False)
    ax.set_title(title + " (dashed: ensemble mean)", fontsize="medium")
    return fig
