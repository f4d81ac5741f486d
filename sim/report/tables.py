"""A run's or a sweep's tables as the figures read them: each file checked on reading (one
line for a fault, sim.errors.InputError), the states and their names, the focus state's
pairs, the few states drawn of a large world, and mean matrices at a date.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.data.files import MAX_SUMMARY_BYTES, read_text
from sim.data.schemas import check_state_code
from sim.errors import InputError
from sim.run.memory import memory_limit

DEFAULT_FOCUS = "PAK"
MAX_DRAWN_STATES = 9  # the focus and 8 others: 16 pair panels, a readable matrix and network
TRAJECTORY_COLUMNS = ("variant", "stat", "date", "source", "target", "value")
EFFECT_COLUMNS = ("date", "source", "target", "mean", "p05", "p95")
SWEEP_COLUMNS = ("job", "status", "source", "target", "when",
                 "effect_mean", "effect_p05", "effect_p95")
# every other column is a swept key (effect_median, effect_moved, effect_threshold: sweeps
# gathered since)
SWEEP_FIXED = {*SWEEP_COLUMNS, "date", "date_to", "effect_median", "effect_moved",
               "effect_threshold", "facts_met"}
SOBOL_COLUMNS = ("output", "param", "S1", "S1_conf", "ST", "ST_conf")
# the columns of a run's tables that hold a finite number on every row (a NaN or an
# infinity there is a damaged or crafted table: drawn, it sized a figure past any memory)
FINITE_COLUMNS = {"value", "mean", "p05", "p95"}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


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


BYTES_PER_VALUE = 16  # a value once read: 8 for a number, more for text held as categories


def check_table_size(path: Path, limit: int | None) -> None:
    """Refuse a Parquet table whose values (rows x columns, as its footer states) would take
    more than half of `limit` bytes of memory once read: it is read whole, and a small file
    can hold a table of any size (a column of one repeated value compresses to nothing)."""
    try:
        meta = pq.read_metadata(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise InputError(path, "file", f"cannot be read as Parquet ({err}); rewrite it") from err
    size = meta.num_rows * meta.num_columns * BYTES_PER_VALUE
    if limit is not None and size > limit // 2:
        raise InputError(path, "file", f"holds {meta.num_rows:,} rows of {meta.num_columns} "
                         f"columns, about {size / 2**30:.1f} GiB once read, more than half of "
                         f"the {limit / 2**30:.1f} GiB of memory here; plot a smaller run")


def read_parquet(path: Path, required: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(path, "file", "not found; check the path")
    check_table_size(path, memory_limit())
    try:
        table = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise InputError(path, "file", f"cannot be read as Parquet ({err}); rewrite it") from err
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise InputError(path, f"column '{missing[0]}'",
                         "missing; the table needs columns " + ", ".join(required))
    for column in FINITE_COLUMNS.intersection(required):
        values = pd.to_numeric(table[column], errors="coerce").astype(float)
        bad = np.flatnonzero(~np.isfinite(values.to_numpy()))
        if bad.size:
            raise InputError(path, f"column '{column}'", f"row {bad[0]}: "
                             f"'{table[column].iloc[bad[0]]}' is not a finite number; "
                             "the table is damaged: run again")
        table[column] = values
    if "date" in table.columns:
        try:
            table["date"] = pd.to_datetime(table["date"])
        except (ValueError, TypeError) as err:
            raise InputError(path, "column 'date'", f"not dates ({err}); write "
                             "datetime64 values, first of the month") from err
    return table


def read_json(path: Path) -> dict:
    """A run's summary.json, or {} when there is none (figures then use state codes)."""
    if not path.is_file():
        return {}
    try:
        return json.loads(read_text(path, "the run directory", MAX_SUMMARY_BYTES))
    except json.JSONDecodeError as err:
        raise InputError(path, "file", f"not valid JSON ({err}); rewrite it") from err


def run_states(summary: dict, table: pd.DataFrame, where: Path) -> States:
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


def pick_focus(states: States, focus: str | None, where: Path | str) -> str:
    if focus is None:
        return DEFAULT_FOCUS if DEFAULT_FOCUS in states.codes else states.codes[0]
    if focus not in states.codes:
        raise InputError(where, "focus", f"'{focus}' is not a state here; use one of "
                         + ", ".join(states.codes))
    return focus


