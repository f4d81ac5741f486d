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
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.dates import month_label
from sim.errors import InputError
from sim.events.catalogue import load_catalogue
from sim.eventtypes import DEFAULT_WEIGHTS

FORMATS = ("png", "svg", "pdf")
DPI = 150
DEFAULT_FOCUS = "PAK"
DEFAULT_CATALOGUE = Path("seeds/events.csv")
DEFAULT_CATALOGUE_OUT = Path("outputs/catalogue")

TRAJECTORY_COLUMNS = ("variant", "stat", "date", "source", "target", "value")
EFFECT_COLUMNS = ("date", "source", "target", "mean", "p05", "p95")
SWEEP_COLUMNS = ("job", "status", "source", "target", "when",
                 "effect_mean", "effect_p05", "effect_p95")
SWEEP_FIXED = {*SWEEP_COLUMNS, "date", "date_to", "facts_met"}  # every other column is a swept key
SOBOL_COLUMNS = ("output", "param", "S1", "S1_conf", "ST", "ST_conf")

ALIGNMENT = Normalize(vmin=-1.0, vmax=1.0)
CMAP = matplotlib.colormaps["RdBu"].with_extremes(bad="#e6e6e6")  # red hostile, blue aligned
VARIANT_COLOURS = {"reference": "#333333", "scenario": "#c51b7d"}
WHEN_COLOURS = {"12m": "#1b9e77", "end": "#7570b3"}
OTHER_COLOUR = "#999999"
# Cooperative types in cool colours, conflictual ones in warm colours.
TYPE_COLOURS = {
    "agreement": "#1a9850",
    "aid": "#2166ac",
    "arms_sale": "#35978f",
    "exercise": "#542788",
    "investment": "#66bd63",
    "support": "#8073ac",
    "visit": "#92c5de",
    "hostile_statement": "#fdb863",
    "downgrade": "#e08214",
    "aid_cut": "#b35806",
    "sanctions": "#d73027",
    "incident": "#7f0000",
}
_SAVE_METADATA = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class States:
    """The states of a run, in their configured order."""

    codes: tuple[str, ...]
    names: dict[str, str]
    capability: dict[str, float]

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def pair(self, source: str, target: str) -> str:
        return f"{self.name(source)} → {self.name(target)}"


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
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(path, "file", f"not valid JSON ({err}); rewrite it") from err


def _states(summary: dict, table: pd.DataFrame, where: Path) -> States:
    """States from summary['actors'], else the codes found in the table."""
    actors = summary.get("actors") or [
        {"code": code} for code in dict.fromkeys([*table["source"], *table["target"]])
    ]
    for k, actor in enumerate(actors):
        if not isinstance(actor, dict) or "code" not in actor:
            raise InputError(where, f"actors[{k}].code", "missing; each actor needs a code")
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


def _first_change(summary: dict, where: Path) -> pd.Timestamp | None:
    scenario = summary.get("scenario") or {}
    first = scenario.get("first_change")
    return None if first is None else _month(first, where, "scenario.first_change")


def _events_used(summary: dict, where: Path) -> pd.DataFrame:
    """summary['events_used'] as a table with a parsed `date` and a `variant`."""
    columns = ["date", "source", "target", "type", "variant"]
    events = pd.DataFrame(summary.get("events_used") or [], columns=columns)
    events["variant"] = events["variant"].fillna("reference")
    events["date"] = [_month(d, where, "events_used.date") for d in events["date"]]
    return events


def _variants(table: pd.DataFrame) -> list[str]:
    """Variants present, reference first, then scenario, then any others."""
    present = set(table["variant"])
    known = [v for v in ("reference", "scenario") if v in present]
    return known + sorted(present - set(known))


