"""What a figure says of its run in words: a scenario with its settings and what it changes
in the record, which variant is the history and which the counterfactual, and a swept value.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.report.tables import events_used

MAX_EDIT_GROUPS = 2  # kinds of changed events a title names; the rest are counted
MAX_DATES = 3  # dates a title lists for one kind; more are given as a span
TITLE_WIDTH = 90  # characters a line of a scenario's title holds


def in_dollars(key: str) -> bool:
    """A key in US dollars (scenario.amount_usd, params.money_ref_usd, ...)."""
    return key.endswith("usd")


def value_text(key: str, value) -> str:
    """A setting's value as a reader says it: '$2 bn', '2018-01', '0.05', '0'."""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m}"
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    return f"${value / 1e9:g} bn" if in_dollars(key) else f"{value:g}"


def edits_text(events: pd.DataFrame) -> str:
    """'removes 2 arms sale events RUS → PAK (2015-07, 2015-08)': the events one variant has
    and the other lacks (sim.report.tables.events_used), as the scenario's change."""
    clauses, kinds = [], 0
    for variant, verb in (("scenario", "adds"), ("reference", "removes")):
        only = events[events["variant"] == variant]
        parts = []
        for (kind, source, target), group in only.groupby(["type", "source", "target"],
                                                           sort=False):
            kinds += 1
            if kinds > MAX_EDIT_GROUPS:
                continue
            dates = sorted({f"{date:%Y-%m}" for date in group["date"]})
            when = (", ".join(dates) if len(dates) <= MAX_DATES
                    else f"{dates[0]}..{dates[-1]}")
            count = len(group)
            parts.append(f"{count} {kind.replace('_', ' ')} event{'s' if count > 1 else ''} "
                         f"{source} → {target} ({when})")
        if parts:
            clauses.append(f"{verb} " + ", ".join(parts))
    more = kinds - MAX_EDIT_GROUPS
    return "; ".join(clauses) + (f"; and {more} more kind{'s' if more > 1 else ''}"
                                 if more > 0 else "")


def scenario_title(scenario: dict | None, events: pd.DataFrame | None = None) -> str:
    """"'russia_arms' (factor 0): removes 2 arms sale events RUS → PAK (2015-07, 2015-08)":
    a scenario's name, its settings and, given the run's events, what it changes; wrapped to
    lines of TITLE_WIDTH characters, so that a title does not outgrow its figure."""
    if not scenario:
        return ""
    settings = ", ".join(f"{key} {value_text(key, value)}"
                         for key, value in (scenario.get("settings") or {}).items())
    changes = edits_text(events) if events is not None else ""
    return textwrap.fill(f"'{scenario['name']}'" + (f" ({settings})" if settings else "")
                         + (f": {changes}" if changes else ""), TITLE_WIDTH)


def variant_role(variant: str, history: str | None, variants: Sequence[str]) -> str:
    """'the history' for the variant that replays the record (the lever in it), 'the
    counterfactual' for the other, '' when the run does not say or has one variant."""
    if history not in variants or len(variants) < 2:
        return ""
    return "the history" if variant == history else "the counterfactual"


def variant_label(variant: str, history: str | None, variants: Sequence[str]) -> str:
    """A variant as a legend names it: 'scenario: the history (the record, with the lever)'."""
    role = variant_role(variant, history, variants)
    if role == "the history":
        return f"{variant}: the history (the record, with the lever)"
    return f"{variant}: {role}" if role else variant


def difference_label(history: str | None) -> str:
    """'scenario (the history) − reference (the counterfactual)': what an effect subtracts."""
    variants = ("scenario", "reference")
    roles = [variant_role(v, history, variants) for v in variants]
    return " − ".join(f"{v} ({role})" if role else v for v, role in zip(variants, roles,
                                                                         strict=True))


def run_captions(summary: dict, where: Path) -> tuple[str | None, str]:
    """(the variant that replays the record, the scenario's title) of a run's summary, for the
    figures that name both (heatmaps, network)."""
    scenario = summary.get("scenario")
    return (scenario or {}).get("history"), scenario_title(scenario, events_used(summary, where))
