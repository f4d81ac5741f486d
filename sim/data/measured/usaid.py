"""US foreign aid per recipient and fiscal year (USAID Foreign Aid Explorer country summary).

The source (joshuaalley/us-democ-example `data/us_foreign_aid_country.csv`) holds one row per
recipient, transaction type (Obligations, Disbursements) and fiscal year, in current and in
constant dollars. Only one constant-dollar base goes into the table: FY2019, told from the
file itself (the one fiscal year whose constant amounts equal its current amounts); a copy
in another base is refused. The FY1976 transition quarter (Jul-Sep 1976, `1976tq`) is not a
fiscal year and is left out. Disbursements are recorded from FY2001.

The last fiscal years of a snapshot are incomplete (reports arrive late): the last year is
always marked `partial`, and so is each year before it whose obligations, summed over all
recipients, fall below PARTIAL_RATIO of the median of the five years before it (FY2020 holds
54% of that median in this copy, FY2019 94%).

The military share comes from another copy of the Explorer (lublog/ForeignAssistance
`cleaned_data/all.csv`: military and economic aid per recipient and year, FY2006-2021), which
adds obligations and disbursements together in current dollars: good for a share, not for
amounts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.files import read_text
from sim.data.measured.names import identities, left_out
from sim.errors import InputError

BASE_YEAR = 2019
LAST_YEAR = 2021
SUMMARY_COLUMNS = ("country_code", "country_name", "transaction_type_name", "fiscal_year",
                   "current_amount", "constant_amount")
SPLIT_COLUMNS = ("year", "country_name", "country_code", "assistance_type", "amount")
TRANSACTIONS = {"Obligations": "obligations", "Disbursements": "disbursements"}
TABLE_COLUMNS = ("recipient", "fiscal_year", "obligations", "disbursements", "military_share",
                 "partial")
PARTIAL_RATIO = 0.75
# The record holds changes of the flow, not its level: a steady flow is part of the alignment
# it sustains (the initial matrix), and a yearly impulse for it would push the pair ever
# closer. A change is a rise (an `aid` event) or a fall (an `aid_cut`) of more than
# CHANGE_SHARE of the previous fiscal year's obligations, from at least CHANGE_FLOOR_USD
# (year_pairs). Aid swings widely from year to year: among the 5,801 pairs of complete
# consecutive years from at least $10 M (FY1947-2019) the 20th and 80th percentiles of the
# change are -39% and +43%; 19% fall and 21% rise by more than 40%, a change that ordinary
# churn gives about one year in five each way. Below $10 M a halving is a programme ending,
# and every event counts at least as a routine one (sim.run.inputs.event_factor >= 1), so
# small changes are not events.
CHANGE_SHARE = 0.40
CHANGE_FLOOR_USD = 1.0e7
MILLION = 1.0e6
_SOURCE_HINT = ("a USAID country summary has columns " + ", ".join(SUMMARY_COLUMNS)
                + " (joshuaalley/us-democ-example data/us_foreign_aid_country.csv)")


@dataclass(frozen=True)
class AidTable:
    """The derived table and what the source held that it leaves out."""

    table: pd.DataFrame  # TABLE_COLUMNS; amounts in constant FY2019 US$ millions
    left_out: pd.DataFrame  # kind, name, rows, amount (constant US$) of non-state recipients
    transition_quarter_usd: float  # FY1976 transition quarter obligations, left out
    rows_read: int


def _read_csv(path: Path, what: str, columns: tuple[str, ...], hint: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(read_text(path, what)), dtype=str, keep_default_na=False)
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise InputError(path, "columns", f"missing column(s) {', '.join(missing)}; {hint}")
    return frame


def _numbers(frame: pd.DataFrame, field: str, path: Path) -> pd.Series:
    values = pd.to_numeric(frame[field], errors="coerce")
    bad = frame.index[values.isna()]
    if len(bad):
        raise InputError(f"{path}:{bad[0] + 2}", field, f"'{frame.loc[bad[0], field]}' is not a "
                         "number of dollars")
    return values.astype(float)


def read_country_summary(path: Path | str) -> tuple[pd.DataFrame, float]:
    """The country summary -> (rows of recipient name, code, transaction, fiscal_year, usd in
    constant FY2019 dollars; the transition quarter's obligations, left out)."""
    path = Path(path)
    frame = _read_csv(path, "--usaid", SUMMARY_COLUMNS, _SOURCE_HINT)
    unknown = frame.index[~frame["transaction_type_name"].isin(TRANSACTIONS)]
    if len(unknown):
        raise InputError(f"{path}:{unknown[0] + 2}", "transaction_type_name",
                         f"'{frame.loc[unknown[0], 'transaction_type_name']}' is not one of "
                         f"{', '.join(TRANSACTIONS)}")
    current = _numbers(frame, "current_amount", path)
    constant = _numbers(frame, "constant_amount", path)
    quarter = frame["fiscal_year"].str.strip().str.lower() == "1976tq"
    years = pd.to_numeric(frame["fiscal_year"].where(~quarter, "0"), errors="coerce")
    bad = frame.index[years.isna() | (years % 1 != 0)]
    if len(bad):
        raise InputError(f"{path}:{bad[0] + 2}", "fiscal_year", f"'{frame.loc[bad[0], 'fiscal_year']}'"
                         " is not a fiscal year (YYYY, or 1976tq for the transition quarter)")
    base = _base_year(years[~quarter], current[~quarter], constant[~quarter])
    if base != BASE_YEAR:
        raise InputError(path, "constant_amount", f"in constant FY{base} dollars; the table is in "
                         f"constant FY{BASE_YEAR} dollars: use the FY{BASE_YEAR} copy "
                         "(joshuaalley/us-democ-example), do not mix bases")
    rows = pd.DataFrame({"name": frame["country_name"].str.strip(),
                         "code": frame["country_code"].str.strip(),
                         "transaction": frame["transaction_type_name"].map(TRANSACTIONS),
                         "fiscal_year": years.astype(np.int64), "usd": constant})
    obligations = rows["transaction"] == "obligations"
    return rows[~quarter].reset_index(drop=True), float(rows.loc[quarter & obligations, "usd"].sum())


def _base_year(years: pd.Series, current: pd.Series, constant: pd.Series) -> int | None:
    """The fiscal year whose constant amounts all equal the current ones."""
    equal = (current == constant).groupby(years).mean()
    base = equal[equal == 1.0]
    return int(base.index[0]) if len(base) == 1 else None


def read_military_share(path: Path | str) -> pd.DataFrame:
    """lublog/ForeignAssistance `cleaned_data/all.csv` -> recipient, fiscal_year,
    military_share (military / (military + economic), where both are >= 0 and their sum > 0)."""
    path = Path(path)
    frame = _read_csv(path, "--military-share", SPLIT_COLUMNS,
                      "a military/economic split has columns " + ", ".join(SPLIT_COLUMNS)
                      + " (lublog/ForeignAssistance cleaned_data/all.csv)")
    kinds = frame["assistance_type"].str.strip()
    unknown = frame.index[~kinds.isin(("Military", "Economic"))]
    if len(unknown):
        raise InputError(f"{path}:{unknown[0] + 2}", "assistance_type",
                         f"'{frame.loc[unknown[0], 'assistance_type']}' is not Military or Economic")
    years = pd.to_numeric(frame["year"], errors="coerce")
    if years.isna().any():
        row = frame.index[years.isna()][0]
        raise InputError(f"{path}:{row + 2}", "year", f"'{frame.loc[row, 'year']}' is not a year")
    code, _ = identities(frame["country_name"].str.strip(), frame["country_code"].str.strip())
    parts = pd.DataFrame({"recipient": code, "fiscal_year": years.astype(np.int64),
                          "kind": kinds, "usd": _numbers(frame, "amount", path)}).dropna()
    wide = parts.pivot_table(index=["recipient", "fiscal_year"], columns="kind", values="usd",
                             aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=["Military", "Economic"], fill_value=0.0)
    total = wide["Military"] + wide["Economic"]
    valid = (wide["Military"] >= 0) & (wide["Economic"] >= 0) & (total > 0)
    share = (wide["Military"] / total)[valid]
    return share.rename("military_share").reset_index()


def partial_years(totals: pd.Series) -> list[int]:
    """Fiscal years (index) of a snapshot that are incomplete: the last, and each year before
    it whose total is below PARTIAL_RATIO of the median of the five years before it."""
    years = sorted(int(year) for year in totals.index)
    partial = [years[-1]]
    for year in reversed(years[:-1]):
        before = totals[[y for y in years if year - 5 <= y < year]]
        if not len(before) or totals[year] >= PARTIAL_RATIO * before.median():
            break
        partial.append(year)
    return sorted(partial)


def aid_table(summary: Path | str, military_share: Path | str | None = None) -> AidTable:
    """The table per recipient and fiscal year up to LAST_YEAR (amounts in constant FY2019
    US$ millions), with the military share where the split source gives it."""
    rows, quarter = read_country_summary(summary)
    code, kind = identities(rows["name"], rows["code"])
    dropped = left_out(rows["name"], kind, rows["usd"])
    kept = rows.assign(recipient=code)[code.notna() & (rows["fiscal_year"] <= LAST_YEAR)]
    wide = kept.pivot_table(index=["recipient", "fiscal_year"], columns="transaction",
                            values="usd", aggfunc="sum")
    wide = wide.reindex(columns=list(TRANSACTIONS.values())) / MILLION
    table = wide.round(6).reset_index()
    totals = table.groupby("fiscal_year")["obligations"].sum()
    table["partial"] = table["fiscal_year"].isin(partial_years(totals))
    if military_share is not None:
        shares = read_military_share(military_share)
        table = table.merge(shares, on=["recipient", "fiscal_year"], how="left")
        table["military_share"] = table["military_share"].round(4)
    else:
        table["military_share"] = np.nan
    table = table.sort_values(["recipient", "fiscal_year"], ignore_index=True)
    return AidTable(table[list(TABLE_COLUMNS)], dropped, quarter, len(rows))


def read_aid_table(path: Path | str) -> pd.DataFrame:
    """A committed `us_aid.csv`."""
    path = Path(path)
    frame = pd.read_csv(io.StringIO(read_text(path, "the aid table")), dtype={"recipient": str})
    missing = [name for name in TABLE_COLUMNS if name not in frame.columns]
    if missing:
        raise InputError(path, "columns", f"missing column(s) {', '.join(missing)}; an aid table "
                         f"has {', '.join(TABLE_COLUMNS)} (python -m sim.data.measured build)")
    return frame


def year_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """recipient, fiscal_year, previous, obligations (US$ millions) of every pair of
    consecutive fiscal years that both hold a record, are both complete and start from at
    least CHANGE_FLOOR_USD: the changes an event is told among."""
    frame = table.sort_values(["recipient", "fiscal_year"])
    previous = frame.groupby("recipient")[["fiscal_year", "obligations", "partial"]].shift()
    consecutive = previous["fiscal_year"] == frame["fiscal_year"] - 1
    complete = ~frame["partial"].astype(bool) & ~previous["partial"].fillna(True).astype(bool)
    eligible = consecutive & complete & (previous["obligations"] >= CHANGE_FLOOR_USD / MILLION)
    return pd.DataFrame({"recipient": frame["recipient"], "fiscal_year": frame["fiscal_year"],
                         "previous": previous["obligations"],
                         "obligations": frame["obligations"].fillna(0.0)})[eligible]


def aid_changes(table: pd.DataFrame) -> pd.DataFrame:
    """recipient, fiscal_year, previous, obligations, change (US$ millions, signed) of every
    change among year_pairs of more than CHANGE_SHARE of the previous year's obligations."""
    pairs = year_pairs(table)
    change = pairs["obligations"] - pairs["previous"]
    large = change.abs() > CHANGE_SHARE * pairs["previous"]
    return pairs.assign(change=change)[large].reset_index(drop=True)


def aid_cuts(table: pd.DataFrame) -> pd.DataFrame:
    """aid_changes' falls, with the fall (US$ millions, > 0)."""
    changes = aid_changes(table)
    cuts = changes[changes["change"] < 0]
    return cuts.assign(fall=-cuts["change"]).reset_index(drop=True)


def fiscal_mid(fiscal_year: int) -> str:
    """The middle of FY t (Oct t-1 .. Sep t): the start of April t, as YYYY-MM."""
    return f"{fiscal_year:04d}-04"


def aid_events(table: pd.DataFrame, source_doc: str = "USAID Foreign Aid Explorer") -> list[dict]:
    """Catalogue rows: an aid event per rise and an aid_cut per fall of aid_changes, magnitude
    the change in constant FY2019 dollars, dated the fiscal year's middle."""
    rows = []
    for change in aid_changes(table).itertuples(index=False):
        if change.recipient == "USA":
            continue
        rise = change.change > 0
        note = (f"US obligations {'rose' if rise else 'fell'} {change.previous:.1f} -> "
                f"{change.obligations:.1f} million constant FY{BASE_YEAR} US$ "
                f"(FY{change.fiscal_year - 1} -> FY{change.fiscal_year})")
        ident = f"usaid{'' if rise else '-cut'}:FY{change.fiscal_year}:{change.recipient}"
        rows.append(_event(ident, change.fiscal_year, change.recipient,
                           "aid" if rise else "aid_cut", abs(change.change), source_doc, note))
    return sorted(rows, key=lambda row: (row["date"], row["target"], row["type"]))


def _event(ident: str, year: int, recipient: str, kind: str, millions: float, source_doc: str,
           note: str) -> dict:
    return {"id": ident, "date": fiscal_mid(year), "date_precision": "year", "source": "USA",
            "target": recipient, "type": kind, "magnitude": round(millions * MILLION),
            "unit": "usd", "cameo": "", "source_doc": source_doc, "note": note}
