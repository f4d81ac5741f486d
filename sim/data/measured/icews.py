"""Which state an ICEWS entity acts for on a given day: the entity-to-state rule.

The ICEWS05-15 benchmark (a temporal knowledge graph) names entities but carries no
country field. A side of a fact maps to a state by the first rule that applies:

1. Country entity: the name is a country ("China", "Iran") -> that country. ICEWS codes a
   statement by an unnamed government this way.
2. Sector actor: "Sector (Country)" ("Government (Pakistan)", "Military (India)") -> the
   country in the last parentheses, when the sector file marks the actor as governmental
   (its sectors hold the ICEWS top-level sector "Government": executive, cabinet,
   legislature, judiciary, military, police, ministries, state-owned enterprises).
   Citizens, media, business, parties, rebels and criminals of a country act for no state.
3. Listed official (`OFFICIALS_FILE`: person, state, office, from, to, source): the state,
   on days within one of the person's listed offices, and no state outside them. The sector
   file flattens a career into one list of sectors (Musharraf stays "Executive Office"
   after 2008), so heads of state and government and foreign ministers are bounded by
   their dates of office.
4. Other named entity (a person, an agency, a company): the country prefix of its sector
   file line ("Pakistan, Executive Government ...") on every day, when the sectors are
   governmental as in rule 2. Their careers stay flattened: a measured limit.

Anything else (international organisations, regions, parties, armed groups, territories
that are not states) maps to no state. Country names go to ISO3 through
`sim.data.events.cameo.country_code`, with the few spellings ICEWS uses that it lacks
(`ICEWS_NAMES`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sim.data.events.cameo import bounded_lines, country_code
from sim.data.files import check_file, read_text
from sim.errors import InputError

OFFICIALS_FILE = Path(__file__).with_name("icews_officials.csv")
OFFICIALS_COLUMNS = ("person", "state", "office", "from", "to", "source")
MAX_LINE = 65_536  # characters; a longer line is not a sector file's

# ICEWS spellings that sim.data.events.cameo.country_code does not know
ICEWS_NAMES: dict[str, str] = {
    "Palestinian Territory, Occupied": "PSE",
    "Holy See (Vatican City State)": "VAT",
    "Kirabati": "KIR",
    "Cook Island": "COK",
    "Solomon Island": "SLB",
}

# sector names that hold the word "Government" without being the Government sector
_NOT_GOVERNMENT = re.compile(r"International Government Organizations?|Government Major Party "
                             r"\(In Government\)|Opposition Major Party \(Out Of Government\)")
_GOVERNMENT = re.compile(r"\bGovernment\b")
_SECTOR_ACTOR = re.compile(r"^(?P<sector>.+?)\s*\((?P<country>.+)\)\s*$")


class Kind(Enum):
    """How an entity names its side."""

    COUNTRY = "country"        # rule 1
    SECTOR = "sector"          # rule 2
    OFFICIAL = "official"      # rule 3
    NAMED = "named"            # rule 4
    NONE = "none"              # no state


class Outcome(Enum):
    """Why a side does or does not map to a state on a day."""

    STATE = "state"
    NO_COUNTRY = "no country"               # an IGO, a region, an armed group, a territory
    NOT_GOVERNMENT = "not governmental"     # citizens, media, parties, rebels of a country
    OUT_OF_OFFICE = "out of office"         # a listed official outside the listed offices


@dataclass(frozen=True)
class Office:
    person: str
    state: str
    office: str
    start: dt.date
    end: dt.date | None      # None: still in office after the data end
    source: str

    def holds(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Entity:
    """An entity's reading under the rule: its country, whether it is governmental."""

    name: str
    kind: Kind
    country: str | None
    governmental: bool


def to_iso3(name: str) -> str | None:
    name = name.strip()
    return ICEWS_NAMES.get(name) or country_code(name)


def is_governmental(sectors: str) -> bool:
    """True when an ICEWS sector list holds the top-level sector "Government"."""
    return bool(_GOVERNMENT.search(_NOT_GOVERNMENT.sub(" ", sectors)))