def _focus_pairs(codes: Sequence[str], focus: str) -> list[tuple[str, str]]:
    """(focus, other), (other, focus) for every other state: one row of panels each."""
    return [pair for other in codes if other != focus
            for pair in ((focus, other), (other, focus))]


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
    """Write the figure to `path` atomically; its suffix gives the format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".{fmt}")
    os.close(fd)
    try:
        with matplotlib.rc_context({"svg.hashsalt": path.name}):  # stable ids in svg
            fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight",
                        metadata=_SAVE_METADATA[fmt])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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


def _event_lines(ax, events: pd.DataFrame) -> None:
    """A vertical line per event: colour by type, dashed when only in the scenario."""
    for event in events.itertuples():
        ax.axvline(event.date, color=_type_colour(event.type), lw=0.9, alpha=0.85, zorder=0,
                   ls="-" if event.variant == "reference" else "--")


def _legend_below(fig: Figure, handles: list) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6),
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
                      out: Path, replicates: int | None = None) -> Path:
    """Alignment over time for each directed pair involving `focus`.

    One panel per pair: the mean with p25-p75 and p05-p95 bands, one colour per
    variant, and a vertical line for each event between the two states.
    """
    frames = _stat_frames(traj)
    variants = _variants(traj)
    pairs = _focus_pairs(states.codes, focus)
    fig, axes = _panels(len(pairs), 2, (5.2, 2.5), sharex=True, sharey=True)
    for ax, (source, target) in zip(axes, pairs, strict=True):
        between = events[events["source"].isin([source, target])
                         & events["target"].isin([source, target])]
        _event_lines(ax, between)
        for variant in variants:
            frame = _lookup(frames, (variant, source, target))
            if frame is not None:
                _bands(ax, frame, VARIANT_COLOURS.get(variant, OTHER_COLOUR), variant)
        ax.axhline(0, color="black", lw=0.5, alpha=0.5)
        ax.set_title(states.pair(source, target), fontsize="medium")
        _date_axis(ax)
    for ax in axes[::2]:
        ax.set_ylabel("alignment")
    handles = [Line2D([], [], color=VARIANT_COLOURS.get(v, OTHER_COLOUR), lw=1.8, label=v)
               for v in variants]
    handles += [Patch(color="grey", alpha=0.45, label="p25–p75"),
                Patch(color="grey", alpha=0.18, label="p05–p95")]
    shown = events[events["source"].isin([focus]) | events["target"].isin([focus])]
    handles += [Line2D([], [], color=_type_colour(k), lw=1.2, label=k.replace("_", " "))
                for k in _type_order(shown["type"])]
    if (shown["variant"] != "reference").any():
        handles.append(Line2D([], [], color="black", lw=1.0, ls="--", label="scenario event"))
    _legend_below(fig, handles)
    over = f" over {replicates} replicates" if replicates else ""
    fig.suptitle(f"Alignment of pairs involving {states.name(focus)}: mean and bands{over}")
    return _save(fig, out)


def draw_effects(effects: pd.DataFrame, states: States, focus: str,
                 first_change: pd.Timestamp | None, out: Path, scenario: str = "") -> Path:
    """Scenario minus reference over time, with its 90% interval, per pair with `focus`."""
    frames = effects.set_index(["source", "target", "date"]).sort_index()
    pairs = _focus_pairs(states.codes, focus)
    colour = VARIANT_COLOURS["scenario"]
    fig, axes = _panels(len(pairs), 2, (5.2, 2.5), sharex=True, sharey=True)
    for ax, (source, target) in zip(axes, pairs, strict=True):
        frame = _lookup(frames, (source, target))
        if frame is not None:
            ax.fill_between(frame.index, frame["p05"], frame["p95"], color=colour, alpha=0.2,
                            lw=0)
            ax.plot(frame.index, frame["mean"], color=colour, lw=1.8)
        ax.axhline(0, color="black", lw=0.8)
        if first_change is not None:
            ax.axvline(first_change, color="black", ls=":", lw=1.2)
        ax.set_title(states.pair(source, target), fontsize="medium")
        _date_axis(ax)
    for ax in axes[::2]:
        ax.set_ylabel("Δ alignment")
    handles = [Line2D([], [], color=colour, lw=1.8, label="mean effect"),
               Patch(color=colour, alpha=0.2, label="p05–p95")]
    if first_change is not None:
        handles.append(Line2D([], [], color="black", ls=":", lw=1.2,
                              label=f"first change {first_change:%Y-%m}"))
    _legend_below(fig, handles)
    name = f" '{scenario}'" if scenario else ""
    fig.suptitle(f"Effect of scenario{name} on pairs involving {states.name(focus)} "
                 "(scenario − reference, paired replicates)")
    return _save(fig, out)


def _draw_matrix(ax, matrix: np.ndarray, labels: list[str]) -> None:
    n = len(labels)
    ax.imshow(np.ma.masked_invalid(matrix), cmap=CMAP, norm=ALIGNMENT)
    if n <= 12:
        size = 8 if n <= 6 else 6
        for (i, j), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                ax.text(j, i, _signed(value), ha="center", va="center", fontsize=size,
                        color="white" if abs(value) > 0.55 else "black")
    ax.set_xticks(range(n), labels, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), labels)
    ax.tick_params(length=0)


def draw_heatmaps(traj: pd.DataFrame, states: States, dates: Sequence[pd.Timestamp],
                  out: Path) -> Path:
    """The mean alignment matrix at each date (columns) for each variant (rows)."""
    means = traj[traj["stat"] == "mean"]
    variants = _variants(means)
    labels = [states.name(c) for c in states.codes]
    side = max(3.0, 0.55 * len(labels) + 1.4)
    fig = Figure(figsize=(side * len(dates) + 1.0, side * len(variants)), layout="constrained")
    axes = fig.subplots(len(variants), len(dates), squeeze=False)
    for row, variant in enumerate(variants):
        for col, date in enumerate(dates):
            ax = axes[row, col]
            _draw_matrix(ax, _matrix(means, variant, date, states.codes), labels)
            ax.set_title(f"{variant}, {date:%Y-%m}", fontsize="medium")
            if col:
                ax.tick_params(labelleft=False)
            if row < len(variants) - 1:
                ax.tick_params(labelbottom=False)
        axes[row, 0].set_ylabel("alignment of")
    for ax in axes[-1]:
        ax.set_xlabel("toward")
    _alignment_colorbar(fig, axes, "mean alignment A[row, column]")
    fig.suptitle("Mean alignment matrix")
    return _save(fig, out)


def _draw_network(ax, matrix: np.ndarray, states: States) -> None:
    """States on a circle, edges coloured by the mean of A[i, j] and A[j, i]."""
    n = len(states.codes)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    xy = np.column_stack([np.cos(angles), np.sin(angles)])
    edges = [(i, j, np.nanmean([matrix[i, j], matrix[j, i]]))
             for i in range(n) for j in range(i + 1, n)
             if np.isfinite(matrix[i, j]) or np.isfinite(matrix[j, i])]
    for i, j, value in sorted(edges, key=lambda e: abs(e[2])):  # strongest drawn on top
        if abs(value) < 0.1:  # near white on the colour scale: drawn dotted grey instead
            ax.plot(*xy[[i, j]].T, color="#aaaaaa", lw=1.0, ls=":", zorder=1)
        else:
            ax.plot(*xy[[i, j]].T, color=CMAP(ALIGNMENT(value)), lw=1.0 + 5.0 * abs(value),
                    solid_capstyle="round", zorder=1)
        if n <= 8:
            ax.text(*xy[[i, j]].mean(axis=0), _signed(value), ha="center", va="center",
                    fontsize=7, zorder=2,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.8})
    capability = np.array([states.capability.get(c, 1.0) for c in states.codes])
    sizes = 300 + 1700 * capability / capability.max()
    ax.scatter(*xy.T, s=sizes, color="#f7f7f7", edgecolor="#333333", lw=1.2, zorder=3)
    for (x, y), code in zip(xy, states.codes, strict=True):
        ax.text(x, y, code, ha="center", va="center", fontsize=8, weight="bold", zorder=4)
        ax.text(1.3 * x, 1.3 * y, states.name(code), fontsize=9, va="center",
                ha="left" if x > 0.2 else "right" if x < -0.2 else "center")
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_network(traj: pd.DataFrame, states: States, out: Path) -> Path:
    """A network of the states at the last date, one drawing per variant."""
    means = traj[traj["stat"] == "mean"]
    end = means["date"].max()
    variants = _variants(means)
    fig = Figure(figsize=(4.6 * len(variants) + 1.0, 4.6), layout="constrained")
    axes = fig.subplots(1, len(variants), squeeze=False).ravel()
    for ax, variant in zip(axes, variants, strict=True):
        _draw_network(ax, _matrix(means, variant, end, states.codes), states)
        ax.set_title(f"{variant}, {end:%Y-%m}", fontsize="medium")
    _alignment_colorbar(fig, axes, "mean of A[i, j] and A[j, i]")
    fig.suptitle("Alignment network (node size: capability; dotted: |value| < 0.1)")
    return _save(fig, out)


def draw_sobol(sobol: pd.DataFrame, out: Path) -> Path:
    """First-order (S1) and total (ST) Sobol indices with confidence whiskers, per output."""
    outputs = list(dict.fromkeys(sobol["output"]))
    params = list(dict.fromkeys(sobol["param"]))
    width = max(3.6, 0.55 * len(params) + 1.6)
    fig, axes = _panels(len(outputs), 3, (width, 3.2), sharey=True)
    x = np.arange(len(params))
    for ax, output in zip(axes, outputs, strict=True):
        rows = sobol[sobol["output"] == output].set_index("param").reindex(params)
        ax.bar(x - 0.2, rows["S1"], 0.4, yerr=rows["S1_conf"], capsize=3, color="#4393c3",
               label="S1 (first order)")
        ax.bar(x + 0.2, rows["ST"], 0.4, yerr=rows["ST_conf"], capsize=3, color="#d6604d",
               label="ST (total)")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks(x, params, rotation=35, ha="right", rotation_mode="anchor")
        ax.set_title(output, fontsize="medium")
    axes[0].set_ylabel("Sobol index")
    _legend_below(fig, axes[0].get_legend_handles_labels()[0])
    fig.suptitle("Sobol sensitivity indices (whiskers: confidence interval)")
    return _save(fig, out)


def plot_run(run_dir: Path, fmt: str = "png", focus: str | None = None,
             dates: Sequence[str] | None = None) -> list[Path]:
    """All figures of one run directory into `run_dir/figures/`; returns the files written.

    focus: the state whose pairs are drawn (default PAK if present, else the first
    actor). dates: heatmap dates as 'YYYY-MM' (default: start, the scenario's first
    change if any, end), each moved to the nearest step.
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
    events = _events_used(summary, summary_path)
    first_change = _first_change(summary, summary_path)
    scenario = (summary.get("scenario") or {}).get("name", "")
    available = pd.DatetimeIndex(sorted(traj["date"].unique()))
    if dates is None:
        dates = [available[0], *([first_change] if first_change is not None else []),
                 available[-1]]
    dates = _snap_dates(available, dates, run_dir)
    effects_path, sobol_path = run_dir / "effects.parquet", run_dir / "sobol.parquet"
    effects = _read_parquet(effects_path, EFFECT_COLUMNS) if effects_path.is_file() else None
    sobol = _read_parquet(sobol_path, SOBOL_COLUMNS) if sobol_path.is_file() else None

    figures = run_dir / "figures"
    written = [draw_trajectories(traj, states, focus, events,
                                 figures / f"trajectories_{focus}.{fmt}",
                                 summary.get("replicates"))]
    if effects is not None:
        written.append(draw_effects(effects, states, focus, first_change,
                                    figures / f"effects_{focus}.{fmt}", scenario))
    written.append(draw_heatmaps(traj, states, dates, figures / f"heatmaps.{fmt}"))
    written.append(draw_network(traj, states, figures / f"network.{fmt}"))
    if sobol is not None:
        written.append(draw_sobol(sobol, figures / f"sobol.{fmt}"))
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


