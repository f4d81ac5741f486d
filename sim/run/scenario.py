"""What a scenario does to the event schedule: remove, scale or add events.

`scenario.reference` edits turn the catalogue into the reference schedule; `scenario.edits`
turn the reference into the scenario schedule. Both variants then run on the same random
numbers, so their difference is the scenario's effect.
"""

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from sim.data.dates import month_label, parse_month
from sim.data.events.catalogue import parse_event_row
from sim.errors import InputError

# what describes a scenario and lists its edits; its other fields are settings the edits read
DESCRIPTION_FIELDS = ("name", "description", "history", "lever_date", "reference", "edits")


@dataclass(frozen=True)
class Schedules:
    names: tuple[str, ...]  # ("reference",) or ("reference", "scenario")
    events: tuple[pd.DataFrame, ...]
    first_change: int | None  # month of the earliest event the scenario changes
    history: str  # the variant that replays the catalogue
    edited: frozenset[str] = frozenset()  # ids of the events the edits remove, scale or add
    lever: int | None = None  # month of the scenario's change (scenario.lever_date, else first_change)


def _matches(events: pd.DataFrame, match, where: str) -> np.ndarray:
    mask = np.ones(len(events), dtype=bool)
    if match.id is not None:
        mask &= (events["id"] == match.id).to_numpy()
    if match.type is not None:
        mask &= (events["type"] == match.type).to_numpy()
    if match.date_from is not None:
        mask &= (events["month"] >= parse_month(match.date_from, where, "match.date_from")).to_numpy()
    if match.date_to is not None:
        mask &= (events["month"] <= parse_month(match.date_to, where, "match.date_to")).to_numpy()
    source = np.ones(len(events), dtype=bool) if match.source is None else \
        (events["source"] == match.source).to_numpy()
    target = np.ones(len(events), dtype=bool) if match.target is None else \
        (events["target"] == match.target).to_numpy()
    direct = source & target
    if match.both_directions:
        back_source = np.ones(len(events), dtype=bool) if match.target is None else \
            (events["source"] == match.target).to_numpy()
        back_target = np.ones(len(events), dtype=bool) if match.source is None else \
            (events["target"] == match.source).to_numpy()
        direct |= back_source & back_target
    return mask & direct


def apply_edits(events: pd.DataFrame, edits, codes, where: str
                ) -> tuple[pd.DataFrame, list[int], set[str]]:
    """-> (edited events, months and ids of the events the edits touched)."""
    touched: list[int] = []
    ids: set[str] = set()
    for k, edit in enumerate(edits):
        here = f"{where}[{k}]"
        if edit.action == "add":
            if edit.event is None:
                raise InputError(here, "event", "an 'add' edit needs an event "
                                 "(date, source, target, type, magnitude, unit)")
            spec = edit.event
            row = parse_event_row({"id": f"scenario:{k}", "date": str(spec.date), "source": spec.source,
                              "target": spec.target, "type": spec.type,
                              "magnitude": spec.magnitude, "unit": spec.unit, "cameo": spec.cameo,
                              "source_doc": "scenario", "note": spec.note}, here + ".event",
                             set(codes))
            events = pd.concat([events, pd.DataFrame([row])], ignore_index=True)
            touched.append(row["month"])
            ids.add(row["id"])
            continue
        mask = _matches(events, edit.match, here)
        if not mask.any():
            raise InputError(here, "match", "matches no event in the catalogue; check the id, "
                             "states, type and dates against data.events")
        touched.extend(events.loc[mask, "month"].tolist())
        ids.update(events.loc[mask, "id"].tolist())
        if edit.action == "remove" or edit.factor == 0:
            events = events.loc[~mask]
        else:
            if not np.isfinite(edit.factor) or edit.factor < 0:
                raise InputError(here, "factor", f"{edit.factor} must be a number >= 0")
            events = events.copy()
            events.loc[mask, "magnitude"] = events.loc[mask, "magnitude"] * edit.factor
    return events.sort_values("month", kind="stable").reset_index(drop=True), touched, ids


def build_schedules(catalogue: pd.DataFrame, scenario, codes, where: str | None) -> Schedules:
    """The reference (and scenario) schedules; `where` names the scenario file in errors."""
    if scenario is None:
        return Schedules(("reference",), (catalogue,), None, "reference")
    if scenario.amount_usd is not None and not (np.isfinite(scenario.amount_usd)
                                                and scenario.amount_usd > 0):
        raise InputError(where, "scenario.amount_usd", f"{scenario.amount_usd} must be an amount "
                         "of US dollars > 0")
    reference, _, removed = apply_edits(catalogue, scenario.reference, codes, where + ".reference")
    changed, touched, edited = apply_edits(reference, scenario.edits, codes, where + ".edits")
    first_change = min(touched) if touched else None
    lever = first_change if scenario.lever_date is None else parse_month(
        str(scenario.lever_date), where, "scenario.lever_date")
    return Schedules(("reference", "scenario"), (reference, changed), first_change,
                     scenario.history, frozenset(removed | edited), lever)


def check_scenario(scenario, schedules: Schedules, start: int, end: int) -> None:
    """InputError for a setting the scenario's edits do not read (so it would change
    nothing), or for a scenario whose changes all fall outside start..end (its effect
    would be zero throughout)."""
    if scenario is None:
        return
    raw = OmegaConf.to_container(scenario, resolve=False) if OmegaConf.is_config(scenario) else {}
    settings = [key for key in raw if key not in DESCRIPTION_FIELDS]
    readers = json.dumps({key: value for key, value in raw.items() if key in DESCRIPTION_FIELDS})
    used = [key for key in settings if re.search(r"\$\{[^}]*\b" + re.escape(key) + r"\}", readers)]
    for key in settings:
        if raw[key] is not None and key not in used:
            raise InputError("config", f"scenario.{key}", f"scenario '{scenario.name}' does not "
                             f"use it (its settings: {', '.join(used) or 'none'}); leave it out")
    changed = changed_months(schedules)
    if changed and not any(start <= month < end for month in changed):
        field = "scenario.date" if "date" in used else "scenario"
        raise InputError("config", field, f"the scenario changes only events outside the run "
                         f"{month_label(start)}..{month_label(end)} (in {month_label(changed[0])}"
                         f"{'..' + month_label(changed[-1]) if len(changed) > 1 else ''}); move "
                         "it inside, or widen start and end")


def changed_months(schedules: Schedules) -> list[int]:
    """Months of the events that the scenario's edits remove, scale or add (sorted); the
    reference's own edits change both variants alike."""
    if len(schedules.events) < 2:
        return []
    return sorted({int(month) for events in schedules.events
                   for month in events.loc[events["id"].isin(schedules.edited), "month"]})
