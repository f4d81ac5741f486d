"""`python -m sim.events import --format sipri|usaid`: the measured tables as events of the
record, every state the source holds unless states are given."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.data.events.cameo import write_catalogue
from sim.data.measured.sipri import arms_events, tiv_table
from sim.data.measured.usaid import aid_events, aid_table
from sim.errors import InputError

MEASURED_FORMATS = ("sipri", "usaid")


def import_measured(paths: Sequence[Path | str], fmt: str, out: Path | str,
                    states: Sequence[str] | None = None) -> list[str]:
    """Write the catalogue of `fmt` from its source files to `out`, keeping the events
    between `states` (None: all); returns the lines to print."""
    if fmt == "sipri":
        result = tiv_table(paths)
        rows = arms_events(result.table)
        read = f"read {sum(result.rows_read.values())} dyad-years from {len(paths)} file(s)"
        unit = "TIV"
    else:
        if len(paths) != 1:
            raise InputError("--format usaid", "FILE", f"{len(paths)} files given; the USAID "
                             "country summary is one file")
        result = aid_table(paths[0])
        rows = aid_events(result.table)
        read = f"read {result.rows_read} rows from {paths[0]}"
        unit = "constant US$"
    if states:
        scope = set(states)
        rows = [row for row in rows if row["source"] in scope and row["target"] in scope]
    write_catalogue(rows, out)
    kinds = Counter(row["type"] for row in rows)
    return [read, f"states: {', '.join(states) if states else 'every state the source holds'}",
            f"wrote {len(rows)} events to {out} ("
            + ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items())) + ")",
            *left_out_lines(result.left_out, unit)]


def left_out_lines(left_out: pd.DataFrame, unit: str) -> list[str]:
    """What the source held that is not a state: one line per kind, the unmatched by name."""
    lines = [f"left out, {kind.replace('_', '-')}: {int(part['rows'].sum())} rows "
             f"({len(part)} names)"
             for kind, part in left_out.groupby("kind", sort=True) if kind != "unmatched"]
    unmatched = left_out[left_out["kind"] == "unmatched"]
    if len(unmatched):
        lines.append(f"left out, unmatched names ({len(unmatched)}; add them to "
                     "sim/data/measured/state_names.csv if they are states):")
        lines += [f"  {row.name}: {row.rows} rows, {row.amount:g} {unit}"
                  for row in unmatched.itertuples(index=False)]
    return lines