def month(value, where: str | Path, field: str) -> pd.Timestamp:
    """'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' (or a date) -> Timestamp."""
    if isinstance(value, datetime.date | np.datetime64):
        return pd.Timestamp(value)
    value = str(value)
    if not DATE.match(value.strip()):
        raise InputError(where, field, f"'{value}' is not a date; write YYYY-MM, e.g. 2018-01")
    try:
        return pd.Timestamp(value.strip())
    except ValueError as err:
        raise InputError(where, field, f"'{value}' is not a date; write YYYY-MM") from err


def events_used(summary: dict, where: Path) -> pd.DataFrame:
    """summary['events_used'] as one row per event, with a parsed `date` and `variant`:
    'both' for an event of every variant of the run, else the variant that alone has it
    ('reference': an event the scenario removes; 'scenario': one it adds)."""
    columns = ["id", "date", "source", "target", "type", "variant"]
    events = pd.DataFrame(summary.get("events_used") or [], columns=columns)
    events["variant"] = events["variant"].fillna("reference")
    events["id"] = [f"row{k}" if pd.isna(v) else str(v) for k, v in enumerate(events["id"])]
    events["date"] = [month(d, where, "events_used.date") for d in events["date"]]
    n_variants = events["variant"].nunique()
    key = ["id", "date", "source", "target", "type"]
    merged = events.groupby(key, sort=False)["variant"].agg(
        lambda v: "both" if v.nunique() == n_variants else v.iloc[0]).reset_index()
    return merged.sort_values("date", kind="stable").reset_index(drop=True)


def variants_of(table: pd.DataFrame) -> list[str]:
    """Variants present, reference first, then scenario, then any others."""
    present = set(table["variant"])
    known = [v for v in ("reference", "scenario") if v in present]
    return known + sorted(present - set(known))


def focus_pairs(codes: Sequence[str], focus: str) -> list[tuple[str, str]]:
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


def stat_frames(traj: pd.DataFrame) -> pd.DataFrame:
    """One row per (variant, source, target, date), one column per stat."""
    return traj.pivot_table(index=["variant", "source", "target", "date"], columns="stat",
                            values="value", aggfunc="mean").sort_index()


def lookup(frame: pd.DataFrame, key: tuple) -> pd.DataFrame | None:
    try:
        return frame.loc[key]
    except KeyError:
        return None


def mean_matrix(means: pd.DataFrame, variant: str, date: pd.Timestamp, codes) -> np.ndarray:
    """The mean alignment matrix A[source, target] of one variant at one date."""
    rows = means[(means["variant"] == variant) & (means["date"] == date)]
    matrix = rows.pivot_table(index="source", columns="target", values="value")
    matrix = matrix.reindex(index=list(codes), columns=list(codes))
    matrix = matrix.to_numpy(dtype=float, copy=True)  # writable, for the diagonal
    np.fill_diagonal(matrix, np.nan)
    return matrix


def snap_dates(available: pd.DatetimeIndex, wanted, where: Path) -> list[pd.Timestamp]:
    """Each wanted date moved to the nearest date in the table (duplicates dropped)."""
    first, last = available[0], available[-1]
    slack = pd.Timedelta(days=31)
    snapped = []
    for value in wanted:
        date = month(value, where, "dates")
        if not first - slack <= date <= last + slack:
            raise InputError(where, "dates", f"{date:%Y-%m} is outside the run "
                             f"({first:%Y-%m} to {last:%Y-%m}); choose dates inside it")
        snapped.append(available[available.get_indexer([date], method="nearest")[0]])
    return list(dict.fromkeys(snapped))


def summary_states(summary: dict, where: Path = Path("summary.json")) -> States:
    """The states of a run's summary.json."""
    return run_states(summary, pd.DataFrame(columns=["source", "target"]), where)


def summary_month(summary: dict, key: str, where: Path) -> pd.Timestamp | None:
    value = (summary.get("scenario") or {}).get(key)
    return None if value is None else month(value, where, f"scenario.{key}")


def effect_window(summary: dict, where: Path) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    window = summary.get("effect_window")
    if not window:
        return None
    return (month(window["from"], where, "effect_window.from"),
            month(window["to"], where, "effect_window.to"))


def peak_date(effects: pd.DataFrame | None) -> pd.Timestamp | None:
    """The date of the largest mean effect on any pair."""
    if effects is None or not (effects["mean"] != 0).any():
        return None
    return effects.loc[effects["mean"].abs().idxmax(), "date"]


def sobol_samples(folder: Path) -> pd.DataFrame | None:
    """The parameter sets of a Sobol study and their effects, when the folder has them."""
    path = folder / "sobol_samples.parquet"
    return read_parquet(path, ()) if path.is_file() else None
