"""Figures from the tables of a run, a sweep or an event catalogue.

    python -m sim.plot RUN_DIR   [--format png|svg|pdf] [--focus PAK] [--dates 2015-01,2018-06]
    python -m sim.plot SWEEP_DIR [--format png|svg|pdf] [--focus PAK]
    python -m sim.plot seeds/events.csv [--out DIR]
    python -m sim.plot catalogue [CSV]  [--out DIR]      (default seeds/events.csv)

Each `draw_*` function draws one figure from one table and returns the file it
wrote; `plot_run`, `plot_sweep` and `plot_catalogue` read a directory or file
and call them. Nothing here runs the model. Figures are `matplotlib.figure.Figure`
objects rendered by Agg (no pyplot), so importing this module leaves the user's
backend alone, and each file is written under a temporary name and then renamed,
so an interrupted call never leaves a half-written figure.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch

from sim.data.dates import month_label
from sim.data.events.catalogue import load_catalogue
from sim.data.eventtypes import DEFAULT_WEIGHTS
from sim.data.files import MAX_SUMMARY_BYTES, atomic_write, output_file, read_text
from sim.data.schemas import check_state_code
from sim.errors import InputError, OneLineParser

FORMATS = ("png", "svg", "pdf")
DPI = 150
DEFAULT_FOCUS = "PAK"
MAX_DRAWN_STATES = 9  # the focus and 8 others: 16 pair panels, a readable matrix and network
DEFAULT_CATALOGUE = Path("seeds/events.csv")
DEFAULT_CATALOGUE_OUT = Path("outputs/catalogue")

TRAJECTORY_COLUMNS = ("variant", "stat", "date", "source", "target", "value")
EFFECT_COLUMNS = ("date", "source", "target", "mean", "p05", "p95")
SWEEP_COLUMNS = ("job", "status", "source", "target", "when",
                 "effect_mean", "effect_p05", "effect_p95")
# every other column is a swept key (effect_median and effect_moved: sweeps gathered since)
SWEEP_FIXED = {*SWEEP_COLUMNS, "date", "date_to", "effect_median", "effect_moved", "facts_met"}
SOBOL_COLUMNS = ("output", "param", "S1", "S1_conf", "ST", "ST_conf")

ALIGNMENT = Normalize(vmin=-1.0, vmax=1.0)
CMAP = matplotlib.colormaps["RdBu"].with_extremes(bad="#e6e6e6")  # red hostile, blue aligned
VARIANT_COLOURS = {"reference": "#333333", "scenario": "#c51b7d"}
WHEN_COLOURS = {"12m": "#1b9e77", "peak": "#d95f02", "end": "#7570b3"}
OTHER_COLOUR = "#999999"
WINDOW_COLOUR = "#e4ecf4"  # the cumulative window: a pale blue, apart from the effect's pink band
DIFFERENCE_CMAP = matplotlib.colormaps["PuOr"].with_extremes(bad="#e6e6e6")
# One distinct hue per event type; cooperative types are drawn as upward triangles, hostile
# ones as downward triangles, so colour and shape both tell them apart.
TYPE_COLOURS = {
    "aid": "#1f77b4",
    "agreement": "#2ca02c",
    "arms_sale": "#17becf",
    "exercise": "#9467bd",
    "investment": "#bcbd22",
    "support": "#8c564b",
    "visit": "#e377c2",
    "hostile_statement": "#ff7f0e",
    "downgrade": "#7f7f7f",
    "aid_cut": "#d62728",
    "sanctions": "#000000",
    "incident": "#e6ab02",
}
NEGLIGIBLE = 0.001  # peak effects below this are called negligible in their panel's title
EVENT_STRIP_BOTTOM = -1.6  # alignment panels extend below -1 to hold the event markers
PAGE_WIDTH = 7.0  # inches: the full width of such a page
STYLE = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
         "ytick.labelsize": 7, "legend.fontsize": 7, "figure.titlesize": 9,
         "axes.spines.top": False, "axes.spines.right": False}
_SAVE_METADATA = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class States:
    """The states of a run, in their configured order."""

    codes: tuple[str, ...]
    names: dict[str, str]
    capability: dict[str, float]
    of: int = 0  # the run's number of states when these are the drawn few of them (else 0)

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def pair(self, source: str, target: str) -> str:
        return f"{self.name(source)} → {self.name(target)}"

    def drawn(self) -> str:
        """' (the 9 of 193 states ...)' when these are a few of the run's states, else ''."""
        return (f"\n(the {len(self.codes)} of {self.of} states closest to the focus: "
                "largest effects or alignments; all are in the tables)" if self.of else "")


# ---------------------------------------------------------------- reading tables


def _check_format(fmt: str, where: str | Path) -> str:
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(where, "format", f"'{fmt}' is not supported; use one of "
                         + ", ".join(FORMATS))
    return fmt


