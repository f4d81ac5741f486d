"""The page's figures, drawn from a run's arrays by Matplotlib (Agg) as PNG bytes.

PNG images need nothing from the browser but an <img>, so the page works offline, on a
cluster's login node, and looks the same in every browser. Colours are sim.report.figures's.
"""

import io

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, MultipleLocator

from sim.dashboard.session import PageRun, focus_pairs
from sim.data.dates import month_label
from sim.model.stats import QUANTILE_NAMES
from sim.report.figures import ALIGNMENT, CMAP, OTHER_COLOUR, TYPE_COLOURS, VARIANT_COLOURS

DPI = 80
EFFECT_COLOUR = VARIANT_COLOURS["scenario"]
OFF_COLOUR = "#bbbbbb"
LINES = colormaps["tab10"]
P05, P25, P75, P95 = (QUANTILE_NAMES.index(q) for q in ("p05", "p25", "p75", "p95"))


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def years(run: PageRun) -> np.ndarray:
    """The run's dates as decimal years (2018.0 is January 2018): a float axis draws its
    ticks in a fraction of a date axis's time."""
    return (run.setup.start + np.arange(run.setup.n_steps + 1)) / 12.0


def _year_axis(ax) -> None:
    ax.xaxis.set_major_locator(MultipleLocator(2))
    ax.xaxis.set_major_formatter("{x:.0f}")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))  # few ticks: most of a draw is ticks


def _fixed_layout(fig: Figure, top: float, bottom: float, left: float = 0.07) -> None:
    """Margins in inches; a fixed layout costs nothing to compute, unlike a constrained one."""
    height = fig.get_figheight()
    fig.subplots_adjust(left=left, right=0.985, top=1 - top / height, bottom=bottom / height,
                        hspace=0.45, wspace=0.06)


def _pair_grid(run: PageRun, focus: str, title: str, ylabel: str):
    """One panel per directed pair with `focus`: focus -> other left, other -> focus right."""
    pairs = focus_pairs(run.codes, focus)
    rows = len(pairs) // 2
    fig = Figure(figsize=(9.0, 1.3 * rows + 1.0))
    axes = fig.subplots(rows, 2, sharex=True, sharey=True, squeeze=False).ravel()
    _fixed_layout(fig, top=0.45, bottom=0.65, left=0.075)
    fig.suptitle(title, fontsize="medium", y=1 - 0.12 / fig.get_figheight(), va="top")
    index = {code: k for k, code in enumerate(run.codes)}
    cells = [(index[s], index[t]) for s, t in pairs]
    for ax, (source, target) in zip(axes, pairs, strict=True):
        ax.set_title(f"{source} → {target}", fontsize="small", pad=2)
        ax.axhline(0, color="black", lw=0.5, alpha=0.5)
        ax.tick_params(labelsize="small")
        _year_axis(ax)
        if run.first_change is not None:
            ax.axvline(years(run)[run.first_change], color="black", ls=":", lw=1.0)
    fig.text(0.01, 0.5, ylabel, rotation="vertical", va="center", fontsize="small")
    return fig, axes, cells


def _band(ax, x, low, high, colour, alpha):
    ax.fill_between(x, low, high, color=colour, alpha=alpha, lw=0)


def trajectories_png(run: PageRun, focus: str) -> bytes:
    """Mean alignment of each pair with the focus state over the p25-p75 and p05-p95 bands."""
    fig, axes, cells = _pair_grid(run, focus, f"Alignment of pairs with {focus}: mean and "
                                  f"bands over {run.cfg.replicates} replicates", "alignment")
    x = years(run)
    for ax, (i, j) in zip(axes, cells, strict=True):
        for v, variant in enumerate(run.variants):
            colour = VARIANT_COLOURS.get(variant, OTHER_COLOUR)
            if run.ens.quantiles is not None:
                q = run.ens.quantiles[:, v, :, i, j]
                _band(ax, x, q[P05], q[P95], colour, 0.13)
                _band(ax, x, q[P25], q[P75], colour, 0.25)
            ax.plot(x, run.ens.mean[v, :, i, j], color=colour, lw=1.4)
    handles = [Line2D([], [], color=VARIANT_COLOURS.get(v, OTHER_COLOUR), lw=1.4, label=v)
               for v in run.variants]
    handles += [Patch(color="grey", alpha=0.45, label="p25–p75"),
                Patch(color="grey", alpha=0.2, label="p05–p95")]
    if run.first_change is not None:
        handles.append(Line2D([], [], color="black", ls=":", lw=1.0, label="first change"))
    fig.legend(handles=handles, loc="lower center", ncols=len(handles), fontsize="small",
               frameon=False)
    return png(fig)


