"""The ICEWS counts table: state-level events per directed pair, month and CAMEO root.

Columns (`COUNT_COLUMNS`): source, target (ISO3), month (YYYY-MM), series (`all` or
`collective`, see `sim.data.measured.icews_events`), root (two-digit CAMEO root), quad
(CAMEO quad class: 1 verbal cooperation 01-05, 2 material cooperation 06-09, 3 verbal
conflict 10-14, 4 material conflict 15-20), count (state-level events), goldstein_sum (the
Goldstein weight of each event's CAMEO code, summed). Only nonzero rows are written; a
path ending in .gz is gzip-compressed. Beside it go a coverage table per year
(`COVERAGE_COLUMNS`) and the resolved facts and events per directed pair and year of the
states asked for (`PAIR_COLUMNS`).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from sim.data.files import atomic_write
from sim.data.measured.icews import Outcome
from sim.data.measured.icews_events import SERIES, Resolution
from sim.errors import InputError

COUNT_COLUMNS = ("source", "target", "month", "series", "root", "quad", "count", "goldstein_sum")
COVERAGE_COLUMNS = ("year", "facts", "exact_duplicates", "both_state", "share_both_state",
                    "interstate", "share_interstate", "no_country", "not_governmental",
                    "out_of_office", "events", "collapsed")
PAIR_COLUMNS = ("source", "target", "year", "facts", "events", "collective_events")


def quad_class(root: str) -> int:
    """CAMEO quad class of a two-digit root."""
    number = int(root)
    return 1 if number <= 5 else 2 if number <= 9 else 3 if number <= 14 else 4


def count_rows(resolution: Resolution, goldstein: dict[str, float]) -> list[dict]:
    """Rows of the counts table, sorted by source, target, month, series, root."""
    counts: Counter = Counter()
    sums: Counter = Counter()
    for series in SERIES:
        for event in resolution.series(series):
            key = (event.source, event.target, f"{event.day.year:04d}-{event.day.month:02d}",
                   series, event.code[:2])
            counts[key] += 1
            sums[key] += goldstein[event.code]
    return [dict(zip(COUNT_COLUMNS, (*key[:5], quad_class(key[4]), counts[key],
                                     round(sums[key], 4)), strict=True))
            for key in sorted(counts)]


def coverage_rows(resolution: Resolution) -> list[dict]:
    """One row per year: facts, how many map to states on both sides, why the rest do
    not (a fact can fail on both sides for different reasons), and the dedup."""
    events = Counter(event.day.year for event in resolution.events)
    rows = []
    for year in sorted(resolution.facts):
        facts = resolution.facts[year]
        both = resolution.resolved[year] + resolution.same_state[year]
        rows.append({
            "year": year, "facts": facts, "exact_duplicates": resolution.exact_duplicates[year],
            "both_state": both, "share_both_state": round(both / facts, 4),
            "interstate": resolution.resolved[year],
            "share_interstate": round(resolution.resolved[year] / facts, 4),
            "no_country": resolution.unresolved[year, Outcome.NO_COUNTRY],
            "not_governmental": resolution.unresolved[year, Outcome.NOT_GOVERNMENT],
            "out_of_office": resolution.unresolved[year, Outcome.OUT_OF_OFFICE],
            "events": events[year], "collapsed": resolution.collapsed(year)})
    return rows


def pair_rows(resolution: Resolution, states: Sequence[str]) -> list[dict]:
    """Resolved facts and state-level events (all, collective) per directed pair of
    `states` and year, zeros included."""
    events: Counter = Counter()
    collective: Counter = Counter()
    for event, witness in resolution.events.items():
        events[event.source, event.target, event.day.year] += 1
        collective[event.source, event.target, event.day.year] += witness.collective
    years = sorted(resolution.facts)
    return [{"source": s, "target": t, "year": y, "facts": resolution.pair_facts[s, t, y],
             "events": events[s, t, y], "collective_events": collective[s, t, y]}
            for s in states for t in states if s != t for y in years]


def write_table(rows: Iterable[dict], columns: Sequence[str], out: Path | str) -> Path:
    """Write rows as CSV to `out` atomically; gzip when `out` ends in .gz."""
    out = Path(out)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = text.getvalue().encode("utf-8")
    if out.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    atomic_write(out, lambda temp: temp.write_bytes(data))
    return out


def load_icews_counts(path: Path | str) -> pd.DataFrame:
    """The counts table (.csv or .csv.gz) as a DataFrame with `COUNT_COLUMNS`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "path", "no such file; rebuild it with "
                         "`python -m sim.events icews-counts` (see data/measured/ICEWS.md)")
    try:
        frame = pd.read_csv(path, dtype={"month": str, "root": str, "series": str},
                            compression="gzip" if path.suffix == ".gz" else None)
    except (OSError, EOFError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(path, "path", f"not a readable counts table ({exc})") from None
    missing = [name for name in COUNT_COLUMNS if name not in frame.columns]
    if missing:
        raise InputError(path, "columns", f"missing {', '.join(missing)}; expected "
                         f"{', '.join(COUNT_COLUMNS)}")
    return frame[list(COUNT_COLUMNS)]