def _read_parquet(path: Path, required: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(path, "file", "not found; check the path")
    try:
        table = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise InputError(path, "file", f"cannot be read as Parquet ({err}); rewrite it") from err
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise InputError(path, f"column '{missing[0]}'",
                         "missing; the table needs columns " + ", ".join(required))
    if "date" in table.columns:
        try:
            table["date"] = pd.to_datetime(table["date"])
        except (ValueError, TypeError) as err:
            raise InputError(path, "column 'date'", f"not dates ({err}); write "
                             "datetime64 values, first of the month") from err
    return table


def _read_json(path: Path) -> dict:
    """A run's summary.json, or {} when there is none (figures then use state codes)."""
    if not path.is_file():
        return {}
    try:
        return json.loads(read_text(path, "the run directory", MAX_SUMMARY_BYTES))
    except json.JSONDecodeError as err:
        raise InputError(path, "file", f"not valid JSON ({err}); rewrite it") from err


def _states(summary: dict, table: pd.DataFrame, where: Path) -> States:
    """States from summary['actors'], else the codes found in the table."""
    actors = summary.get("actors") or [
        {"code": code} for code in dict.fromkeys([*table["source"], *table["target"]])
    ]
    for k, actor in enumerate(actors):
        if not isinstance(actor, dict) or "code" not in actor:
            raise InputError(where, f"actors[{k}].code", "missing; each actor needs a code")
        check_state_code(actor["code"], where, f"actors[{k}].code")
    return States(
        codes=tuple(str(a["code"]) for a in actors),
        names={str(a["code"]): str(a.get("name") or a["code"]) for a in actors},
        capability={str(a["code"]): float(a.get("capability", 1.0)) for a in actors},
    )


def _focus(states: States, focus: str | None, where: Path | str) -> str:
    if focus is None:
        return DEFAULT_FOCUS if DEFAULT_FOCUS in states.codes else states.codes[0]
    if focus not in states.codes:
        raise InputError(where, "focus", f"'{focus}' is not a state here; use one of "
                         + ", ".join(states.codes))
    return focus


def _month(value, where: str | Path, field: str) -> pd.Timestamp:
    """'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' (or a date) -> Timestamp."""
    if isinstance(value, datetime.date | np.datetime64):
        return pd.Timestamp(value)
    value = str(value)
    if not _DATE.match(value.strip()):
        raise InputError(where, field, f"'{value}' is not a date; write YYYY-MM, e.g. 2018-01")
    try:
        return pd.Timestamp(value.strip())
    except ValueError as err:
        raise InputError(where, field, f"'{value}' is not a date; write YYYY-MM") from err


def _events_used(summary: dict, where: Path) -> pd.DataFrame:
    """summary['events_used'] as one row per event, with a parsed `date` and `variant`:
    'both' for an event of every variant of the run, else the variant that alone has it
    ('reference': an event the scenario removes; 'scenario': one it adds)."""
    columns = ["id", "date", "source", "target", "type", "variant"]
    events = pd.DataFrame(summary.get("events_used") or [], columns=columns)
    events["variant"] = events["variant"].fillna("reference")
    events["id"] = [f"row{k}" if pd.isna(v) else str(v) for k, v in enumerate(events["id"])]
    events["date"] = [_month(d, where, "events_used.date") for d in events["date"]]
    n_variants = events["variant"].nunique()
    key = ["id", "date", "source", "target", "type"]
    merged = events.groupby(key, sort=False)["variant"].agg(
        lambda v: "both" if v.nunique() == n_variants else v.iloc[0]).reset_index()
    return merged.sort_values("date", kind="stable").reset_index(drop=True)


def _variants(table: pd.DataFrame) -> list[str]:
    """Variants present, reference first, then scenario, then any others."""
    present = set(table["variant"])
    known = [v for v in ("reference", "scenario") if v in present]
    return known + sorted(present - set(known))


def _focus_pairs(codes: Sequence[str], focus: str) -> list[tuple[str, str]]:
    """(focus, other), (other, focus) for every other state: one row of panels each."""
    return [pair for other in codes if other != focus
            for pair in ((focus, other), (other, focus))]


def drawn_states(states: States, focus: str, summary: dict) -> States:
    """All the states when they are at most MAX_DRAWN_STATES; else the focus and the states
    of its pairs with the largest peak effects (the pairs an edited event joins first), or
    without a scenario the largest final alignments either way, in the configured order.
    A matrix or a network of 193 states cannot be read; of these few it can."""
    if len(states.codes) <= MAX_DRAWN_STATES:
        return states
    size: dict[str, float] = {}
    peaks = [e for e in summary.get("effects") or [] if e.get("when") == "peak"]
    if peaks:
        for e in peaks:
            other = e["target"] if e["source"] == focus else e["source"]
            size[other] = max(size.get(other, 0.0), abs(e["mean"]))
        for pair in summary.get("effect_pairs_touched") or []:
            for code in pair:
                size[code] = math.inf
    else:
        final = summary.get("final_mean") or {}
        for other in states.codes:
            size[other] = max(abs(final.get(focus, {}).get(other, 0.0)),
                              abs(final.get(other, {}).get(focus, 0.0)))
    size.pop(focus, None)
    chosen = {focus, *sorted(size, key=lambda c: -size[c])[:MAX_DRAWN_STATES - 1]}
    return States(tuple(c for c in states.codes if c in chosen), states.names, states.capability,
                  of=len(states.codes))


def _stat_frames(traj: pd.DataFrame) -> pd.DataFrame:
    """One row per (variant, source, target, date), one column per stat."""
    return traj.pivot_table(index=["variant", "source", "target", "date"], columns="stat",
                            values="value", aggfunc="mean").sort_index()


def _lookup(frame: pd.DataFrame, key: tuple) -> pd.DataFrame | None:
    try:
        return frame.loc[key]
    except KeyError:
        return None


def _matrix(means: pd.DataFrame, variant: str, date: pd.Timestamp, codes) -> np.ndarray:
    """The mean alignment matrix A[source, target] of one variant at one date."""
    rows = means[(means["variant"] == variant) & (means["date"] == date)]
    matrix = rows.pivot_table(index="source", columns="target", values="value")
    matrix = matrix.reindex(index=list(codes), columns=list(codes))
    matrix = matrix.to_numpy(dtype=float, copy=True)  # writable, for the diagonal
    np.fill_diagonal(matrix, np.nan)
    return matrix


def _snap_dates(available: pd.DatetimeIndex, wanted, where: Path) -> list[pd.Timestamp]:
    """Each wanted date moved to the nearest date in the table (duplicates dropped)."""
    first, last = available[0], available[-1]
    slack = pd.Timedelta(days=31)
    snapped = []
    for value in wanted:
        date = _month(value, where, "dates")
        if not first - slack <= date <= last + slack:
            raise InputError(where, "dates", f"{date:%Y-%m} is outside the run "
                             f"({first:%Y-%m} to {last:%Y-%m}); choose dates inside it")
        snapped.append(available[available.get_indexer([date], method="nearest")[0]])
    return list(dict.fromkeys(snapped))


# ---------------------------------------------------------------- drawing helpers


def _save(fig: Figure, path: Path) -> Path:
    """Write the figure to `path` atomically, with the umask's mode; its suffix gives the
    format."""
    fmt = path.suffix.lstrip(".")

    def write(temp: Path) -> None:
        with matplotlib.rc_context({"svg.hashsalt": path.name}):  # stable ids in svg
            fig.savefig(temp, format=fmt, dpi=DPI, bbox_inches="tight",
                        metadata=_SAVE_METADATA[fmt])

    atomic_write(path, write)
    return path


def _styled(draw):
    """Draw under the project's figure style (small type for a journal column)."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)
    return wrapper


def _panels(n: int, ncols: int, size: tuple[float, float], **share):
    """A figure with n panels on a grid of ncols columns; unused cells removed."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **share).ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    for k in range(n):
        if k + ncols >= n:  # nothing drawn below this panel: keep its x tick labels
            axes[k].tick_params(labelbottom=True)
    return fig, axes[:n]


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _bands(ax, frame: pd.DataFrame, colour: str, label: str | None = None) -> None:
    """Mean line over p05-p95 and p25-p75 bands; thin lines for raw replicates."""
    x = frame.index
    if {"p05", "p95"} <= set(frame.columns):
        ax.fill_between(x, frame["p05"], frame["p95"], color=colour, alpha=0.13, lw=0)
    if {"p25", "p75"} <= set(frame.columns):
        ax.fill_between(x, frame["p25"], frame["p75"], color=colour, alpha=0.25, lw=0)
    for column in (c for c in frame.columns if str(c).startswith("raw")):
        ax.plot(x, frame[column], color=colour, lw=0.5, alpha=0.4)
    ax.plot(x, frame["mean"], color=colour, lw=1.8, label=label)


def _type_colour(kind: str) -> str:
    return TYPE_COLOURS.get(kind, OTHER_COLOUR)


def _type_order(kinds) -> list[str]:
    """Event types from most cooperative to most hostile; unknown types last."""
    present = set(kinds)
    known = sorted((k for k in present if k in DEFAULT_WEIGHTS), key=lambda k: -DEFAULT_WEIGHTS[k])
    return known + sorted(present - set(known))


def _cooperative(kind: str) -> bool:
    return DEFAULT_WEIGHTS.get(kind, 0.0) >= 0


def _event_marks(ax, events: pd.DataFrame) -> None:
    """Events in a strip below the data: a triangle per month and type (up: cooperative,
    down: hostile), coloured by type, open when only the scenario has it, faint when the
    scenario removes it, with the number of events when a month holds several of a type."""
    if events.empty:
        return
    foot = ax.get_xaxis_transform()  # x in dates, y in axis fractions
    groups = events.groupby(["date", "type", "variant"]).size().rename("count").reset_index()
    levels = {kind: k for k, kind in enumerate(_type_order(events["type"]))}
    groups["y"] = [0.03 + 0.045 * (levels[kind] % 4) for kind in groups["type"]]  # four rows
    for (kind, variant), marks in groups.groupby(["type", "variant"]):  # one scatter each
        colour = _type_colour(kind)
        ax.scatter(marks["date"], marks["y"], transform=foot,
                   s=16 + 6 * np.minimum(marks["count"], 5), clip_on=False,
                   marker="^" if _cooperative(kind) else "v", zorder=4, linewidths=0.8,
                   facecolors="white" if variant == "scenario" else colour,
                   edgecolors=colour, alpha=0.3 if variant == "reference" else 1.0)
        for date, y, count in zip(marks["date"], marks["y"], marks["count"], strict=True):
            if count > 1:
                ax.annotate(str(count), (mdates.date2num(date), y), xycoords=foot,
                            xytext=(3.5, 0), textcoords="offset points", fontsize=6,
                            va="center", color=colour)


def _event_handles(events: pd.DataFrame) -> list:
    handles = [Line2D([], [], ls="", marker="^" if _cooperative(k) else "v", ms=5,
                      color=_type_colour(k), label=k.replace("_", " "))
               for k in _type_order(events["type"])]
    if (events["variant"] == "scenario").any():
        handles.append(Line2D([], [], ls="", marker="^", ms=5, mfc="white", color="black",
                              label="added by the scenario"))
    if (events["variant"] == "reference").any():
        handles.append(Line2D([], [], ls="", marker="^", ms=5, color="black", alpha=0.3,
                              label="removed by the scenario"))
    return handles


def _legend_below(fig: Figure, handles: list, ncols: int = 6) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), ncols),
               fontsize="small", frameon=False)


