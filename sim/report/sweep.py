"""The response figure of a sweep: the effect against one swept key, per pair, one line per
value of a second key.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report.style import (
    PAGE_WIDTH,
    WHEN_COLOURS,
    date_axis,
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


def sweep_states(sweep_dir: Path, table: pd.DataFrame) -> States:
    """State names from the first job's summary.json, else the codes in the table."""
    for job in sorted(table["job"].unique()):
        summary_path = sweep_dir / str(job) / "summary.json"
        if summary_path.is_file():
            return run_states(read_json(summary_path), table, summary_path)
    return run_states({}, table, sweep_dir)


def in_dollars(key: str) -> bool:
    """A swept key in US dollars (scenario.amount_usd, params.money_ref_usd, ...)."""
    return key.endswith("usd")


@styled
def response_figure(done: pd.DataFrame, key: str, pairs: list[tuple[str, str]], states: States,
                    note: str, by: str | None = None) -> Figure:
    """Effect mean against one swept key, per pair: 12 months after the lever (solid, with its
    p05-p95 band) and at the peak (dashed); one colour per value of the swept key `by`, so
    an interaction between the two keys shows. Money is drawn in $bn on a log axis, ticked at
    the swept values. Each panel has its own y scale.

    Rows sharing the values of `key` and `by` are averaged (mean, p05 and p95 each averaged),
    which averages over every other swept key and the seeds.
    """
    done = done[done["when"].isin(["12m", "peak"])]
    fig, axes = panels(len(pairs), 2, (PAGE_WIDTH / 2, 1.9), sharex=True)
    cols = ["effect_mean", "effect_p05", "effect_p95"]
    money = in_dollars(key)
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
                curve = lookup(curves, (source, target, when, *([level] if by else [])))
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
            date_axis(ax)
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
        handles += [Line2D([], [], color=colour, lw=2, label=f"{by} = {level_label(level)}")
                    for level, colour in zip(levels, colours, strict=True)]
    legend_below(fig, handles, ncols=4)
    split = f", one colour per {by}" if by else ""
    fig.suptitle(f"Scenario effect against {key}{split}; each panel on its own y scale\n{note}")
    return fig


def level_label(value) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m}"
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)

MAX_LINES = 8  # values of the other swept key drawn as lines; more are averaged over


def split_key(done: pd.DataFrame, key: str, others: list[str]) -> str | None:
    """The other swept key drawn as one line per value: the first (not the seed) with 2 to
    MAX_LINES values."""
    for other in others:
        if other != "seed" and 2 <= done[other].nunique() <= MAX_LINES:
            return other
    return None
