"""The page's figures as PNG bytes: the command line's own (sim.report.figures, drawn from
the run's tables) at the page's resolution, and two of the page's alone, the timeline of the
events that can be switched off and the Mesa replicate.

PNG images need nothing from the browser but an <img>, so the page works offline, on a
cluster's login node, and looks the same in every browser.
"""

import io

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, MultipleLocator

from sim.dashboard.session import PageRun, effects, trajectories
from sim.data.dates import month_label
from sim.model.stats import QUANTILE_NAMES
from sim.report import figures as report
from sim.report.figures import OTHER_COLOUR, TYPE_COLOURS, VARIANT_COLOURS

DPI = 80  # the page's own figures (timeline, replicate)
TIMELINE_DPI = 120  # shown at the page's width: its type about the command line's
FIGURE_DPI = 140  # the command line's figures (7 in wide): about the page's width at 1400 px
EFFECT_COLOUR = VARIANT_COLOURS["scenario"]
OFF_COLOUR = "#bbbbbb"
LINES = colormaps["tab10"]
P05, P25, P75, P95 = (QUANTILE_NAMES.index(q) for q in ("p05", "p25", "p75", "p95"))


def png(fig: Figure, dpi: int = DPI) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
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


def trajectories_png(run: PageRun, focus: str) -> bytes:
    """The command line's trajectories figure of the focus state's pairs."""
    return png(report.run_trajectories_figure(trajectories(run), run.summary, focus), FIGURE_DPI)


def effect_png(run: PageRun, focus: str) -> bytes:
    """The command line's effect figure: every reported pair on its own scale."""
    return png(report.run_effects_figure(effects(run), run.summary, focus), FIGURE_DPI)


def matrix_png(run: PageRun, step: int) -> bytes:
    """The command line's mean alignment matrix (and the scenario's effect) at one date."""
    date = pd.Timestamp(f"{month_label(run.setup.start + step)}-01")
    figure = report.heatmaps_figure(trajectories(run), report.summary_states(run.summary), [date])
    return png(figure, FIGURE_DPI)


def network_png(run: PageRun, step: int) -> bytes:
    """The command line's directed network of the states at one date."""
    date = pd.Timestamp(f"{month_label(run.setup.start + step)}-01")
    figure = report.network_figure(trajectories(run), report.summary_states(run.summary), date)
    return png(figure, FIGURE_DPI)


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
    ax.xaxis.set_major_locator(MultipleLocator(2))  # every pair's row keeps its label
    ax.xaxis.set_major_formatter("{x:.0f}")
    ax.tick_params(labelsize="small")
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
    return png(fig, TIMELINE_DPI)


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