def _alignment_colorbar(fig: Figure, axes, label: str) -> None:
    fig.colorbar(ScalarMappable(ALIGNMENT, CMAP), ax=axes, shrink=0.8, label=label)


def _signed(value: float) -> str:
    """'+0.25', '-0.40', and '0.00' rather than '-0.00'."""
    rounded = round(float(value), 2) + 0.0
    return "0.00" if rounded == 0 else f"{rounded:+.2f}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")


# ---------------------------------------------------------------- run figures


def draw_trajectories(traj: pd.DataFrame, states: States, focus: str, events: pd.DataFrame,
                      out: Path, replicates: int | None = None, history: str | None = None
                      ) -> Path:
    return _save(trajectories_figure(traj, states, focus, events, replicates, history), out)


def variant_label(variant: str, history: str | None, variants: Sequence[str]) -> str:
    """A variant as a legend names it: which one replays the record, which is the what-if."""
    if history is None or len(variants) < 2:
        return variant
    return f"{variant} (the record)" if variant == history else f"{variant} (counterfactual)"


def scenario_title(scenario: dict | None) -> str:
    """"'aid_freeze' (amount_usd 2e+09, date 2018-01)": a scenario's name and its settings."""
    if not scenario:
        return ""
    settings = ", ".join(f"{key} {value:g}" if isinstance(value, int | float) else
                         f"{key} {value}" for key, value in (scenario.get("settings") or {}).items())
    return f"'{scenario['name']}'" + (f" ({settings})" if settings else "")


@_styled
def trajectories_figure(traj: pd.DataFrame, states: States, focus: str, events: pd.DataFrame,
                        replicates: int | None = None, history: str | None = None) -> Figure:
    """Alignment over time for each directed pair involving `focus`.

    One panel per pair, on the common alignment scale: the mean with p25-p75 and p05-p95
    bands, one colour per variant, and the events between the two states along the foot
    (one triangle per month and type, with a count when there are several).
    """
    frames = _stat_frames(traj)
    variants = _variants(traj)
    pairs = _focus_pairs(states.codes, focus)
    fig, axes = _panels(len(pairs), 2, (PAGE_WIDTH / 2, 1.7), sharex=True, sharey=True)
    for ax, (source, target) in zip(axes, pairs, strict=True):
        for variant in variants:
            frame = _lookup(frames, (variant, source, target))
            if frame is not None:
                _bands(ax, frame, VARIANT_COLOURS.get(variant, OTHER_COLOUR), variant)
        ax.axhline(0, color="black", lw=0.5, alpha=0.5)
        between = events[events["source"].isin([source, target])
                         & events["target"].isin([source, target])]
        _event_marks(ax, between)
        ax.set_title(states.pair(source, target), loc="left")
        ax.set_ylim(EVENT_STRIP_BOTTOM, 1.05)  # the events' strip lies below -1
        ax.set_yticks([-1, -0.5, 0, 0.5, 1])
        ax.axhspan(EVENT_STRIP_BOTTOM, -1.02, color="#f4f4f4", lw=0, zorder=0)
        _date_axis(ax)
    for ax in axes[::2]:
        ax.set_ylabel("alignment")
    handles = [Line2D([], [], color=VARIANT_COLOURS.get(v, OTHER_COLOUR), lw=1.5,
                      label=variant_label(v, history, variants)) for v in variants]
    handles += [Patch(color="grey", alpha=0.45, label="p25–p75"),
                Patch(color="grey", alpha=0.18, label="p05–p95")]
    shown = events[events["source"].isin([focus]) | events["target"].isin([focus])]
    _legend_below(fig, handles + _event_handles(shown))
    over = f" over {replicates} replicates" if replicates else ""
    fig.suptitle(f"Alignment of the pairs of {states.name(focus)}: mean and bands{over}"
                 + states.drawn())
    return fig