def draw_response(done: pd.DataFrame, key: str, pairs: list[tuple[str, str]], states: States,
                  note: str, out: Path) -> Path:
    """Effect mean (line) and p05-p95 band against one swept key, per pair and horizon.

    Rows sharing a value of `key` are averaged (mean, p05 and p95 each averaged),
    which averages over every other swept key and the seeds.
    """
    fig, axes = _panels(len(pairs), 2, (4.8, 2.8), sharex=True, sharey=True)
    cols = ["effect_mean", "effect_p05", "effect_p95"]
    curves = done.groupby(["source", "target", "when", key])[cols].mean().sort_index()
    x_values = done[key]
    dated = pd.api.types.is_datetime64_any_dtype(x_values)
    logarithmic = not dated and x_values.min() > 0 and x_values.max() / x_values.min() >= 100
    for ax, (source, target) in zip(axes, pairs, strict=True):
        for when in sorted(done["when"].unique()):
            curve = _lookup(curves, (source, target, when))
            if curve is None:
                continue
            colour = WHEN_COLOURS.get(when, OTHER_COLOUR)
            ax.fill_between(curve.index, curve["effect_p05"], curve["effect_p95"],
                            color=colour, alpha=0.2, lw=0)
            ax.plot(curve.index, curve["effect_mean"], color=colour, marker="o", ms=3,
                    lw=1.6, label=f"at {when}")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(states.pair(source, target), fontsize="medium")
        if dated:
            _date_axis(ax)
        elif logarithmic:
            ax.set_xscale("log")
    for ax in axes[::2]:
        ax.set_ylabel("Δ alignment")
    for ax in axes[-2:]:
        ax.set_xlabel(key)
    handles = [Line2D([], [], color=WHEN_COLOURS.get(w, OTHER_COLOUR), marker="o", ms=3,
                      label=f"effect at {w}") for w in sorted(done["when"].unique())]
    handles.append(Patch(color="grey", alpha=0.3, label="p05–p95"))
    _legend_below(fig, handles)
    fig.suptitle(f"Scenario effect against {key}\n{note}", fontsize="medium")
    return _save(fig, out)


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
        note = (f"each point: mean over jobs with that value (over {', '.join(others)})"
                if others else "each point: one value") + f"; jobs: {status}"
        written.append(draw_response(done.assign(**{key: axis}), key, pairs, states, note,
                                     figures / f"response_{_slug(key)}.{fmt}"))
    if sobol is not None:
        written.append(draw_sobol(sobol, figures / f"sobol.{fmt}"))
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
    return [draw_timeline(events, events_csv.name, Path(out_dir) / f"event_timeline.{fmt}")]


# ---------------------------------------------------------------- command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit code 2, as for any other bad input
        raise InputError("python -m sim.plot", "arguments", f"{message}; see --help")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m sim.plot",
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