def effect_png(run: PageRun, focus: str) -> bytes:
    """Scenario minus reference for each pair with the focus state: mean and p05-p95."""
    fig, axes, cells = _pair_grid(run, focus, f"Effect on pairs with {focus}: scenario − "
                                  "reference over paired replicates", "Δ alignment")
    x = years(run)
    s = run.effect_series
    for ax, (i, j) in zip(axes, cells, strict=True):
        if run.ens.quantiles is not None:
            q = run.ens.quantiles[:, s, :, i, j]
            _band(ax, x, q[P05], q[P95], EFFECT_COLOUR, 0.2)
        ax.plot(x, run.ens.mean[s, :, i, j], color=EFFECT_COLOUR, lw=1.4)
    handles = [Line2D([], [], color=EFFECT_COLOUR, lw=1.4, label="mean effect"),
               Patch(color=EFFECT_COLOUR, alpha=0.2, label="p05–p95")]
    if run.first_change is not None:
        handles.append(Line2D([], [], color="black", ls=":", lw=1.0, label="first change"))
    fig.legend(handles=handles, loc="lower center", ncols=len(handles), fontsize="small",
               frameon=False)
    return png(fig)


def _variant_matrices(run: PageRun, step: int) -> list[tuple[str, np.ndarray]]:
    panels = [(f"{variant}, mean", run.ens.mean[v, step]) for v, variant in enumerate(run.variants)]
    if run.has_effect:
        panels.append(("scenario − reference", run.ens.mean[run.effect_series, step]))
    return panels


def matrix_png(run: PageRun, step: int) -> bytes:
    """The mean alignment matrix A[row, column] of each variant (and their difference)."""
    panels = _variant_matrices(run, step)
    n = len(run.codes)
    side = max(2.6, 0.45 * n + 1.0)
    fig = Figure(figsize=(side * len(panels) + 2.2, side + 0.7))
    _fixed_layout(fig, top=0.55, bottom=0.35, left=0.07)
    fig.subplots_adjust(wspace=0.15)
    axes = fig.subplots(1, len(panels), squeeze=False).ravel()
    for ax, (title, matrix) in zip(axes, panels, strict=True):
        shown = matrix.astype(float, copy=True)
        np.fill_diagonal(shown, np.nan)
        difference = title.startswith("scenario −")
        limit = max(1e-3, np.nanmax(np.abs(shown))) if difference else 1.0
        norm = Normalize(-limit, limit) if difference else ALIGNMENT
        ax.imshow(np.ma.masked_invalid(shown), cmap=CMAP, norm=norm)
        if n <= 10:
            for (r, c), value in np.ndenumerate(shown):
                if np.isfinite(value):
                    ax.text(c, r, f"{value:+.3f}" if difference else f"{value:+.2f}",
                            ha="center", va="center", fontsize=7,
                            color="white" if abs(norm(value) - 0.5) > 0.3 else "black")
        ax.set_xticks(range(n), run.codes, fontsize="small")
        ax.set_yticks(range(n), run.codes if ax is axes[0] else [], fontsize="small")
        ax.tick_params(length=0)
        ax.set_title(title, fontsize="small")
        if difference:
            fig.colorbar(ScalarMappable(norm, CMAP), ax=ax, shrink=0.7)
    axes[0].set_ylabel("alignment of row toward column", fontsize="small")
    fig.colorbar(ScalarMappable(ALIGNMENT, CMAP), ax=list(axes[:len(run.variants)]), shrink=0.7,
                 label="mean alignment")
    fig.suptitle(f"Mean alignment matrix, {month_label(run.setup.start + step)}",
                 fontsize="medium", y=1 - 0.08 / fig.get_figheight(), va="top")
    return png(fig)


def network_png(run: PageRun, step: int) -> bytes:
    """The states as a network: edge colour and width from the mean of A[i, j] and A[j, i]."""
    fig = Figure(figsize=(3.6 * len(run.variants) + 1.2, 3.9))
    _fixed_layout(fig, top=0.45, bottom=0.1, left=0.02)
    axes = fig.subplots(1, len(run.variants), squeeze=False).ravel()
    capability = run.setup.actors.capability
    for ax, (v, variant) in zip(axes, enumerate(run.variants), strict=True):
        matrix = run.ens.mean[v, step]
        graph = nx.Graph()
        graph.add_nodes_from(run.codes)
        for i, a in enumerate(run.codes):
            for j in range(i + 1, len(run.codes)):
                graph.add_edge(a, run.codes[j], value=0.5 * (matrix[i, j] + matrix[j, i]))
        layout = nx.circular_layout(graph)  # fixed places: networks at two dates compare
        values = [graph.edges[e]["value"] for e in graph.edges]
        nx.draw_networkx_edges(graph, layout, ax=ax, edge_color=[CMAP(ALIGNMENT(x)) for x in values],
                               width=[0.8 + 5.0 * abs(x) for x in values])
        nx.draw_networkx_nodes(graph, layout, ax=ax, node_color="#f7f7f7", edgecolors="#333333",
                               node_size=list(250 + 1250 * capability / capability.max()))
        nx.draw_networkx_labels(graph, layout, ax=ax, font_size=8, font_weight="bold")
        ax.set_title(variant, fontsize="small")
        ax.set_xlim(-1.35, 1.35)
        ax.set_ylim(-1.35, 1.35)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.colorbar(ScalarMappable(ALIGNMENT, CMAP), ax=list(axes), shrink=0.7,
                 label="mean of A[i, j] and A[j, i]")
    fig.suptitle(f"Alignment network, {month_label(run.setup.start + step)} "
                 "(node size: capability)", fontsize="medium", y=1 - 0.08 / fig.get_figheight(),
                 va="top")
    return png(fig)