def _effect_pairs(effects: pd.DataFrame, summary: dict, codes, focus: str) -> list[tuple]:
    """The pairs an edited event joins, then the focus state's, largest peak effect first."""
    touched = [tuple(p) for p in summary.get("effect_pairs_touched") or []]
    pairs = list(dict.fromkeys([*touched, *_focus_pairs(codes, focus)]))
    size = effects.groupby(["source", "target"])["mean"].agg(lambda x: x.abs().max())
    return sorted(pairs, key=lambda p: -size.get(p, 0.0))


def _scale(values: np.ndarray) -> tuple[float, str]:
    """(factor, unit) so that the largest value shows between 1 and 10 in that unit when it
    is below 0.01, else (1, '')."""
    largest = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    if largest == 0 or largest >= 0.01:
        return 1.0, ""
    power = int(np.floor(np.log10(largest)))
    return 10.0 ** -power, f"10$^{{{power}}}$"


def draw_effects(effects: pd.DataFrame, states: States, pairs: list[tuple[str, str]],
                 lever: pd.Timestamp | None, out: Path, scenario: str = "",
                 window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                 interval: str = "", touched: Sequence[tuple[str, str]] = ()) -> Path:
    return _save(effects_figure(effects, states, pairs, lever, scenario, window, interval,
                                touched), out)


@_styled
def effects_figure(effects: pd.DataFrame, states: States, pairs: list[tuple[str, str]],
                   lever: pd.Timestamp | None, scenario: str = "",
                   window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                   interval: str = "", touched: Sequence[tuple[str, str]] = ()) -> Figure:
    """Scenario minus reference over time with its 90% interval, one panel per pair.

    Each panel has its own y scale (noted in its title, with the peak) and the same zero
    line; the x axis starts a year before the change, the lever date is a dotted line and
    the window of the cumulative effect is shaded.
    """
    frames = effects.set_index(["source", "target", "date"]).sort_index()
    colour = VARIANT_COLOURS["scenario"]
    changed = effects.loc[effects["mean"] != 0, "date"]
    begin = min([*([lever] if lever is not None else []), *([changed.min()] if len(changed) else
                                                             [])], default=effects["date"].min())
    begin = max(effects["date"].min(), begin - pd.DateOffset(months=12))
    fig, axes = _panels(len(pairs), 2, (PAGE_WIDTH / 2, 1.5), sharex=True)
    for ax, (source, target) in zip(axes, pairs, strict=True):
        frame = _lookup(frames, (source, target))
        if frame is None:
            ax.set_visible(False)
            continue
        frame = frame[frame.index >= begin]
        factor, note = _scale(frame[["mean", "p05", "p95"]].to_numpy())
        edited = " (edited)" if (source, target) in touched else ""
        low, high = frame["p05"] * factor, frame["p95"] * factor
        ax.fill_between(frame.index, low, high, color=colour, alpha=0.3, lw=0)
        ax.plot(frame.index, low, color=colour, lw=0.4, alpha=0.8)
        ax.plot(frame.index, high, color=colour, lw=0.4, alpha=0.8)
        ax.plot(frame.index, frame["mean"] * factor, color=colour, lw=1.4)
        ax.axhline(0, color="black", lw=0.7)
        if window is not None:
            ax.axvspan(*window, color=WINDOW_COLOUR, lw=0, zorder=0)
        if lever is not None:
            ax.axvline(lever, color="black", ls=":", lw=1.0)
        peak = frame["mean"].abs().idxmax()
        ax.plot([peak], [frame.loc[peak, "mean"] * factor], "o", ms=3, color="black")
        size = frame.loc[peak, "mean"]
        size = f"{size:+.2f}" if abs(size) >= 0.1 else f"{size:+.2g}"  # two digits
        negligible = " (negligible)" if abs(frame.loc[peak, "mean"]) < NEGLIGIBLE else ""
        ax.set_title(f"{source} → {target}{edited}: peak {size}{negligible} ({peak:%Y-%m})"
                     + (f"; y in {note}" if note else ""), loc="left")
        ax.set_xlim(begin, frame.index.max())
        _date_axis(ax)
    for ax in axes[::2]:
        ax.set_ylabel("Δ alignment")
    handles = [Line2D([], [], color=colour, lw=1.4, label="mean effect"),
               Patch(color=colour, alpha=0.3, label="90% interval" + (f" ({interval})"
                                                                      if interval else "")),
               Line2D([], [], ls="", marker="o", ms=3, color="black", label="peak")]
    if lever is not None:
        handles.append(Line2D([], [], color="black", ls=":", lw=1.0,
                              label=f"lever {lever:%Y-%m}"))
    if window is not None:
        handles.append(Patch(color=WINDOW_COLOUR, label=f"cumulative window {window[0]:%Y-%m}"
                                                    f"..{window[1]:%Y-%m}"))
    _legend_below(fig, handles, ncols=3)
    name = f" {scenario}" if scenario else ""
    fig.suptitle(f"Effect of scenario{name}\nscenario − reference over paired replicates; "
                 "each panel on its own y scale" + states.drawn())
    return fig


def _draw_matrix(ax, matrix: np.ndarray, labels: list[str], cmap=CMAP, norm=ALIGNMENT,
                 fmt=None) -> None:
    n = len(labels)
    ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm)
    fmt = fmt or _signed
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


def draw_heatmaps(traj: pd.DataFrame, states: States, dates: Sequence[pd.Timestamp],
                  out: Path, titles: Sequence[str] | None = None) -> Path:
    return _save(heatmaps_figure(traj, states, dates, titles), out)


@_styled
def heatmaps_figure(traj: pd.DataFrame, states: States, dates: Sequence[pd.Timestamp],
                    titles: Sequence[str] | None = None) -> Figure:
    """The mean alignment matrix at each date (columns) for each variant (rows), and with a
    scenario a last row of scenario minus reference on its own diverging scale."""
    means = traj[traj["stat"] == "mean"]
    variants = _variants(means)
    labels = list(states.codes)
    titles = titles or [f"{date:%Y-%m}" for date in dates]
    difference = variants[:2] == ["reference", "scenario"]
    rows = len(variants) + difference
    side = min(PAGE_WIDTH / (len(dates) + 0.6), max(1.6, 0.3 * len(labels) + 0.7))
    fig = Figure(figsize=(side * len(dates) + 0.8, side * rows), layout="constrained")
    axes = fig.subplots(rows, len(dates), squeeze=False)
    matrices = {(v, d): _matrix(means, v, d, states.codes) for v in variants for d in dates}
    for row, variant in enumerate(variants):
        for col, date in enumerate(dates):
            _draw_matrix(axes[row, col], matrices[(variant, date)], labels)
    fig.colorbar(ScalarMappable(ALIGNMENT, CMAP), ax=axes[:len(variants)], shrink=0.8,
                 label="mean alignment A[row, column]")
    if difference:
        deltas = [matrices[("scenario", d)] - matrices[("reference", d)] for d in dates]
        largest = max(float(np.nanmax(np.abs(m))) for m in deltas) or 1.0
        norm = Normalize(vmin=-largest, vmax=largest)
        digits = max(2, 1 - int(np.floor(np.log10(largest))))
        for col, delta in enumerate(deltas):
            ax = axes[-1, col]
            _draw_matrix(ax, delta, labels, DIFFERENCE_CMAP, norm,
                         lambda v, d=digits: "0" if round(v, d) == 0 else f"{v:+.{d}f}")
        fig.colorbar(ScalarMappable(norm, DIFFERENCE_CMAP), ax=axes[-1], shrink=0.8,
                     label="Δ alignment")
    names = [*variants, *(["scenario − reference"] if difference else [])]
    for row in range(rows):
        for col in range(len(dates)):
            axes[row, col].tick_params(labelleft=col == 0, labelbottom=row == rows - 1)
        axes[row, 0].set_ylabel(f"{names[row]}\nalignment of")
    for col, title in enumerate(titles):
        axes[0, col].set_title(title)
    for ax in axes[-1]:
        ax.set_xlabel("toward")
    fig.suptitle("Mean alignment matrix" + (" and the scenario's effect" if difference else "")
                 + states.drawn())
    return fig


