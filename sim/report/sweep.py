"""The response figure of a sweep: the effect against one swept key, per pair, one line per
value of a second key.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.report.captions import in_dollars, value_text
from sim.report.style import (
    PAGE_WIDTH,
    WHEN_COLOURS,
    legend_below,
    panels,
    styled,
)
from sim.report.tables import (
    DATE,
    States,
    lookup,
    read_json,
    run_states,
)


def sweep_axis(values: pd.Series) -> pd.Series | None:
    """A swept key as numbers or dates, or None when it is neither (a category)."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return numbers
    as_text = values.astype(str).str.strip()
    if as_text.str.match(DATE).all():
        return pd.to_datetime(as_text)
    return None


def first_summary(sweep_dir: Path, table: pd.DataFrame) -> tuple[dict, Path]:
    """The first job's summary.json and its path, else {} and the sweep's directory."""
    for job in sorted(table["job"].unique()):
        summary_path = sweep_dir / str(job) / "summary.json"
        if summary_path.is_file():
            return read_json(summary_path), summary_path
    return {}, sweep_dir


def sweep_states(sweep_dir: Path, table: pd.DataFrame) -> States:
    """State names from the first job's summary.json, else the codes in the table."""
    summary, where = first_summary(sweep_dir, table)
    return run_states(summary, table, where)


DODGE = 0.5  # of the narrowest gap between swept values: the width the colours spread over


def positions(values: pd.Series, money: bool) -> tuple[pd.Series, bool]:
    """Where swept values sit on a linear axis: dates as day numbers, money and values
    spanning two decades or more as log10 (so their ticks are the values, not powers of
    ten); and whether that axis is logarithmic."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(mdates.date2num(values), index=values.index), False
    logarithmic = bool(values.min() > 0 and (money or values.max() / values.min() >= 100))
    return (np.log10(values) if logarithmic else values.astype(float)), logarithmic


@styled
def response_figure(done: pd.DataFrame, key: str, pairs: list[tuple[str, str]], states: States,
                    note: str, by: str | None = None, scenario: str = "") -> Figure:
    """Effect against one swept key, per pair: the mean 12 months after the lever (solid, filled
    dots, a whisker from p05 to p95 of the replicates) and at the peak (dashed, open dots);
    one colour per value of the swept key `by`, each colour set a little aside so that the
    whiskers stand apart and an interaction between the two keys shows. The x ticks are the
    swept values (money in $bn on a log axis, dates as YYYY-MM). Each panel has its own y
    scale.

    Rows sharing the values of `key` and `by` are averaged (mean, p05 and p95 each averaged),
    which averages over every other swept key and the seeds. scenario: its name, for the title.
    """
    done = done[done["when"].isin(["12m", "peak"])]
    fig, axes = panels(len(pairs), 2, (PAGE_WIDTH / 2, 1.9), sharex=True)
    cols = ["effect_mean", "effect_p05", "effect_p95"]
    where, logarithmic = positions(done[key], in_dollars(key))
    done = done.assign(_x=where)
    groups = [by] if by else []
    curves = done.groupby(["source", "target", "when", *groups, "_x"])[cols].mean().sort_index()
    ticks = done.drop_duplicates("_x").sort_values("_x")
    gap = float(np.diff(ticks["_x"]).min()) if len(ticks) > 1 else 1.0
    levels = sorted(done[by].unique()) if by else [None]
    colours = [matplotlib.colormaps["viridis"](k / max(1, len(levels) - 1) * 0.85)
               for k in range(len(levels))] if by else [WHEN_COLOURS["12m"]]
    step = DODGE * gap / len(levels)
    for ax, (source, target) in zip(axes, pairs, strict=True):
        for k, (level, colour) in enumerate(zip(levels, colours, strict=True)):
            aside = (k - (len(levels) - 1) / 2) * step
            for when, style, face in (("12m", "-", colour), ("peak", "--", "white")):
                curve = lookup(curves, (source, target, when, *([level] if by else [])))
                if curve is None:
                    continue
                x = curve.index + aside
                if when == "12m":
                    ax.vlines(x, curve["effect_p05"], curve["effect_p95"], color=colour,
                              lw=0.9, alpha=0.75)
                ax.plot(x, curve["effect_mean"], color=colour, ls=style, lw=1.2, marker="o",
                        ms=3.2, mfc=face, mec=colour, zorder=3)
        ax.axhline(0, color="black", lw=0.7)
        ax.set_title(states.pair(source, target), loc="left")
        ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks["_x"].to_numpy()))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FixedFormatter(
            [value_text(key, v) for v in ticks[key]]))
        ax.set_xlim(ticks["_x"].min() - gap / 2, ticks["_x"].max() + gap / 2)
    for ax in axes[::2]:
        ax.set_ylabel("Δ alignment")
    unit = " (log scale)" if logarithmic else ""
    for ax in axes[-2:]:
        ax.set_xlabel(key + unit)
    handles = [Line2D([], [], color="black", ls="-", marker="o", ms=3.2,
                      label="mean 12 months after the lever"),
               Line2D([], [], color="black", ls="", marker="|", ms=9, mew=0.9,
                      label="p05–p95 of the replicates, 12 months after"),
               Line2D([], [], color="black", ls="--", marker="o", ms=3.2, mfc="white",
                      label="mean at the peak")]
    if by:
        handles += [Line2D([], [], color=colour, lw=2, label=f"{by} = {value_text(by, level)}")
                    for level, colour in zip(levels, colours, strict=True)]
    legend_below(fig, handles, ncols=3)
    split = f", one colour per {by}" if by else ""
    named = f" {scenario}" if scenario else ""
    fig.suptitle(f"Effect of scenario{named} against {key}{split}\n{note}; each panel on its "
                 "own y scale")
    return fig


MAX_LINES = 8  # values of the other swept key drawn as lines; more are averaged over


def split_key(done: pd.DataFrame, key: str, others: list[str]) -> str | None:
    """The other swept key drawn as one line per value: the first (not the seed) with 2 to
    MAX_LINES values."""
    for other in others:
        if other != "seed" and 2 <= done[other].nunique() <= MAX_LINES:
            return other
    return None
