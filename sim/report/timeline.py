"""The event catalogue as a timeline: one row per directed pair, a marker per event
coloured by its type and sized by its amount.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.data.dates import month_label
from sim.data.events.catalogue import load_catalogue
from sim.errors import InputError
from sim.report.style import OTHER_COLOUR, date_axis, type_colour, type_order


def read_catalogue(path: Path) -> pd.DataFrame:
    """An event catalogue, checked by the project's loader, each event at the first day of
    the month it acts in (a year-only date in July, as the simulation places it)."""
    events = load_catalogue(path)
    if events.empty:
        raise InputError(path, "rows", "the catalogue has no events; add some")
    events["date"] = pd.to_datetime([f"{month_label(m)}-01" for m in events["month"]])
    events["precision"] = events["date_precision"]
    return events


def marker_sizes(events: pd.DataFrame) -> np.ndarray:
    """Marker area: grows with log10 of US dollars above $1m; 30 for other units."""
    usd = (events["unit"] == "usd") & (events["magnitude"] > 0)
    dollars = events["magnitude"].where(usd, 1.0).to_numpy(dtype=float)
    return np.where(usd, 20 + 45 * np.clip(np.log10(dollars) - 6, 0, None), 30.0)

HOLLOW_LABELS = {"year": "year only", "off": "switched off"}


def timeline_figure(events: pd.DataFrame, title: str, span: tuple | None = None,
                    width: float = 10.0) -> Figure:
    """One row per directed pair, a marker per event coloured by type, sized by money.

    events: a catalogue as read_catalogue gives it. With a `switch` column ('on', 'off' or
    'fixed', as the page's switches set it), events switched off are drawn hollow and events
    the scenario already changed as grey crosses; without it, hollow marks an event dated
    only to its year. span: (first, last) date of a run, shaded.
    """
    pairs = sorted(set(zip(events["source"], events["target"], strict=True)))
    row = {pair: k for k, pair in enumerate(pairs)}
    y = np.array([row[p] for p in zip(events["source"], events["target"], strict=True)])
    sizes = marker_sizes(events)
    switched = "switch" in events.columns
    hollow = (events["switch"] == "off") if switched else (events["precision"] == "year")
    fixed = (events["switch"] == "fixed") if switched else pd.Series(False, index=events.index)
    fig = Figure(figsize=(width, max(4.2, 1.4 + 0.32 * len(pairs))), layout="constrained")
    ax = fig.subplots()
    if span is not None:
        ax.axvspan(*span, color="#f2f2f2", lw=0, zorder=0)
    for kind in type_order(events["type"]):
        colour = type_colour(kind)
        for open_mark in (False, True):
            sel = ((events["type"] == kind) & (hollow == open_mark) & ~fixed).to_numpy()
            ax.scatter(events["date"][sel], y[sel], s=sizes[sel], alpha=0.85, zorder=2,
                       facecolors="none" if open_mark else colour, edgecolors=colour,
                       lw=1.2 if open_mark else 0.4)
    ax.scatter(events["date"][fixed.to_numpy()], y[fixed.to_numpy()], c=OTHER_COLOUR, marker="x",
               s=22, zorder=2)
    ax.set_yticks(range(len(pairs)), [f"{s} → {t}" for s, t in pairs])
    ax.set_ylim(len(pairs) - 0.5, -0.5)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.grid(axis="x", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    date_axis(ax)
    handles = [Line2D([], [], ls="", marker="o", ms=7, color=type_colour(k),
                      label=k.replace("_", " ")) for k in type_order(events["type"])]
    if hollow.any():
        handles.append(Line2D([], [], ls="", marker="o", ms=7, mfc="none", color="black",
                              label=HOLLOW_LABELS["off" if switched else "year"]))
    if fixed.any():
        handles.append(Line2D([], [], ls="", marker="x", ms=6, color=OTHER_COLOUR,
                              label="changed by the scenario"))
    if span is not None:
        handles.append(Patch(color="#f2f2f2", label="the run's months"))
    fig.legend(handles=handles, loc="outside right upper", fontsize="small", frameon=False,
               title="event type")
    if ((events["unit"] == "usd") & (events["magnitude"] > 0)).any():
        amounts = {"$10m": 1e7, "$1bn": 1e9, "$50bn": 5e10}
        legend_rows = pd.DataFrame({"unit": "usd", "magnitude": list(amounts.values())})
        handles = [Line2D([], [], ls="", marker="o", color="grey", ms=math.sqrt(s), label=label)
                   for label, s in zip(amounts, marker_sizes(legend_rows), strict=True)]
        fig.legend(handles=handles, loc="outside right lower", fontsize="small", frameon=False,
                   title="amount", labelspacing=1.2)
    name = f" {title}" if title else ""
    ax.set_title(f"Event catalogue{name}: {len(events)} events, {len(pairs)} directed pairs")
    return fig
