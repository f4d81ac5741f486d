"""SIPRI arms transfers: deliveries per supplier, recipient and year, in TIV.

TIV is SIPRI's trend-indicator value, in millions: a volume index of deliveries priced at a
fixed unit production cost, not money. SIPRI rounds to whole millions and writes 0 for a
delivery below 0.5; an empty cell is no delivery.

Two source layouts are read, told apart by their first line:

- the processed export of 360-info/report-arms-trade, `data/sipri-exports-processed.csv`
  (`supplier, recipient, year, value, ...`, one row per dyad-year with deliveries);
- SIPRI's own exporter tables, `data/trademap-raw/TIV-Export-<code>-1950-2021.csv`
  ("TIV of arms exports from <supplier>, 1950-2021", then a recipient x year grid).

Several files are merged: a dyad-year read from two files must carry the same TIV in both
(the processed file and the exporter tables agree on every row they share). The processed
file lacks West Germany before 1991 and a few other rows the exporter tables hold, so the
committed table is built from the exporter tables, with the processed file as a check.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.files import read_text
from sim.data.measured.names import identities, left_out
from sim.errors import InputError

FIRST_YEAR, LAST_YEAR = 1950, 2021
PROCESSED_COLUMNS = ("supplier", "recipient", "year", "value")
TABLE_COLUMNS = ("supplier", "recipient", "year", "tiv")
# the magnitude of an event whose delivery SIPRI rounds to 0 (below 0.5): the middle of that class
BELOW_HALF_TIV = 0.25
_TITLE = re.compile(r"^TIV of arms exports from (.+), (\d{4})-(\d{4})$")
_SOURCE_HINT = ("a SIPRI file is the processed export (data/sipri-exports-processed.csv of "
                "360-info/report-arms-trade) or an exporter table TIV-Export-<code>-1950-2021.csv")


@dataclass(frozen=True)
class TivTable:
    """The derived table and what the sources held that it leaves out."""

    table: pd.DataFrame  # TABLE_COLUMNS: ISO3 or historical codes, year, TIV (millions)
    left_out: pd.DataFrame  # kind, name, rows, amount (TIV) of the parties that are not states
    after_last_year: int  # dyad-years after LAST_YEAR, not kept
    same_state: int  # dyad-years whose two names are one state, not kept
    rows_read: dict[str, int]  # file name -> dyad-years read
    rows_distinct: int  # distinct dyad-years over the files


def read_sipri_file(path: Path | str) -> pd.DataFrame:
    """One source file -> supplier, recipient (SIPRI names), year, tiv, file."""
    path = Path(path)
    text = read_text(path, "the SIPRI file")
    first = next(csv.reader([text.split("\n", 1)[0]]), [""])
    title = _TITLE.match(first[0].strip()) if first else None
    if title:
        frame = _read_exporter_table(text, path, title.group(1))
    else:
        frame = _read_processed(text, path)
    return frame.assign(file=path.name)


def _read_processed(text: str, path: Path) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    missing = [name for name in PROCESSED_COLUMNS if name not in frame.columns]
    if missing:
        raise InputError(path, "columns", f"missing column(s) {', '.join(missing)}; {_SOURCE_HINT}")
    frame = frame.rename(columns={"value": "tiv"})[list(TABLE_COLUMNS)]
    for name in ("supplier", "recipient"):
        empty = frame.index[frame[name].str.strip() == ""]
        if len(empty):
            raise InputError(f"{path}:{empty[0] + 2}", name, "empty; every row names both parties")
    frame["year"] = _whole_numbers(frame["year"], path, "year", offset=2)
    frame["tiv"] = _whole_numbers(frame["tiv"], path, "value", offset=2)
    return frame


def _read_exporter_table(text: str, path: Path, supplier: str) -> pd.DataFrame:
    lines = text.splitlines()
    header = next((k for k, line in enumerate(lines) if line.startswith(",1950,")), None)
    if header is None:
        raise InputError(path, "header", "no row of years (',1950,1951,...'); " + _SOURCE_HINT)
    # the table's blank separator lines hold one comma more than its rows: leave them out
    kept = [(k, line) for k, line in enumerate(lines) if k >= header and line.strip(", ")]
    grid = pd.read_csv(io.StringIO("\n".join(line for _, line in kept)), dtype=str,
                       keep_default_na=False)
    grid = grid.rename(columns={grid.columns[0]: "recipient"})
    grid.index = [k + 1 for k, _ in kept[1:]]  # the file's line numbers
    years = [name for name in grid.columns[1:] if name != "Total"]
    if not years or not all(re.fullmatch(r"\d{4}", name) for name in years):
        raise InputError(path, "header", f"columns {years[:3]}... are not years; {_SOURCE_HINT}")
    grid = grid[grid["recipient"].str.strip() != "Total"]
    long = grid.melt(id_vars="recipient", value_vars=years, var_name="year", value_name="tiv",
                     ignore_index=False)
    long = long[long["tiv"].str.strip() != ""]
    tiv = pd.to_numeric(long["tiv"], errors="coerce")
    bad = (tiv.isna() | (tiv < 0) | (tiv % 1 != 0)).to_numpy()
    if bad.any():
        k = int(bad.argmax())
        raise InputError(f"{path}:{long.index[k]}", long["year"].iloc[k], f"'{long['tiv'].iloc[k]}' "
                         "is not a TIV (a whole number of millions >= 0)")
    return pd.DataFrame({"supplier": supplier, "recipient": long["recipient"].str.strip(),
                         "year": long["year"].astype(int), "tiv": tiv.astype(np.int64)}
                        ).reset_index(drop=True)


def _whole_numbers(column: pd.Series, path: Path, field: str, offset: int) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = column.index[values.isna() | (values < 0) | (values % 1 != 0)]
    if len(bad):
        raise InputError(f"{path}:{bad[0] + offset}", field, f"'{column[bad[0]]}' is not a whole "
                         "number >= 0")
    return values.astype(np.int64)


def read_sipri(paths: Sequence[Path | str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Source files merged: one row per (supplier, recipient, year) in SIPRI's names, and
    the dyad-years read from each file."""
    if not paths:
        raise InputError("--sipri", "FILE", "no SIPRI file given")
    frames = [read_sipri_file(path) for path in paths]
    frame = pd.concat(frames, ignore_index=True)
    key = ["supplier", "recipient", "year"]
    repeats = frame[frame.duplicated(key, keep=False)]
    clash = repeats.groupby(key)["tiv"].nunique()
    clash = clash[clash > 1]
    if len(clash):
        supplier, recipient, year = clash.index[0]
        files = repeats.set_index(key).loc[(supplier, recipient, year), "file"].unique()
        raise InputError(files[-1], "TIV", f"{supplier} -> {recipient} {year} differs from "
                         f"{files[0]}; give files of one SIPRI release")
    rows_read = {Path(path).name: len(part) for path, part in zip(paths, frames, strict=True)}
    return frame.drop_duplicates(key, keep="first").reset_index(drop=True), rows_read


