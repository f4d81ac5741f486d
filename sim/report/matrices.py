"""Alignment matrices drawn two ways from arrays: as heatmaps (every variant, and the
scenario's effect) and as a directed network of the states.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from sim.report.captions import variant_role
from sim.report.style import (
    ALIGNMENT,
    CMAP,
    DIFFERENCE_CMAP,
    PAGE_WIDTH,
    alignment_colorbar,
    signed,
    styled,
)
from sim.report.tables import (
    States,
    mean_matrix,
    variants_of,
)


def draw_matrix(ax, matrix: np.ndarray, labels: list[str], cmap=CMAP, norm=ALIGNMENT,
                 fmt=None) -> None:
    n = len(labels)
    ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm)
    fmt = fmt or signed
    if n <= 12:
        size = 5.5 if n <= 6 else 4.5
        for (i, j), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                dark = abs(norm(value) - 0.5) > 0.32
                ax.text(j, i, fmt(value), ha="center", va="center", fontsize=size,
                        color="white" if dark else "black")
    ax.set_xticks(range(n), labels, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), labels)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)


@styled
def heatmaps_figure(traj: pd.DataFrame, states: States, dates: Sequence[pd.Timestamp],
                    titles: Sequence[str] | None = None, history: str | None = None,
                    scenario: str = "") -> Figure:
    """The mean alignment matrix at each date (columns) for each variant (rows), and with a
    scenario a last row of scenario minus reference on its own diverging scale. history: the
    variant that replays the record, named beside its row as the other's counterfactual;
    scenario: its title (sim.report.captions.scenario_title)."""
    means = traj[traj["stat"] == "mean"]
    variants = variants_of(means)
    labels = list(states.codes)
    titles = titles or [f"{date:%Y-%m}" for date in dates]
    difference = variants[:2] == ["reference", "scenario"]
    rows = len(variants) + difference
    side = min(PAGE_WIDTH / (len(dates) + 0.6), max(1.6, 0.3 * len(labels) + 0.7))
    fig = Figure(figsize=(side * len(dates) + 0.8, side * rows), layout="constrained")
    axes = fig.subplots(rows, len(dates), squeeze=False)
    matrices = {(v, d): mean_matrix(means, v, d, states.codes) for v in variants for d in dates}
    for row, variant in enumerate(variants):
        for col, date in enumerate(dates):
            draw_matrix(axes[row, col], matrices[(variant, date)], labels)
    fig.colorbar(ScalarMappable(ALIGNMENT, CMAP), ax=axes[:len(variants)], shrink=0.8,
                 label="mean alignment A[row, column]")
    if difference:
        deltas = [matrices[("scenario", d)] - matrices[("reference", d)] for d in dates]
        largest = max(float(np.nanmax(np.abs(m))) for m in deltas) or 1.0
        norm = Normalize(vmin=-largest, vmax=largest)
        digits = max(2, 1 - int(np.floor(np.log10(largest))))
        for col, delta in enumerate(deltas):
            ax = axes[-1, col]
            draw_matrix(ax, delta, labels, DIFFERENCE_CMAP, norm,
                         lambda v, d=digits: "0" if round(v, d) == 0 else f"{v:+.{d}f}")
        fig.colorbar(ScalarMappable(norm, DIFFERENCE_CMAP), ax=axes[-1], shrink=0.8,
                     label="Δ alignment")
    names = [f"{v}\n({role})" if (role := variant_role(v, history, variants)) else v
             for v in variants]
    names += ["scenario − reference"] if difference else []
    for row in range(rows):
        for col in range(len(dates)):
            axes[row, col].tick_params(labelleft=col == 0, labelbottom=row == rows - 1)
        axes[row, 0].set_ylabel(f"{names[row]}\nalignment of")
    for col, title in enumerate(titles):
        axes[0, col].set_title(title)
    for ax in axes[-1]:
        ax.set_xlabel("toward")
    fig.suptitle("Mean alignment matrix" + (" and the scenario's effect" if difference else "")
                 + (f"\nscenario {scenario}" if scenario else "") + states.drawn())
    return fig


def draw_network(ax, matrix: np.ndarray, codes: Sequence[str], capability: np.ndarray,
                 positions: np.ndarray | None = None, node_colours: Sequence[str] | None = None,
                 directed: bool = True, values: bool = True) -> None:
    """The states as nodes (area by capability; on a circle unless positions float[N, 2] are
    given) and an edge per pair coloured and widened by its alignment. Directed: both arrows
    of every pair, i -> j bending to its own side with the value A[i, j]; undirected: one
    straight edge per pair with A[i, j] of a symmetric matrix. values: each edge's value
    written beside it (for at most six states)."""
    n = len(codes)
    if positions is None:
        angles = np.pi / 2 - 2 * np.pi * np.arange(n) / n
        positions = np.column_stack([np.cos(angles), np.sin(angles)])
    xy = np.asarray(positions, dtype=float)
    capability = np.asarray(capability, dtype=float)
    sizes = 150 + 650 * capability / capability.max()
    arcs = [(i, j, matrix[i, j]) for i in range(n) for j in range(n)
            if (i != j if directed else i < j) and np.isfinite(matrix[i, j])]
    for i, j, value in sorted(arcs, key=lambda e: abs(e[2])):  # strongest drawn on top
        faint = abs(value) < 0.1  # near white on the colour scale: dotted grey instead
        arrow = FancyArrowPatch(
            xy[i], xy[j], connectionstyle=f"arc3,rad={0.18 if directed else 0.0}",
            arrowstyle="-|>,head_length=4,head_width=2.2" if directed else "-",
            mutation_scale=1.0, shrinkA=np.sqrt(sizes[i]) / 2 + 1,
            shrinkB=np.sqrt(sizes[j]) / 2 + 1, lw=0.8 if faint else 0.8 + 2.5 * abs(value),
            ls=":" if faint else "-", color="#aaaaaa" if faint else CMAP(ALIGNMENT(value)),
            zorder=1)
        ax.add_patch(arrow)
        if values and n <= 6:
            share = 0.3 if directed else 0.5  # by its source: labels apart at the centre
            near = xy[i] + share * (xy[j] - xy[i])
            side = np.array([xy[j, 1] - xy[i, 1], xy[i, 0] - xy[j, 0]]) * (0.09 if directed else 0)
            ax.text(*(near + side), signed(value), ha="center", va="center",
                    fontsize=5.5, zorder=2,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.8})
    ax.scatter(*xy.T, s=sizes, color=list(node_colours) if node_colours is not None else "#f7f7f7",
               edgecolor="#333333", lw=1.0, zorder=3)
    for (x, y), code in zip(xy, codes, strict=True):
        ax.text(x, y, code, ha="center", va="center", fontsize=6.5, weight="bold", zorder=4)
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")


@styled
def network_figure(traj: pd.DataFrame, states: States, date: pd.Timestamp | None = None,
                   label: str = "", history: str | None = None, scenario: str = "") -> Figure:
    """A network of the states at `date` (default the last), one drawing per variant (history:
    the variant that replays the record, so titled beside the counterfactual; scenario: its
    title, sim.report.captions.scenario_title)."""
    means = traj[traj["stat"] == "mean"]
    date = means["date"].max() if date is None else date
    variants = variants_of(means)
    fig = Figure(figsize=(min(PAGE_WIDTH, 2.6 * len(variants) + 0.8), 2.9),
                 layout="constrained")
    axes = fig.subplots(1, len(variants), squeeze=False).ravel()
    for ax, variant in zip(axes, variants, strict=True):
        capability = np.array([states.capability.get(c, 1.0) for c in states.codes])
        draw_network(ax, mean_matrix(means, variant, date, states.codes), states.codes, capability)
        role = variant_role(variant, history, variants)
        ax.set_title(f"{variant}" + (f" ({role})" if role else "") + f", {date:%Y-%m}")
    alignment_colorbar(fig, axes, "mean alignment A[i, j] of the arrow i → j")
    when = f" {label}" if label else ""
    named = f"\nscenario {scenario}" if scenario else ""
    fig.suptitle(f"Alignment network{when}{named}\narrow i → j: i's alignment toward j (its "
                 "value by i); node size: capability; dotted: |A| < 0.1" + states.drawn())
    return fig
