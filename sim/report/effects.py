"""The effect figure: scenario minus reference over time with its interval, one panel per
pair, each on its own scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report.captions import difference_label, scenario_title
from sim.report.style import (
    PAGE_WIDTH,
    VARIANT_COLOURS,
    WINDOW_COLOUR,
    date_axis,
    legend_below,
    panels,
    styled,
    tint,
)
from sim.report.tables import (
    States,
    effect_window,
    events_used,
    focus_pairs,
    lookup,
    run_states,
    summary_month,
)

NEGLIGIBLE = 0.001  # peak effects below this are called negligible in their panel's title


def effect_pairs(effects: pd.DataFrame, summary: dict, codes, focus: str) -> list[tuple]:
    """The pairs an edited event joins, then the focus state's, largest peak effect first."""
    touched = [tuple(p) for p in summary.get("effect_pairs_touched") or []]
    pairs = list(dict.fromkeys([*touched, *focus_pairs(codes, focus)]))
    size = effects.groupby(["source", "target"])["mean"].agg(lambda x: x.abs().max())
    return sorted(pairs, key=lambda p: -size.get(p, 0.0))


def scale(values: np.ndarray) -> tuple[float, str]:
    """(factor, unit) so that the largest value shows between 1 and 10 in that unit when it
    is below 0.01, else (1, '')."""
    largest = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    if largest == 0 or largest >= 0.01:
        return 1.0, ""
    power = int(np.floor(np.log10(largest)))
    return 10.0 ** -power, f"10$^{{{power}}}$"


@styled
def effects_figure(effects: pd.DataFrame, states: States, pairs: list[tuple[str, str]],
                   lever: pd.Timestamp | None, scenario: str = "",
                   window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                   interval: str = "", touched: Sequence[tuple[str, str]] = (),
                   history: str | None = None) -> Figure:
    """Scenario minus reference over time with its 90% interval, one panel per pair.

    Each panel has its own y scale (noted in its title, with the peak) and the same zero
    line; the x axis starts a year before the change, the lever date is a dotted line and
    the window of the cumulative effect is shaded. history: the variant that replays the
    record, named in the title beside the counterfactual.
    """
    frames = effects.set_index(["source", "target", "date"]).sort_index()
    colour = VARIANT_COLOURS["scenario"]
    band = tint(colour, 0.3)  # opaque: the window's shade behind it does not tint it
    changed = effects.loc[effects["mean"] != 0, "date"]
    begin = min([*([lever] if lever is not None else []), *([changed.min()] if len(changed) else
                                                             [])], default=effects["date"].min())
    begin = max(effects["date"].min(), begin - pd.DateOffset(months=12))
    fig, axes = panels(len(pairs), 2, (PAGE_WIDTH / 2, 1.5), sharex=True)
    for ax, (source, target) in zip(axes, pairs, strict=True):
        frame = lookup(frames, (source, target))
        if frame is None:
            ax.set_visible(False)
            continue
        frame = frame[frame.index >= begin]
        factor, note = scale(frame[["mean", "p05", "p95"]].to_numpy())
        edited = " (edited)" if (source, target) in touched else ""
        low, high = frame["p05"] * factor, frame["p95"] * factor
        ax.fill_between(frame.index, low, high, color=band, lw=0, zorder=1)
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
        date_axis(ax)
    for ax in axes[::2]:
        ax.set_ylabel("Δ alignment")
    handles = [Line2D([], [], color=colour, lw=1.4, label="mean effect"),
               Patch(color=band, label="90% interval" + (f" ({interval})"
                                                                      if interval else "")),
               Line2D([], [], ls="", marker="o", ms=3, color="black", label="peak")]
    if lever is not None:
        handles.append(Line2D([], [], color="black", ls=":", lw=1.0,
                              label=f"lever {lever:%Y-%m}"))
    if window is not None:
        handles.append(Patch(color=WINDOW_COLOUR, label=f"cumulative window {window[0]:%Y-%m}"
                                                    f"..{window[1]:%Y-%m}"))
    legend_below(fig, handles, ncols=3)
    name = f" {scenario}" if scenario else ""
    fig.suptitle(f"Effect of scenario{name}\n{difference_label(history)} over paired "
                 "replicates; each panel on its own y scale" + states.drawn())
    return fig


def run_effects_figure(effects: pd.DataFrame, summary: dict, focus: str,
                       where: Path = Path("summary.json")) -> Figure:
    """The effect on a run's reported pairs from its tables (effects, summary)."""
    states = run_states(summary, effects, where)
    lever = summary_month(summary, "lever_date", where) or summary_month(summary,
                                                                         "first_change", where)
    pairs = effect_pairs(effects, summary, states.codes, focus)
    touched = [tuple(p) for p in summary.get("effect_pairs_touched") or []]
    scenario = summary.get("scenario")
    return effects_figure(effects, states, pairs, lever,
                          scenario_title(scenario, events_used(summary, where)),
                          effect_window(summary, where), summary.get("effect_interval", ""),
                          touched, (scenario or {}).get("history"))