def _draw_network(ax, matrix: np.ndarray, states: States) -> None:
    """States on a circle and both directions of every pair: the arrow i -> j bends to its
    own side and takes the colour and width of A[i, j] (the alignment is directed)."""
    n = len(states.codes)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    xy = np.column_stack([np.cos(angles), np.sin(angles)])
    capability = np.array([states.capability.get(c, 1.0) for c in states.codes])
    sizes = 150 + 650 * capability / capability.max()
    arcs = [(i, j, matrix[i, j]) for i in range(n) for j in range(n)
            if i != j and np.isfinite(matrix[i, j])]
    for i, j, value in sorted(arcs, key=lambda e: abs(e[2])):  # strongest drawn on top
        faint = abs(value) < 0.1  # near white on the colour scale: dotted grey instead
        arrow = FancyArrowPatch(
            xy[i], xy[j], connectionstyle="arc3,rad=0.18", arrowstyle="-|>,head_length=4,"
            "head_width=2.2", mutation_scale=1.0, shrinkA=np.sqrt(sizes[i]) / 2 + 1,
            shrinkB=np.sqrt(sizes[j]) / 2 + 1, lw=0.8 if faint else 0.8 + 2.5 * abs(value),
            ls=":" if faint else "-", color="#aaaaaa" if faint else CMAP(ALIGNMENT(value)),
            zorder=1)
        ax.add_patch(arrow)
        if n <= 6:
            near = xy[i] + 0.3 * (xy[j] - xy[i])  # by its source: labels apart at the centre
            side = np.array([xy[j, 1] - xy[i, 1], xy[i, 0] - xy[j, 0]]) * 0.09
            ax.text(*(near + side), _signed(value), ha="center", va="center",
                    fontsize=5.5, zorder=2,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.8})
    ax.scatter(*xy.T, s=sizes, color="#f7f7f7", edgecolor="#333333", lw=1.0, zorder=3)
    for (x, y), code in zip(xy, states.codes, strict=True):
        ax.text(x, y, code, ha="center", va="center", fontsize=6.5, weight="bold", zorder=4)
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_network(traj: pd.DataFrame, states: States, out: Path, date: pd.Timestamp | None = None,
                 label: str = "") -> Path:
    return _save(network_figure(traj, states, date, label), out)


@_styled
def network_figure(traj: pd.DataFrame, states: States, date: pd.Timestamp | None = None,
                   label: str = "") -> Figure:
    """A network of the states at `date` (default the last), one drawing per variant."""
    means = traj[traj["stat"] == "mean"]
    date = means["date"].max() if date is None else date
    variants = _variants(means)
    fig = Figure(figsize=(min(PAGE_WIDTH, 2.6 * len(variants) + 0.8), 2.9),
                 layout="constrained")
    axes = fig.subplots(1, len(variants), squeeze=False).ravel()
    for ax, variant in zip(axes, variants, strict=True):
        _draw_network(ax, _matrix(means, variant, date, states.codes), states)
        ax.set_title(f"{variant}, {date:%Y-%m}")
    _alignment_colorbar(fig, axes, "mean alignment A[i, j] of the arrow i → j")
    when = f" {label}" if label else ""
    fig.suptitle(f"Alignment network{when}\narrow i → j: i's alignment toward j (its value by "
                 "i); node size: capability; dotted: |A| < 0.1" + states.drawn())
    return fig


def _effect_sizes(samples: pd.DataFrame | None, outputs: list[str]) -> dict[str, str]:
    """'effect median m, 90% of parameter sets in [a, b]' per output of a Sobol study."""
    found = {}
    for output in outputs:
        if samples is not None and output in samples.columns:
            low, mid, high = np.quantile(samples[output], [0.05, 0.5, 0.95])
            found[output] = f"effect {mid:+.2g}, 90% of sets in [{low:+.2g}, {high:+.2g}]"
    return found


@_styled
def draw_sobol(sobol: pd.DataFrame, out: Path, samples: pd.DataFrame | None = None,
               noise_share: dict | None = None) -> Path:
    """First-order (S1) and total (ST) Sobol indices with their confidence whiskers, bounded
    to [0, 1], per output; beside each, the size of the effect they apportion (over the
    parameter sets) and the share of its variance that is replicate noise."""
    outputs = list(dict.fromkeys(sobol["output"]))
    params = list(dict.fromkeys(sobol["param"]))
    sizes = _effect_sizes(samples, outputs)
    width = min(PAGE_WIDTH / 2, max(2.4, 0.3 * len(params) + 1.0))
    fig, axes = _panels(len(outputs), 2, (width, 2.0), sharey=True)
    x = np.arange(len(params))
    for ax, output in zip(axes, outputs, strict=True):
        rows = sobol[sobol["output"] == output].set_index("param").reindex(params)
        for shift, index, colour, label in ((-0.2, "S1", "#4393c3", "S1 (first order)"),
                                            (0.2, "ST", "#d6604d", "ST (total)")):
            value = rows[index].clip(0, 1)
            low = (rows[index] - rows[f"{index}_conf"]).clip(0, 1)
            high = (rows[index] + rows[f"{index}_conf"]).clip(0, 1)
            ax.bar(x + shift, value, 0.4, color=colour, label=label)
            ax.errorbar(x + shift, value, yerr=[value - low, high - value], fmt="none",
                        ecolor="black", elinewidth=0.7, capsize=2)
        ax.set_ylim(0, 1.05)
        ax.set_xticks(x, params, rotation=35, ha="right", rotation_mode="anchor")
        share = (noise_share or {}).get(output)
        notes = [sizes.get(output), None if share is None else f"replicate noise {share:.0%}"]
        ax.set_title("\n".join([output, *(n for n in notes if n)]), loc="left")
    axes[0].set_ylabel("Sobol index")
    _legend_below(fig, axes[0].get_legend_handles_labels()[0]
                  + [Line2D([], [], color="black", lw=0.7, label="confidence interval")])
    fig.suptitle("Sobol sensitivity indices of the effect, clipped to [0, 1]")
    return _save(fig, out)