def tiv_table(paths: Sequence[Path | str]) -> TivTable:
    """The table of deliveries between states, FIRST_YEAR..LAST_YEAR, from SIPRI files."""
    raw, rows_read = read_sipri(paths)
    supplier, supplier_kind = identities(raw["supplier"])
    recipient, recipient_kind = identities(raw["recipient"])
    both = pd.concat([raw["supplier"], raw["recipient"]], ignore_index=True)
    kinds = pd.concat([supplier_kind, recipient_kind], ignore_index=True)
    amounts = pd.concat([raw["tiv"], raw["tiv"]], ignore_index=True)
    dropped = left_out(both, kinds, amounts)
    same = supplier.notna() & (supplier == recipient)  # e.g. two names of one state
    kept = supplier.notna() & recipient.notna() & ~same
    frame = raw.assign(supplier=supplier, recipient=recipient)[kept]
    late = frame["year"] > LAST_YEAR
    frame = frame[~late & (frame["year"] >= FIRST_YEAR)]
    # two source names of one state (North Yemen, Yemen Arab Republic) add up
    table = (frame.groupby(["supplier", "recipient", "year"], as_index=False)["tiv"].sum()
             .sort_values(["supplier", "recipient", "year"], ignore_index=True))
    return TivTable(table[list(TABLE_COLUMNS)], dropped, int(late.sum()), int(same.sum()), rows_read,
                    len(raw))


def read_tiv_table(path: Path | str) -> pd.DataFrame:
    """A committed `sipri_tiv.csv`."""
    path = Path(path)
    frame = pd.read_csv(io.StringIO(read_text(path, "the TIV table")), dtype={"supplier": str,
                                                                             "recipient": str})
    missing = [name for name in TABLE_COLUMNS if name not in frame.columns]
    if missing:
        raise InputError(path, "columns", f"missing column(s) {', '.join(missing)}; a TIV table "
                         f"has {', '.join(TABLE_COLUMNS)} (python -m sim.data.measured build)")
    return frame


def arms_events(table: pd.DataFrame, source_doc: str = "SIPRI Arms Transfers Database") -> list[dict]:
    """Catalogue rows: one arms_sale per supplier, recipient and year, magnitude the TIV (a
    delivery SIPRI rounds to 0 counts BELOW_HALF_TIV), dated the year."""
    rows = []
    ordered = table.sort_values(["year", "supplier", "recipient"])
    for supplier, recipient, year, tiv in ordered[list(TABLE_COLUMNS)].itertuples(index=False):
        below_half = tiv == 0
        note = (f"SIPRI TIV below 0.5 (written 0); magnitude {BELOW_HALF_TIV:g}, the middle of that "
                "class" if below_half else f"SIPRI TIV {tiv:g} million (deliveries in {year})")
        rows.append({
            "id": f"sipri:{year}:{supplier}:{recipient}",
            "date": f"{year:04d}",
            "date_precision": "year",
            "source": supplier,
            "target": recipient,
            "type": "arms_sale",
            "magnitude": BELOW_HALF_TIV if below_half else tiv,
            "unit": "tiv",
            "cameo": "",
            "source_doc": source_doc,
            "note": note,
        })
    return rows


def median_delivery(table: pd.DataFrame, last_year: int) -> float:
    """The median TIV of a dyad-year with deliveries, FIRST_YEAR..last_year."""
    return float(table.loc[table["year"] <= last_year, "tiv"].median())
