"""The trajectories figure: alignment over time of each pair of the focus state, mean and
bands per variant, with the events between the two states along each panel's foot.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report.captions import scenario_title, variant_label
from sim.report.style import (
    OTHER_COLOUR,
    PAGE_WIDTH,
    VARIANT_COLOURS,
    cooperative,
    date_axis,
    legend_below,
    panels,
    styled,
    type_colour,
    type_order,
)
from sim.report.tables import (
    States,
    events_used,
    focus_pairs,
    lookup,
    run_states,
    stat_frames,
    variants_of,
)

EVENT_STRIP_BOTTOM = -1.6  # alignment panels extend below -1 to hold the event markers


def bands(ax, frame: pd.DataFrame, colour: str, label: str | None = None) -> None:
    """Mean line over p05-p95 and p25-p75 bands; thin lines for raw replicates."""
    x = frame.index
    if {"p05", "p95"} <= set(frame.columns):
        ax.fill_between(x, frame["p05"], frame["p95"], color=colour, alpha=0.13, lw=0)
    if {"p25", "p75"} <= set(frame.columns):
        ax.fill_between(x, frame["p25"], frame["p75"], color=colour, alpha=0.25, lw=0)
    for column in (c for c in frame.columns if str(c).startswith("raw")):
        ax.plot(x, frame[column], color=colour, lw=0.5, alpha=0.4)
    ax.plot(x, frame["mean"], color=colour, lw=1.8, label=label)


def event_marks(ax, events: pd.DataFrame) -> None:
    """Events in a strip below the data: a triangle per month and type (up: cooperative,
    down: hostile), coloured by type, open when only the scenario has it, faint when the
    scenario removes it, with the number of events when a month holds several of a type."""
    if events.empty:
        return
    foot = ax.get_xaxis_transform()  # x in dates, y in axis fractions
    groups = events.groupby(["date", "type", "variant"]).size().rename("count").reset_index()
    levels = {kind: k for k, kind in enumerate(type_order(events["type"]))}
    groups["y"] = [0.03 + 0.045 * (levels[kind] % 4) for kind in groups["type"]]  # four rows
    for (kind, variant), marks in groups.groupby(["type", "variant"]):  # one scatter each
        colour = type_colour(kind)
        ax.scatter(marks["date"], marks["y"], transform=foot,
                   s=16 + 6 * np.minimum(marks["count"], 5), clip_on=False,
                   marker="^" if cooperative(kind) else "v", zorder=4, linewidths=0.8,
                   facecolors="white" if variant == "scenario" else colour,
                   edgecolors=colour, alpha=0.3 if variant == "reference" else 1.0)
        for date, y, count in zip(marks["date"], marks["y"], marks["count"], strict=True):
            if count > 1:
                ax.annotate(str(count), (mdates.date2num(date), y), xycoords=foot,
                            xytext=(3.5, 0), textcoords="offset points", fontsize=6,
                            va="center", color=colour)


def event_handles(events: pd.DataFrame) -> list:
    handles = [Line2D([], [], ls="", marker="^" if cooperative(k) else "v", ms=5,
                      color=type_colour(k), label=k.replace("_", " "))
               for k in type_order(events["type"])]
    if (events["variant"] == "scenario").any():
        handles.append(Line2D([], [], ls="", marker="^", ms=5, mfc="white", color="black",
                              label="added by the scenario"))
    if (events["variant"] == "reference").any():
        handles.append(Line2D([], [], ls="", marker="^", ms=5, color="black", alpha=0.3,
                              label="removed by the scenario"))
    return handles


@styled
def trajectories_figure(traj: pd.DataFrame, states: States, focus: str, events: pd.DataFrame,
                        replicates: int | None = None, history: str | None = None,
                        scenario: str = "") -> Figure:
    """Alignment over time for each directed pair involving `focus`.

    One panel per pair, on the common alignment scale: the mean with p25-p75 and p05-p95
    bands, one colour per variant, and the events between the two states along the foot
    (one triangle per month and type, with a count when there are several). history: the
    variant that replays the record; scenario: the scenario's title (captions.scenario_title).
    """
    frames = stat_frames(traj)
    variants = variants_of(traj)
    pairs = focus_pairs(states.codes, focus)
    fig, axes = panels(len(pairs), 2, (PAGE_WIDTH / 2, 1.7), sharex=True, sharey=True)
    for ax, (source, target) in zip(axes, pairs, strict=True):
        for variant in variants:
            frame = lookup(frames, (variant, source, target))
            if frame is not None:
                bands(ax, frame, VARIANT_COLOURS.get(variant, OTHER_COLOUR), variant)
        ax.axhline(0, color="black", lw=0.5, alpha=0.5)
        between = events[events["source"].isin([source, target])
                         & events["target"].isin([source, target])]
        event_marks(ax, between)
        ax.set_title(states.pair(source, target), loc="left")
        ax.set_ylim(EVENT_STRIP_BOTTOM, 1.05)  # the events' strip lies below -1
        ax.set_yticks([-1, -0.5, 0, 0.5, 1])
        ax.axhspan(EVENT_STRIP_BOTTOM, -1.02, color="#f4f4f4", lw=0, zorder=0)
        date_axis(ax)
    for ax in axes[::2]:
        ax.set_ylabel("alignment")
    handles = [Line2D([], [], color=VARIANT_COLOURS.get(v, OTHER_COLOUR), lw=1.5,
                      label=variant_label(v, history, variants)) for v in variants]
    handles += [Patch(color="grey", alpha=0.45, label="p25–p75"),
                Patch(color="grey", alpha=0.18, label="p05–p95")]
    shown = events[events["source"].isin([focus]) | events["target"].isin([focus])]
    legend_below(fig, handles + event_handles(shown), ncols=5)
    over = f" over {replicates} replicates" if replicates else ""
    named = f"\nscenario {scenario}" if scenario else ""
    fig.suptitle(f"Alignment of the pairs of {states.name(focus)}: mean and bands{over}{named}"
                 + states.drawn())
    return fig


def run_trajectories_figure(traj: pd.DataFrame, summary: dict, focus: str,
                            where: Path = Path("summary.json")) -> Figure:
    """The trajectories of a run's focus pairs from its tables (trajectories, summary)."""
    states = run_states(summary, traj, where)
    events = events_used(summary, where)
    scenario = summary.get("scenario")
    return trajectories_figure(traj, states, focus, events, summary.get("replicates"),
                               (scenario or {}).get("history"), scenario_title(scenario, events))