def read_sectors(path: Path | str) -> dict[str, str]:
    """Entity name -> sector text of a sector file (name TAB sectors per line; a named
    entity's sectors start with its country and a comma)."""
    path = Path(path)
    sectors: dict[str, str] = {}
    for line_no, line in _lines(path):
        name, tab, text = line.partition("\t")
        if not tab or not name.strip():
            raise InputError(f"{path}:{line_no}", "line", "expected 'entity name<TAB>sectors' "
                             "(the ent2sec.txt of the ICEWS05-15 benchmark); is this the "
                             "sector file?")
        sectors[name.strip()] = text.strip()
    if not sectors:
        raise InputError(path, "path", "the sector file is empty; give ent2sec.txt")
    return sectors


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a UTF-8 file within the bounds of a text file, one bounded
    line at a time."""
    check_file(path, "the path of the sector file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line_no, line in enumerate(bounded_lines(handle, path, MAX_LINE,
                                                         "a sector file"), 1):
                line = line.rstrip("\r\n")
                if line.strip():
                    yield line_no, line
    except UnicodeDecodeError:
        raise InputError(path, "encoding", "not UTF-8; give the sector file as "
                         "downloaded") from None


def load_officials(path: Path | str = OFFICIALS_FILE) -> dict[str, list[Office]]:
    """Person -> offices, from a CSV with `OFFICIALS_COLUMNS` (dates YYYY-MM-DD; an empty
    `to` means still in office)."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(read_text(path, "--officials"), newline=""))
    missing = [name for name in OFFICIALS_COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise InputError(path, "columns", f"missing {', '.join(missing)}; the officials file "
                         f"has columns {', '.join(OFFICIALS_COLUMNS)}")
    offices: dict[str, list[Office]] = {}
    for row in reader:
        where = f"{path}:{reader.line_num}"
        person, state = (row["person"] or "").strip(), (row["state"] or "").strip()
        if not person or not re.fullmatch(r"[A-Z]{3}", state):
            raise InputError(where, "person/state", "each row names a person and an ISO3 state")
        if not (row["source"] or "").strip():
            raise InputError(where, "source", "empty; give where the dates of office are from")
        start = _date(row["from"], where, "from")
        end = _date(row["to"], where, "to") if (row["to"] or "").strip() else None
        if end is not None and end < start:
            raise InputError(where, "to", f"{end} is before {start}")
        known = offices.setdefault(person, [])
        if known and known[0].state != state:
            raise InputError(where, "state", f"{person} is listed for {known[0].state} above")
        known.append(Office(person, state, (row["office"] or "").strip(), start, end,
                            row["source"].strip()))
    return offices


def _date(text: str | None, where: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise InputError(where, field, f"'{text}' is not a date; use YYYY-MM-DD") from None


class EntityRule:
    """The entity-to-state rule over one sector file and one list of officials."""

    def __init__(self, sectors: dict[str, str], officials: dict[str, list[Office]]):
        self.officials = officials
        self._entities: dict[str, Entity] = {}
        self._sectors = sectors

    def entity(self, name: str) -> Entity:
        """How the rule reads `name` (cached)."""
        known = self._entities.get(name)
        if known is None:
            known = self._entities[name] = self._read(name)
        return known

    def _read(self, name: str) -> Entity:
        sectors = self._sectors.get(name, "")
        if name in self.officials:
            return Entity(name, Kind.OFFICIAL, self.officials[name][0].state, True)
        code = to_iso3(name)
        if code is not None:
            return Entity(name, Kind.COUNTRY, code, True)
        match = _SECTOR_ACTOR.match(name)
        if match:
            code = to_iso3(match["country"])
            if code is not None:
                return Entity(name, Kind.SECTOR, code, is_governmental(sectors))
        prefix, comma, rest = sectors.partition(",")
        code = to_iso3(prefix) if comma else None
        if code is not None:
            return Entity(name, Kind.NAMED, code, is_governmental(rest))
        return Entity(name, Kind.NONE, None, False)

    def outcome(self, name: str, day: dt.date) -> tuple[Outcome, str | None]:
        """(why, state): the state `name` acts for on `day`, or None and why not."""
        entity = self.entity(name)
        if entity.country is None:
            return Outcome.NO_COUNTRY, None
        if not entity.governmental:
            return Outcome.NOT_GOVERNMENT, None
        if entity.kind is Kind.OFFICIAL and not any(o.holds(day) for o in self.officials[name]):
            return Outcome.OUT_OF_OFFICE, None
        return Outcome.STATE, entity.country

    def state(self, name: str, day: dt.date) -> str | None:
        return self.outcome(name, day)[1]


def load_rule(sectors: Path | str, officials: Path | str = OFFICIALS_FILE) -> EntityRule:
    return EntityRule(read_sectors(sectors), load_officials(officials))
