"""Load and validate event catalogues (CSV) into a tidy DataFrame.

Dates may be YYYY-MM-DD, YYYY-MM or YYYY; an event is placed in its month, and an
event known only to the year is placed in July (mid-year), which `date_precision`
records. A magnitude is an amount of US dollars (unit `usd`), a level 1 (routine), 2 (major)
or 3 (landmark) (unit `level`), a number of events or mentions (unit `count`, as the
import of aggregated event data writes), or a SIPRI trend-indicator value in millions (unit
`tiv`, as the import of SIPRI arms transfers writes). Files are UTF-8. Every malformed row
stops with one line naming the file, line and field.
"""

import calendar
import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.dates import month_label
from sim.data.events.measured import background_rows, measured_kinds, measured_rows
from sim.data.eventtypes import EVENT_TYPES, UNITS
from sim.data.files import read_text
from sim.data.skips import InputUse, outside_states
from sim.errors import InputError
from sim.paths import PROJECT_ROOT

REQUIRED_COLUMNS = ("date", "source", "target", "type", "magnitude", "unit", "cameo",
                    "source_doc", "note")
CATALOGUE_COLUMNS = ("id", "date", "date_precision", "source", "target", "type", "magnitude",
                     "unit", "cameo", "source_doc", "note")
PRECISIONS = ("day", "month", "year")  # finest first
LEVELS = (1.0, 2.0, 3.0)  # routine, major, landmark

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_CAMEO = re.compile(r"^\d{2,4}$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a tab is allowed, as in a note
# bounds on a catalogue (README, "Limits"): the largest shipped one has 21,645 rows, and a
# run's catalogues together hold at most MAX_CATALOGUE_ROWS; an id is a name (the shipped
# ones are at most 43 characters), and summary.json lists the id of every event a run uses,
# so these two bound its size (sim.data.files.MAX_SUMMARY_BYTES)
MAX_CATALOGUE_ROWS = 500_000
MAX_FIELD_CHARS = 10_000
MAX_ID_CHARS = 100


def _parse_date(text: str, where: str) -> tuple[int, str]:
    """-> (month index, precision implied by the text)."""
    match = _DATE.match(text.strip())
    if not match:
        raise InputError(where, "date", f"'{text}' is not a date; use YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = match.groups()
    if month is not None and not 1 <= int(month) <= 12:
        raise InputError(where, "date", f"'{text}' has month {month}; months run 01..12")
    if day is not None:
        days = calendar.mdays[int(month)] + (int(month) == 2 and calendar.isleap(int(year)))
        if not 1 <= int(day) <= days:
            raise InputError(where, "date", f"'{text}' has no day {day}: that month has {days} days")
    if month is None:
        return int(year) * 12 + 6, "year"
    return int(year) * 12 + int(month) - 1, "month" if day is None else "day"


def parse_event_row(row: dict, where: str, codes: set[str] | None) -> dict:
    month, implied = _parse_date(row["date"] or "", where)
    precision = (row.get("date_precision") or "").strip() or implied
    if precision not in PRECISIONS:
        raise InputError(where, "date_precision", f"'{precision}' is not one of {PRECISIONS}")
    if PRECISIONS.index(precision) < PRECISIONS.index(implied):
        raise InputError(where, "date_precision", f"'{precision}' is finer than the date "
                         f"'{row['date'].strip()}'; write '{implied}' or give the full date")
    for field in ("source", "target"):
        code = (row[field] or "").strip()
        if codes is not None and code not in codes:
            raise InputError(where, field, f"unknown state '{code}'; known: {', '.join(sorted(codes))}"
                             " (add it to the actors file or fix the code)")
    if row["source"].strip() == row["target"].strip():
        raise InputError(where, "target", "source and target are the same state; an event needs two")
    kind = (row["type"] or "").strip()
    if kind not in EVENT_TYPES:
        raise InputError(where, "type", f"unknown event type '{kind}'; use one of "
                         f"{', '.join(EVENT_TYPES)}")
    try:
        magnitude = float(row["magnitude"])
    except (TypeError, ValueError):
        raise InputError(where, "magnitude", f"'{row['magnitude']}' is not a number") from None
    if not math.isfinite(magnitude) or magnitude <= 0:
        raise InputError(where, "magnitude", f"{row['magnitude']} must be a positive amount "
                         "(a cut or freeze is its own type with a positive amount)")
    unit = (row["unit"] or "").strip()
    if unit not in UNITS:
        raise InputError(where, "unit", f"'{unit}' is not one of {UNITS}")
    if unit == "level" and magnitude not in LEVELS:
        raise InputError(where, "magnitude", f"{row['magnitude']} is not a level; levels are 1 "
                         "(routine), 2 (major) or 3 (landmark); a number of events takes unit "
                         "'count'")
    cameo = (row["cameo"] or "").strip()
    if cameo and not _CAMEO.match(cameo):
        raise InputError(where, "cameo", f"'{cameo}' is not a CAMEO code (2-4 digits) or empty")
    ident = (row.get("id") or "").strip()
    if len(ident) > MAX_ID_CHARS:
        raise InputError(where, "id", f"{len(ident)} characters; an id is a name of at most "
                         f"{MAX_ID_CHARS}")
    return {
        "id": ident,
        "month": month,
        "date": row["date"].strip(),
        "date_precision": precision,
        "source": row["source"].strip(),
        "target": row["target"].strip(),
        "type": kind,
        "magnitude": magnitude,
        "unit": unit,
        "cameo": cameo or EVENT_TYPES[kind][0],
        "source_doc": (row["source_doc"] or "").strip(),
        "note": (row["note"] or "").strip(),
    }


def load_catalogue(path: Path | str, codes: Iterable[str] | None = None,
                   skipped: list | None = None) -> pd.DataFrame:
    """Read one catalogue CSV; `codes` restricts source and target to known states.

    Returns one row per event with the catalogue columns plus `month` (months since year 0).
    With a `skipped` list, a row naming a state outside `codes` is left out (its
    (source, target) appended to the list) instead of stopping the read.
    """
    path = Path(path)
    return parse_catalogue(read_text(path, "data.events / data.extra_events"), path, codes,
                           skipped)


def parse_catalogue(text: str, path: Path, codes: Iterable[str] | None = None,
                    skipped: list | None = None) -> pd.DataFrame:
    """The catalogue in `text` (CSV), as load_catalogue returns it; errors name `path`."""
    known = None if codes is None else set(codes)
    rows = []
    header = None
    for line, fields in csv_records(text, path):
        if header is None:
            header = check_header(fields, path)
            continue
        where = f"{path}:{line}"
        if len(rows) == MAX_CATALOGUE_ROWS:
            raise InputError(where, "rows", f"more than {MAX_CATALOGUE_ROWS} events; split the "
                             "catalogue or aggregate it by month (python -m sim.events import "
                             "--aggregate month)")
        if len(fields) != len(header):
            raise InputError(where, "columns", f"{len(fields)} fields where the header has "
                             f"{len(header)}; quote a field that holds a comma")
        row = dict(zip(header, fields, strict=True))
        if skipped is not None and known is not None and not {
                (row["source"] or "").strip(), (row["target"] or "").strip()} <= known:
            skipped.append(((row["source"] or "").strip(), (row["target"] or "").strip()))
            continue
        rows.append(parse_event_row(row, where, known))
    if header is None:
        check_header([], path)
    frame = pd.DataFrame(rows, columns=["id", "month", *CATALOGUE_COLUMNS[1:]])
    frame["id"] = [ident or f"{path.stem}:{k}" for k, ident in enumerate(frame["id"])]
    return frame


def csv_records(text: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, fields) of each non-empty record of CSV text; one
    line naming the line for a quote left open, a field over MAX_FIELD_CHARS or a field
    holding a control character (a line break in a field is most often a quote left open,
    which would swallow the rows after it)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            reason = str(err)
            fix = ("a quote is left open; close it or remove it" if "end of data" in reason or
                   "expected" in reason else
                   f"a field is longer than {MAX_FIELD_CHARS} characters; shorten it"
                   if "field limit" in reason else f"{reason}; fix the quoting")
            raise InputError(f"{path}:{line}", "csv", fix) from None
        for k, value in enumerate(fields):
            if len(value) > MAX_FIELD_CHARS:
                raise InputError(f"{path}:{line}", f"field {k + 1}", f"{len(value)} characters; "
                                 f"a field holds at most {MAX_FIELD_CHARS}")
            bad = _CONTROL.search(value)
            if bad:
                what = ("a line break (is a quote left open?)" if bad.group() in "\r\n"
                        else f"the control character {bad.group()!r}")
                raise InputError(f"{path}:{line}", f"field {k + 1}", f"holds {what}; remove it")
        if fields:
            yield line, fields
        line = reader.line_num + 1


def check_header(fields: list[str], path: Path) -> list[str]:
    """The header's column names; InputError for a missing, empty or repeated name."""
    header = [name.strip() for name in fields]
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise InputError(path, "columns", f"missing column(s) {', '.join(missing)}; "
                         f"a catalogue needs {', '.join(REQUIRED_COLUMNS)}")
    for k, name in enumerate(header):
        if not name:
            raise InputError(f"{path}:1", "columns", f"column {k + 1} has no name; name it or "
                             "remove it")
        if header.index(name) != k:
            raise InputError(f"{path}:1", "columns", f"'{name}' is named twice (columns "
                             f"{header.index(name) + 1} and {k + 1}); keep one")
    return header


def catalogue_lines(uses: Sequence[InputUse]) -> list[str]:
    """'Events: a.csv 70, b.csv 147' and a notice for each catalogue that skipped rows or
    left some out."""
    lines = ["Events: " + ", ".join(f"{use.path} {use.rows}" for use in uses)]
    notices = (line for use in uses for line in (use.skipped_line(), use.left_out_line()))
    return lines + [line for line in notices if line]


def load_catalogues(paths: Sequence[Path | str], codes: Iterable[str] | None = None,
                    background: Sequence[Path | str] = (),
                    uses: list[InputUse] | None = None,
                    first_shipped: bool = False, measured: Sequence[Path | str] = (),
                    measured_until: int | None = None) -> pd.DataFrame:
    """Several catalogues in order, as one table; ids must be unique across them. The
    `background` catalogues (read after the first path), then the `measured` ones, apply
    only to the states of `codes` they name: their other rows are skipped, not refused; so
    does the first path when `first_shipped` (the project's seed catalogue, which a run on
    another actors file did not choose). The measured catalogues replace the background's
    rows of their kinds through `measured_until` (a month index) and are cut after it
    (sim.data.events.measured). `uses`, when given, receives an InputUse per catalogue
    read, in order."""
    codes = None if codes is None else list(codes)
    paths = list(paths)
    ordered = [(path, first_shipped) for path in paths[:1]] + \
        [(path, True) for path in [*background, *measured]] + [(path, False) for path in paths[1:]]
    frames, found, total = [], [], 0
    for path, lenient in ordered:
        skipped = [] if lenient else None
        frames.append(load_catalogue(path, codes, skipped))
        total += len(frames[-1])
        if total > MAX_CATALOGUE_ROWS:
            raise InputError(path, "rows", f"the catalogues together hold more than "
                             f"{MAX_CATALOGUE_ROWS} events ({total} so far); leave some out or "
                             "aggregate them by month (python -m sim.events import --aggregate "
                             "month)")
        found.append(InputUse(shown_path(path), "events", len(frames[-1]), len(skipped or []),
                              outside_states(skipped or [], codes or ())))
    if measured:
        frames, found = _with_measured(frames, found, len(paths[:1]), len(background),
                                       len(measured), measured_until)
    if uses is not None:
        uses.extend(found)
    frame = pd.concat(frames, ignore_index=True) if frames else load_catalogue_empty()
    duplicated = frame["id"][frame["id"].duplicated()]
    if len(duplicated):
        raise InputError(ordered[-1][0], "id", f"event id '{duplicated.iloc[0]}' appears twice; "
                         "ids must be unique across data.events, data.background and "
                         "data.extra_events")
    return frame.sort_values("month", kind="stable").reset_index(drop=True)


def _with_measured(frames: list[pd.DataFrame], found: list[InputUse], first: int,
                   backgrounds: int, measured: int, until: int | None
                   ) -> tuple[list[pd.DataFrame], list[InputUse]]:
    """The frames and uses of load_catalogues with the measured record spliced in: the
    background's rows of the measured kinds through `until` and the measured rows after it
    left out."""
    if until is None:
        raise ValueError("measured catalogues need the month they run to")
    background = range(first, first + backgrounds)
    of_measured = range(first + backgrounds, first + backgrounds + measured)
    kinds = measured_kinds([frames[k] for k in of_measured])
    frames, found = list(frames), list(found)
    for k in [*background, *of_measured]:
        if k in background:
            keep = background_rows(frames[k], kinds, until)
            reason = f"of the types and sources data.measured holds, dated up to {month_label(until)}"
        else:
            keep = measured_rows(frames[k], until)
            reason = f"dated after {month_label(until)} (data.measured_until)"
        frames[k] = frames[k].loc[keep]
        found[k] = replace(found[k], rows=int(keep.sum()), left_out=int((~keep).sum()),
                           left_out_reason=reason)
    return frames, found


def shown_path(path: Path | str) -> str:
    """The path from the working directory when it lies below it, else from the project
    root for one of the project's files (as the configuration names it), else as given."""
    resolved = Path(path).resolve()
    for base in (Path.cwd(), PROJECT_ROOT):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(path)


def load_catalogue_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "month", *CATALOGUE_COLUMNS[1:]])


def record_counts(catalogue: pd.DataFrame, index: dict[str, int], start: int,
                  window: tuple[int, int], types: Sequence[str]) -> np.ndarray:
    """int64[N, N, len(types)]: the catalogue's events of `types` per source, target and
    type, in steps window[0] .. window[1] - 1 (step t: month start + t)."""
    step = catalogue["month"].to_numpy() - start
    rows = catalogue.loc[(step >= window[0]) & (step < window[1])
                         & catalogue["type"].isin(types).to_numpy()]
    counts = np.zeros((len(index), len(index), len(types)), dtype=np.int64)
    np.add.at(counts, (rows["source"].map(index).to_numpy(), rows["target"].map(index).to_numpy(),
                       rows["type"].map(list(types).index).to_numpy()), 1)
    return counts
