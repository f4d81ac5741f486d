"""Who is who in the measured sources: a source's name (and code, where it gives one) -> a
state code.

States and dependent territories get their ISO 3166 alpha-3 code; a historical state gets a
code of its own (ISO 3166-3 where there is one: SUN for the Soviet Union, CSK, DDR, YUG, YMD;
else YAR for North Yemen and RVN for South Vietnam), so that its deliveries and aid never
merge into a successor's. Everything else is left out, by kind: SIPRI's non-state actors
(names ending in `*`), international organisations (`**`), unknown parties, USAID's regional
programmes (`... Region`, `World`), sub-national programmes and unrecognised entities.

Lookup order: `state_names.csv` beside this module (names the shared country-name table
lacks, and overrides), then SIPRI's and USAID's naming conventions, then the source's own
ISO3 code, then the shared table (`sim.data.events.cameo.country_code`). A name none of these
knows is `unmatched`: it is left out and listed by the build with its rows and amount, so a
new name in a newer source file shows instead of vanishing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from sim.data.events.cameo import country_code

NAMES_FILE = Path(__file__).with_name("state_names.csv")
KEPT_KINDS = ("state", "historical", "territory")
LEFT_OUT_KINDS = ("non_state", "organisation", "unknown", "region", "sub_national",
                  "unrecognised", "unmatched")
_ISO3 = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Identity:
    code: str | None  # None for every kind left out
    kind: str

    @property
    def kept(self) -> bool:
        return self.kind in KEPT_KINDS


@cache
def name_table(path: Path = NAMES_FILE) -> dict[str, Identity]:
    """name -> Identity, from the committed table."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {row.name: Identity(row.code or None, row.kind) for row in table.itertuples(index=False)}


def identify(name: str, code: str | None = None) -> Identity:
    """The identity of a source's `name`, given the source's own `code` if it has one."""
    name = " ".join(str(name).split())
    known = name_table().get(name)
    if known is not None:
        return known
    if name.endswith("**"):
        return Identity(None, "organisation")
    if name.endswith("*"):
        return Identity(None, "non_state")
    if name == "World" or name.endswith(" Region"):
        return Identity(None, "region")
    if code is not None and _ISO3.match(code.strip()):
        return Identity(code.strip(), "state")
    iso3 = None if _ISO3.match(name) else country_code(name)
    return Identity(iso3, "state") if iso3 else Identity(None, "unmatched")


def identities(names: pd.Series, codes: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """(code, kind) per row of `names` (and the source's `codes`), each as a Series."""
    keys = list(zip(names, names if codes is None else codes, strict=True))
    found = {key: identify(key[0], None if codes is None else key[1]) for key in set(keys)}
    return (pd.Series([found[key].code for key in keys], index=names.index, dtype=object),
            pd.Series([found[key].kind for key in keys], index=names.index, dtype=object))


def left_out(names: pd.Series, kinds: pd.Series, amounts: pd.Series) -> pd.DataFrame:
    """The names left out: kind, name, rows and summed amount, largest amount first."""
    frame = pd.DataFrame({"kind": kinds, "name": names, "amount": amounts})
    frame = frame[~frame["kind"].isin(KEPT_KINDS)]
    summary = frame.groupby(["kind", "name"], sort=False).agg(rows=("amount", "size"),
                                                             amount=("amount", "sum"))
    return summary.reset_index().sort_values(["kind", "amount"], ascending=[True, False],
                                             ignore_index=True)