def timeline_png(events: pd.DataFrame, run: PageRun) -> bytes:
    """The catalogue by pair and date: events switched off hollow, events the scenario
    already changed in grey; the run's months shaded."""
    pairs = sorted(set(zip(events["source"], events["target"], strict=True)))
    row = {pair: k for k, pair in enumerate(pairs)}
    fig = Figure(figsize=(9.0, 0.2 * len(pairs) + 1.7))
    _fixed_layout(fig, top=0.4, bottom=1.0, left=0.1)
    ax = fig.subplots()
    span = years(run)
    ax.axvspan(span[0], span[-1], color="#f2f2f2", zorder=0)
    dates = events["month"].to_numpy() / 12.0
    y = [row[(s, t)] for s, t in zip(events["source"], events["target"], strict=True)]
    colours = [TYPE_COLOURS.get(k, OTHER_COLOUR) for k in events["type"]]
    on, switchable = events["on"].to_numpy(), events["switchable"].to_numpy()
    off = switchable & ~on
    fixed = ~switchable
    ax.scatter(dates[on], np.asarray(y)[on], c=np.asarray(colours)[on], s=28, zorder=3)
    ax.scatter(dates[off], np.asarray(y)[off], facecolors="none",
               edgecolors=np.asarray(colours)[off], s=28, lw=1.2, zorder=3)
    ax.scatter(dates[fixed], np.asarray(y)[fixed], c=OFF_COLOUR, marker="x", s=22, zorder=3)
    ax.set_yticks(range(len(pairs)), [f"{s}→{t}" for s, t in pairs], fontsize="small")
    ax.invert_yaxis()
    ax.grid(axis="y", color="#dddddd", lw=0.5)
    ax.tick_params(labelsize="small")
    _year_axis(ax)
    kinds = [k for k in TYPE_COLOURS if k in set(events["type"])]
    handles = [Line2D([], [], marker="o", ls="", color=TYPE_COLOURS[k], label=k.replace("_", " "))
               for k in kinds]
    handles.append(Line2D([], [], marker="o", ls="", mfc="none", color="black",
                          label="switched off"))
    if fixed.any():
        handles.append(Line2D([], [], marker="x", ls="", color=OFF_COLOUR,
                              label="changed by the scenario"))
    fig.legend(handles=handles, loc="lower center", ncols=6, fontsize="small", frameon=False)
    fig.suptitle(f"Event catalogue ({len(events)} events; shaded: the run's months)",
                 fontsize="medium", y=1 - 0.08 / fig.get_figheight(), va="top")
    return png(fig)


def replicate_png(path: np.ndarray, run: PageRun, variant: str, replicate: int, focus: str) -> bytes:
    """One replicate (the Mesa model's months so far) of each pair from the focus state,
    beside the ensemble's mean of the same variant."""
    v = run.variants.index(variant)
    f = run.codes.index(focus)
    others = [k for k in range(len(run.codes)) if k != f]
    fig = Figure(figsize=(9.0, 3.2))
    _fixed_layout(fig, top=0.35, bottom=0.35)
    ax = fig.subplots()
    x = years(run)
    colours = [LINES(k % LINES.N) for k in range(len(others))]
    for colour, k in zip(colours, others, strict=True):
        ax.plot(x, run.ens.mean[v, :, f, k], color=colour, lw=0.8, ls="--", alpha=0.8)
        ax.plot(x[:len(path)], path[:, f, k], color=colour, lw=1.6,
                label=f"{focus} → {run.codes[k]}")
    ax.axvline(x[len(path) - 1], color="black", lw=0.8, alpha=0.6)
    ax.set_xlim(x[0], x[-1])
    _year_axis(ax)
    ax.set_ylim(-1.0, 1.0)
    ax.axhline(0, color="black", lw=0.5, alpha=0.5)
    ax.set_ylabel("alignment", fontsize="small")
    ax.tick_params(labelsize="small")
    ax.legend(fontsize="small", ncols=len(others), loc="lower left", frameon=False)
    ax.set_title(f"Mesa model, {variant} replicate {replicate}, "
                 f"{month_label(run.setup.start + len(path) - 1)} (dashed: ensemble mean)",
                 fontsize="medium")
    return png(fig)