def _sobol_samples(folder: Path) -> pd.DataFrame | None:
    """The parameter sets of a Sobol study and their effects, when the folder has them."""
    path = folder / "sobol_samples.parquet"
    return _read_parquet(path, ()) if path.is_file() else None


def _summary_month(summary: dict, key: str, where: Path) -> pd.Timestamp | None:
    value = (summary.get("scenario") or {}).get(key)
    return None if value is None else _month(value, where, f"scenario.{key}")


def _window(summary: dict, where: Path) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    window = summary.get("effect_window")
    if not window:
        return None
    return (_month(window["from"], where, "effect_window.from"),
            _month(window["to"], where, "effect_window.to"))


def _peak_date(effects: pd.DataFrame | None) -> pd.Timestamp | None:
    """The date of the largest mean effect on any pair."""
    if effects is None or not (effects["mean"] != 0).any():
        return None
    return effects.loc[effects["mean"].abs().idxmax(), "date"]


def run_trajectories_figure(traj: pd.DataFrame, summary: dict, focus: str,
                            where: Path = Path("summary.json")) -> Figure:
    """The trajectories of a run's focus pairs from its tables (trajectories, summary)."""
    states = _states(summary, traj, where)
    return trajectories_figure(traj, states, focus, _events_used(summary, where),
                               summary.get("replicates"),
                               (summary.get("scenario") or {}).get("history"))


def run_effects_figure(effects: pd.DataFrame, summary: dict, focus: str,
                       where: Path = Path("summary.json")) -> Figure:
    """The effect on a run's reported pairs from its tables (effects, summary)."""
    states = _states(summary, effects, where)
    lever = _summary_month(summary, "lever_date", where) or _summary_month(summary,
                                                                         "first_change", where)
    pairs = _effect_pairs(effects, summary, states.codes, focus)
    touched = [tuple(p) for p in summary.get("effect_pairs_touched") or []]
    return effects_figure(effects, states, pairs, lever, scenario_title(summary.get("scenario")),
                          _window(summary, where), summary.get("effect_interval", ""), touched)


def summary_states(summary: dict, where: Path = Path("summary.json")) -> States:
    """The states of a run's summary.json."""
    return _states(summary, pd.DataFrame(columns=["source", "target"]), where)


def run_figures(run_dir: Path, focus: str) -> list[Path]:
    """The figures a run draws with plot=true (sim.run.run.run's `figures`)."""
    return plot_run(run_dir, focus=focus)


def plot_run(run_dir: Path, fmt: str = "png", focus: str | None = None,
             dates: Sequence[str] | None = None) -> list[Path]:
    """All figures of one run directory into `run_dir/figures/`; returns the files written.

    focus: the state whose pairs are drawn (default PAK if present, else the first
    actor). dates: heatmap dates as 'YYYY-MM', each moved to the nearest step (default:
    with a scenario, its lever date, the peak of its effect and the end; else the start
    and the end).
    """
    run_dir = Path(run_dir)
    fmt = _check_format(fmt, run_dir)
    # Every input is read and checked before the first figure is drawn.
    traj_path = run_dir / "trajectories.parquet"
    traj = _read_parquet(traj_path, TRAJECTORY_COLUMNS)
    if not (traj["stat"] == "mean").any():
        raise InputError(traj_path, "stat", "no rows with stat 'mean'; rewrite the run's tables")
    summary_path = run_dir / "summary.json"
    summary = _read_json(summary_path)
    states = _states(summary, traj, summary_path)
    focus = _focus(states, focus, run_dir)
    states = drawn_states(states, focus, summary)
    if states.of:
        traj = traj[traj["source"].isin(states.codes) & traj["target"].isin(states.codes)]
    _events_used(summary, summary_path)  # checked before the first figure
    _window(summary, summary_path)
    lever = (_summary_month(summary, "lever_date", summary_path)
             or _summary_month(summary, "first_change", summary_path))
    available = pd.DatetimeIndex(sorted(traj["date"].unique()))
    effects_path, sobol_path = run_dir / "effects.parquet", run_dir / "sobol.parquet"
    effects = _read_parquet(effects_path, EFFECT_COLUMNS) if effects_path.is_file() else None
    sobol = _read_parquet(sobol_path, SOBOL_COLUMNS) if sobol_path.is_file() else None
    samples = _sobol_samples(run_dir) if sobol is not None else None
    peak = _peak_date(effects)
    if dates is None:
        named = {"start": available[0], "end": available[-1]}
        if lever is not None and peak is not None:
            named = {"lever": lever, "peak": peak, "end": available[-1]}
        snapped = [_snap_dates(available, [date], run_dir)[0] for date in named.values()]
        dates = list(dict.fromkeys(snapped))  # two named dates may fall on one step
        titles = [" = ".join(name for name, d in zip(named, snapped, strict=True) if d == date)
                  + f" {date:%Y-%m}" for date in dates]
    else:
        dates, titles = _snap_dates(available, dates, run_dir), None

    figures = run_dir / "figures"
    written = [_save(run_trajectories_figure(traj, summary, focus, summary_path),
                     output_file(figures, f"trajectories_{focus}.{fmt}"))]
    if effects is not None:
        written.append(_save(run_effects_figure(effects, summary, focus, summary_path),
                             output_file(figures, f"effects_{focus}.{fmt}")))
    written.append(draw_heatmaps(traj, states, dates, output_file(figures, f"heatmaps.{fmt}"),
                                 titles))
    network_date = _snap_dates(available, [peak], run_dir)[0] if peak is not None else None
    written.append(draw_network(traj, states, output_file(figures, f"network.{fmt}"), network_date,
                                "at the peak of the effect" if peak is not None else ""))
    if sobol is not None:
        noise = (summary.get("sensitivity") or {}).get("noise_share")
        written.append(draw_sobol(sobol, output_file(figures, f"sobol.{fmt}"), samples, noise))
    return written


# ---------------------------------------------------------------- sweep figures


def _sweep_axis(values: pd.Series) -> pd.Series | None:
    """A swept key as numbers or dates, or None when it is neither (a category)."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return numbers
    as_text = values.astype(str).str.strip()
    if as_text.str.match(_DATE).all():
        return pd.to_datetime(as_text)
    return None


def _sweep_states(sweep_dir: Path, table: pd.DataFrame) -> States:
    """State names from the first job's summary.json, else the codes in the table."""
    for job in sorted(table["job"].unique()):
        summary_path = sweep_dir / str(job) / "summary.json"
        if summary_path.is_file():
            return _states(_read_json(summary_path), table, summary_path)
    return _states({}, table, sweep_dir)


def _money(key: str) -> bool:
    """A swept key in US dollars (scenario.amount_usd, params.money_ref_usd, ...)."""
    return key.endswith("usd")


@_styled
def draw_response(done: pd.DataFrame, key: str, pairs: list[tuple[str, str]], states: States,
                  note: str, out: Path, by: str | None = None) -> Path:
    """Effect mean against one swept key, per pair: 12 months after the lever (solid, with its
    p05-p95 band) and at the peak (dashed); one colour per value of the swept key `by`, so
    an interaction between the two keys shows. Money is drawn in $bn on a log axis, ticked at
    the swept values. Each panel has its own y scale.

    Rows sharing the values of `key` and `by` are averaged (mean, p05 and p95 each averaged),
    which averages over every other swept key and the seeds.
    """
    done = done[done["when"].isin(["12m", "peak"])]
    fig, axes = _panels(len(pairs), 2, (PAGE_WIDTH / 2, 1.9), sharex=True)
    cols = ["effect_mean", "effect_p05", "effect_p95"]
    money = _money(key)
    if money:
        done = done.assign(**{key: done[key] / 1e9})
    groups = [by] if by else []
    curves = done.groupby(["source", "target", "when", *groups, key])[cols].mean().sort_index()
    x_values = done[key]
    dated = pd.api.types.is_datetime64_any_dtype(x_values)
    logarithmic = not dated and x_values.min() > 0 and (
        money or x_values.max() / x_values.min() >= 100)
    levels = sorted(done[by].unique()) if by else [None]
    colours = [matplotlib.colormaps["viridis"](k / max(1, len(levels) - 1) * 0.85)
               for k in range(len(levels))] if by else [WHEN_COLOURS["12m"]]
    for ax, (source, target) in zip(axes, pairs, strict=True):
        for level, colour in zip(levels, colours, strict=True):
            for when, style in (("12m", "-"), ("peak", "--")):
                curve = _lookup(curves, (source, target, when, *([level] if by else [])))
                if curve is None:
                    continue
                if when == "12m":
                    ax.fill_between(curve.index, curve["effect_p05"], curve["effect_p95"],
                                    color=colour, alpha=0.12, lw=0)
                    for edge in ("effect_p05", "effect_p95"):  # each band's own edges
                        ax.plot(curve.index, curve[edge], color=colour, lw=0.6, alpha=0.8)
                ax.plot(curve.index, curve["effect_mean"], color=colour, ls=style, marker="o",
                        ms=2.5, lw=1.3)
        ax.axhline(0, color="black", lw=0.7)
        ax.set_title(states.pair(source, target), loc="left")
        if dated:
            _date_axis(ax)
        elif logarithmic:
            ax.set_xscale("log")
            ticks = sorted(x_values.unique())
            ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for ax in axes[::2]:
        ax.set_ylabel("Δ alignment")
    for ax in axes[-2:]:
        ax.set_xlabel(f"{key} ($bn, log scale)" if money else key)
    handles = [Line2D([], [], color="black", ls="-", label="12 months after the lever"),
               Line2D([], [], color="black", ls="--", label="at the peak"),
               Patch(color="grey", alpha=0.3, label="p05–p95 (12 months)")]
    if by:
        handles += [Line2D([], [], color=colour, lw=2, label=f"{by} = {_level(level)}")
                    for level, colour in zip(levels, colours, strict=True)]
    _legend_below(fig, handles, ncols=4)
    split = f", one colour per {by}" if by else ""
    fig.suptitle(f"Scenario effect against {key}{split}; each panel on its own y scale\n{note}")
    return _save(fig, out)


def _level(value) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m}"
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


MAX_LINES = 8  # values of the other swept key drawn as lines; more are averaged over


def _split_key(done: pd.DataFrame, key: str, others: list[str]) -> str | None:
    """The other swept key drawn as one line per value: the first (not the seed) with 2 to
    MAX_LINES values."""
    for other in others:
        if other != "seed" and 2 <= done[other].nunique() <= MAX_LINES:
            return other
    return None


def plot_sweep(sweep_dir: Path, fmt: str = "png", focus: str | None = None) -> list[Path]:
    """Figures of a collected sweep into `sweep_dir/figures/`; returns the files written.

    One response figure per swept key that is numeric or a date ('seed' and
    categorical keys are skipped), with one panel per pair involving `focus`
    (default PAK): each point averages the finished jobs sharing that value, so
    over all other swept keys and seeds. Also Sobol bars when sobol.parquet is there.
    """
    sweep_dir = Path(sweep_dir)
    fmt = _check_format(fmt, sweep_dir)
    path = sweep_dir / "sweep.parquet"
    if not path.is_file():
        raise InputError(sweep_dir, "sweep.parquet",
                         f"not found; run python -m sim.collect {sweep_dir} first")
    table = _read_parquet(path, SWEEP_COLUMNS)
    done = table[table["status"] == "done"]
    if done.empty:
        raise InputError(path, "status", "no job is done; finish the sweep and collect it again")
    states = _sweep_states(sweep_dir, done)
    focus = _focus(states, focus, sweep_dir)
    present = set(zip(done["source"], done["target"], strict=True))
    pairs = [p for p in _focus_pairs(states.codes, focus) if p in present] or sorted(present)
    keys = [c for c in table.columns if c not in SWEEP_FIXED]
    jobs = table.drop_duplicates("job")["status"].value_counts()
    status = ", ".join(f"{count} {name}" for name, count in jobs.items())
    sobol_path = sweep_dir / "sobol.parquet"
    sobol = _read_parquet(sobol_path, SOBOL_COLUMNS) if sobol_path.is_file() else None

    figures = sweep_dir / "figures"
    written = []
    for key in keys:
        axis = None if key == "seed" else _sweep_axis(done[key])
        if axis is None or axis.nunique() < 2:
            continue
        others = [k for k in keys if k != key]
        by = _split_key(done, key, others)
        rest = [k for k in others if k != by]
        note = (f"each point: mean over the jobs with those values (over {', '.join(rest)})"
                if rest else "each point: one job") + f"; jobs: {status}"
        written.append(draw_response(done.assign(**{key: axis}), key, pairs, states, note,
                                     output_file(figures, f"response_{_slug(key)}.{fmt}"), by))
    if sobol is not None:
        written.append(draw_sobol(sobol, output_file(figures, f"sobol.{fmt}"), _sobol_samples(sweep_dir)))
    return written


# ---------------------------------------------------------------- event catalogue


def _read_catalogue(path: Path) -> pd.DataFrame:
    """An event catalogue, checked by the project's loader, each event at the first day of
    the month it acts in (a year-only date in July, as the simulation places it)."""
    events = load_catalogue(path)
    if events.empty:
        raise InputError(path, "rows", "the catalogue has no events; add some")
    events["date"] = pd.to_datetime([f"{month_label(m)}-01" for m in events["month"]])
    events["precision"] = events["date_precision"]
    return events


def _marker_sizes(events: pd.DataFrame) -> np.ndarray:
    """Marker area: grows with log10 of US dollars above $1m; 30 for other units."""
    usd = (events["unit"] == "usd") & (events["magnitude"] > 0)
    dollars = events["magnitude"].where(usd, 1.0).to_numpy(dtype=float)
    return np.where(usd, 20 + 45 * np.clip(np.log10(dollars) - 6, 0, None), 30.0)


def draw_timeline(events: pd.DataFrame, title: str, out: Path) -> Path:
    """One row per directed pair, a marker per event coloured by type, sized by money."""
    pairs = sorted(set(zip(events["source"], events["target"], strict=True)))
    row = {pair: k for k, pair in enumerate(pairs)}
    y = np.array([row[p] for p in zip(events["source"], events["target"], strict=True)])
    sizes = _marker_sizes(events)
    fig = Figure(figsize=(10, max(4.2, 1.4 + 0.32 * len(pairs))), layout="constrained")
    ax = fig.subplots()
    for kind in _type_order(events["type"]):
        colour = _type_colour(kind)
        for approximate in (False, True):
            sel = ((events["type"] == kind) & ((events["precision"] == "year") == approximate))
            sel = sel.to_numpy()
            ax.scatter(events["date"][sel], y[sel], s=sizes[sel], alpha=0.85, zorder=2,
                       facecolors="none" if approximate else colour, edgecolors=colour,
                       lw=1.2 if approximate else 0.4)
    ax.set_yticks(range(len(pairs)), [f"{s} → {t}" for s, t in pairs])
    ax.set_ylim(len(pairs) - 0.5, -0.5)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.grid(axis="x", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    _date_axis(ax)
    handles = [Line2D([], [], ls="", marker="o", ms=7, color=_type_colour(k),
                      label=k.replace("_", " ")) for k in _type_order(events["type"])]
    if (events["precision"] == "year").any():
        handles.append(Line2D([], [], ls="", marker="o", ms=7, mfc="none", color="black",
                              label="year only"))
    fig.legend(handles=handles, loc="outside right upper", fontsize="small", frameon=False,
               title="event type")
    if ((events["unit"] == "usd") & (events["magnitude"] > 0)).any():
        amounts = {"$10m": 1e7, "$1bn": 1e9, "$50bn": 5e10}
        scale = pd.DataFrame({"unit": "usd", "magnitude": list(amounts.values())})
        handles = [Line2D([], [], ls="", marker="o", color="grey", ms=math.sqrt(s), label=label)
                   for label, s in zip(amounts, _marker_sizes(scale), strict=True)]
        fig.legend(handles=handles, loc="outside right lower", fontsize="small", frameon=False,
                   title="amount", labelspacing=1.2)
    ax.set_title(f"Event catalogue {title}: {len(events)} events, {len(pairs)} directed pairs")
    return _save(fig, out)


def plot_catalogue(events_csv: Path, out_dir: Path, fmt: str = "png") -> list[Path]:
    """A timeline of an event catalogue into `out_dir`; returns the files written."""
    events_csv = Path(events_csv)
    fmt = _check_format(fmt, events_csv)
    events = _read_catalogue(events_csv)
    return [draw_timeline(events, events_csv.name, output_file(Path(out_dir), f"event_timeline.{fmt}"))]


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m sim.plot",
                     description="Figures from a run directory, a sweep directory or an "
                                 "event catalogue CSV ('catalogue [CSV]' for seeds/events.csv).")
    parser.add_argument("path", help="run directory, sweep directory, catalogue CSV or "
                                     "'catalogue'")
    parser.add_argument("csv", nargs="?", help="catalogue CSV after 'catalogue'")
    parser.add_argument("--format", default="png", help="png (default), svg or pdf")
    parser.add_argument("--focus", help="state whose pairs are drawn (default PAK)")
    parser.add_argument("--dates", help="heatmap dates of a run, e.g. 2015-01,2018-06")
    parser.add_argument("--out", help=f"figure folder for a catalogue "
                                      f"(default {DEFAULT_CATALOGUE_OUT}/)")
    return parser


def _kind(path: Path) -> str | None:
    """'run', 'sweep' or None for a directory."""
    if (path / "trajectories.parquet").is_file():
        return "run"
    if ((path / "sweep.parquet").is_file() or (path / "multirun.yaml").is_file()
            or any(p.is_dir() and p.name.isdigit() for p in path.iterdir())):
        return "sweep"
    return None


def _only_for(args, kind: str) -> None:
    allowed = {"run": {"focus", "dates"}, "sweep": {"focus"}, "catalogue": {"out"}}[kind]
    for option in ("focus", "dates", "out"):
        if getattr(args, option) is not None and option not in allowed:
            raise InputError(args.path, f"--{option}", f"does not apply to a {kind}; drop it")


def _dispatch(args) -> list[Path]:
    fmt = _check_format(args.format, "--format")
    path = Path(args.path)
    if args.path == "catalogue" and not path.exists():
        _only_for(args, "catalogue")
        return plot_catalogue(Path(args.csv or DEFAULT_CATALOGUE),
                              Path(args.out or DEFAULT_CATALOGUE_OUT), fmt)
    if args.csv is not None:
        raise InputError(args.csv, "PATH", "a second path is only taken after 'catalogue'")
    if not path.exists():
        raise InputError(path, "PATH", "no such file or directory; give a run directory, "
                                       "a sweep directory or an event catalogue CSV")
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise InputError(path, "PATH", "a file must be an event catalogue CSV; give a "
                                           "run or sweep directory otherwise")
        _only_for(args, "catalogue")
        return plot_catalogue(path, Path(args.out or DEFAULT_CATALOGUE_OUT), fmt)
    kind = _kind(path)
    if kind is None:
        raise InputError(path, "PATH", "neither a run directory (trajectories.parquet) nor a "
                                       "sweep directory (sweep.parquet, multirun.yaml or job "
                                       "folders 0/, 1/, ...); give one of those")
    _only_for(args, kind)
    if kind == "run":
        dates = None if args.dates is None else [d for d in args.dates.split(",") if d.strip()]
        return plot_run(path, fmt, focus=args.focus, dates=dates)
    return plot_sweep(path, fmt, focus=args.focus)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        written = _dispatch(_parser().parse_args(argv))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    if not written:
        print("no figures: nothing to draw in this directory", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
