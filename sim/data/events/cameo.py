"""Import CAMEO-coded event data (GDELT 1.0 / 2.0, ICEWS) into the catalogue form.

The result is a catalogue CSV (columns `CATALOGUE_COLUMNS`) that `load_catalogue` reads
like any hand-made one, so real event data and the seed catalogue can be mixed through
`data.events` / `data.extra_events`.

Inputs
------
GDELT event files are tab-separated without a header, in the documented column order:
GDELT 1.0 has 57 columns (`GDELT1_COLUMNS`; the daily files since April 2013 add
SOURCEURL as a 58th), GDELT 2.0 has 61 (`GDELT2_COLUMNS`: an ADM2 code in each of the
three geography blocks, DATEADDED as YYYYMMDDHHMMSS, SOURCEURL). The version is told
apart line by line from the number of fields. The fields used are GlobalEventID,
SQLDATE, Actor1CountryCode, Actor2CountryCode, EventCode, GoldsteinScale and
NumMentions; the country codes are CAMEO country codes, which for states are ISO3.

ICEWS event files are tab-separated with a header (`ICEWS_COLUMNS`); the fields used are
Event ID, Event Date, Source Country, Target Country, CAMEO Code and Intensity. Country
fields hold names ("Russian Federation"), mapped to ISO3 by `COUNTRY_NAMES` (an ISO3
code in the field is taken as it is). ICEWS "Event ID" is not unique on its own (the same
id recurs on other dates), so an id met again on another date gets that date appended.
CAMEO codes whose leading zero was lost (`42` for `042`, `211` for `0211`) are restored.

Any file may be zip- or gzip-compressed (`.zip` with one member, `.gz`).

Scope
-----
An event is kept when both its source and target country are among the configured
states and differ; otherwise it is counted as out of scope. A kept-in-scope event whose
CAMEO code has no event type (below) is counted as unmapped, per CAMEO root. A row that
repeats an id already read (same id, same date: overlapping input files) is counted as
a duplicate and skipped.

CAMEO code -> event type (`CAMEO_TYPES`; the longest matching prefix wins)
-------------------------------------------------------------------------
    04    consult (040 consult, 041 discuss by phone, 044 meet at a third
          location, 045 mediate, 046 negotiate)                   support
    042   make a visit                                            visit
    043   host a visit                                            visit
    05    engage in diplomatic cooperation (050, 051 praise, 052 defend
          verbally, 053 rally support, 054 grant recognition, 055
          apologise, 056 forgive)                                 support
    057   sign formal agreement                                   agreement
    061   cooperate economically                                  investment
    062   cooperate militarily                                    exercise
    07    provide aid (070, 071 economic, 073 humanitarian, 074
          military protection / peacekeeping, 075 asylum)         aid
    072   provide military aid                                    arms_sale
    11    disapprove (110, 111 criticise, 112 accuse, 113-116)     hostile_statement
    13    threaten (130-139)                                      hostile_statement
    16    reduce relations (160, 161 diplomatic relations, 164 halt
          negotiations, 165 halt mediation, 166 expel / withdraw) downgrade
    162   reduce or stop material aid (1621-1623)                 aid_cut
    163   impose embargo, boycott or sanctions                    sanctions
    18    assault (180-186)                                       incident
    19    fight: use conventional military force (190-196)        incident
    20    use unconventional mass violence (200-204)              incident

Everything else (01-03 statements, appeals and intents, 060/063/064, 08 yield,
09 investigate, 10 demand, 12 reject, 14 protest, 15 force posture, 17 coerce) is
unmapped and dropped. CAMEO has no codes of its own for arms sales, investment or
exercises; 072, 061 and 062 stand in for them, as in `sim.data.eventtypes`.

Magnitude
---------
Each kept event has magnitude 1 and unit `level` (a routine event); with
`weight="mentions"` (GDELT only) its NumMentions, unit `count`. With `aggregate="month"`
the events of one (month, source, target, type) become one row: magnitude the number of
events (or the summed mentions), unit `count`, date
YYYY-MM with precision `month`, cameo the most frequent code. The Goldstein value
(GDELT GoldsteinScale, ICEWS Intensity) goes into the note for reference; the row's
`cameo` column carries the code itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from sim.data.events.catalogue import CATALOGUE_COLUMNS, parse_catalogue
from sim.data.eventtypes import EVENT_TYPES
from sim.data.files import atomic_write, check_file, read_text, read_yaml
from sim.data.schemas import STATE_CODE
from sim.errors import InputError

DEFAULT_STATES: tuple[str, ...] = ("USA", "PAK", "RUS", "CHN", "IND")
DEFAULT_ACTORS_FILE = Path("seeds/actors.yaml")
FORMATS = ("gdelt", "icews", "icews-tkg")
WEIGHTS = ("events", "mentions")
AGGREGATES = ("month",)
# bounds on an event file as read, decompressed (README, "Limits"): a GDELT line is about
# 1 kB and a day of GDELT 1.0 about 100 MB, a year of ICEWS about 250 MB; 4 GiB of ICEWS
# lines (about 250 bytes each) are 17 million lines, while 4 GiB of blank lines would take
# half an hour to read
MAX_LINE_CHARS = 2**20
MAX_EVENT_FILE_CHARS = 4 * 2**30
MAX_EVENT_FILE_LINES = 20_000_000

# --- GDELT column layouts (GDELT 1.0 and 2.0 event codebooks) -------------------------

_GDELT_HEAD = (
    "GlobalEventID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode",
    "Actor1EthnicCode", "Actor1Religion1Code", "Actor1Religion2Code",
    "Actor1Type1Code", "Actor1Type2Code", "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode",
    "Actor2EthnicCode", "Actor2Religion1Code", "Actor2Religion2Code",
    "Actor2Type1Code", "Actor2Type2Code", "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
    "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone",
)


def _geo_block(prefix: str, adm2: bool) -> tuple[str, ...]:
    names = ["Type", "FullName", "CountryCode", "ADM1Code"]
    names += ["ADM2Code"] if adm2 else []
    names += ["Lat", "Long", "FeatureID"]
    return tuple(f"{prefix}Geo_{name}" for name in names)


GDELT1_COLUMNS: tuple[str, ...] = (
    _GDELT_HEAD
    + _geo_block("Actor1", False) + _geo_block("Actor2", False) + _geo_block("Action", False)
    + ("DATEADDED",)
)
GDELT1_URL_COLUMNS: tuple[str, ...] = GDELT1_COLUMNS + ("SOURCEURL",)
GDELT2_COLUMNS: tuple[str, ...] = (
    _GDELT_HEAD
    + _geo_block("Actor1", True) + _geo_block("Actor2", True) + _geo_block("Action", True)
    + ("DATEADDED", "SOURCEURL")
)
assert len(GDELT1_COLUMNS) == 57 and len(GDELT1_URL_COLUMNS) == 58
assert len(GDELT2_COLUMNS) == 61

# number of fields -> (version label, column names)
GDELT_LAYOUTS: dict[int, tuple[str, tuple[str, ...]]] = {
    57: ("GDELT 1.0", GDELT1_COLUMNS),
    58: ("GDELT 1.0", GDELT1_URL_COLUMNS),
    61: ("GDELT 2.0", GDELT2_COLUMNS),
}
_GDELT_USED = ("GlobalEventID", "SQLDATE", "Actor1Name", "Actor1CountryCode", "Actor2Name",
               "Actor2CountryCode", "EventCode", "GoldsteinScale", "NumMentions")
# the fields used sit before the geography blocks, so their positions are the same
# in every layout
_GDELT_INDEX = {name: GDELT1_COLUMNS.index(name) for name in _GDELT_USED}
assert all(GDELT2_COLUMNS.index(name) == k for name, k in _GDELT_INDEX.items())

# --- ICEWS column layout --------------------------------------------------------------

ICEWS_COLUMNS: tuple[str, ...] = (
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country",
    "Event Text", "CAMEO Code", "Intensity", "Target Name", "Target Sectors",
    "Target Country", "Story ID", "Sentence Number", "Publisher", "City", "District",
    "Province", "Country", "Latitude", "Longitude",
)
ICEWS_REQUIRED: tuple[str, ...] = ("Event ID", "Event Date", "Source Country",
                                   "Target Country", "CAMEO Code", "Intensity")

# --- CAMEO code -> event type ---------------------------------------------------------

CAMEO_TYPES: dict[str, str] = {
    "04": "support",
    "042": "visit",
    "043": "visit",
    "05": "support",
    "057": "agreement",
    "061": "investment",
    "062": "exercise",
    "07": "aid",
    "072": "arms_sale",
    "11": "hostile_statement",
    "13": "hostile_statement",
    "16": "downgrade",
    "162": "aid_cut",
    "163": "sanctions",
    "18": "incident",
    "19": "incident",
    "20": "incident",
}
assert set(CAMEO_TYPES.values()) <= set(EVENT_TYPES)

_CAMEO = re.compile(r"^\d{2,4}$")


def cameo_type(code: str) -> str | None:
    """The event type of a CAMEO code (longest matching prefix), or None if unmapped."""
    for length in range(len(code), 1, -1):
        kind = CAMEO_TYPES.get(code[:length])
        if kind is not None:
            return kind
    return None


def normalise_cameo(text: str) -> str | None:
    """A CAMEO event code as 3 or 4 digits, restoring a leading zero lost on the way
    (tools that read codes as numbers turn 042 into 42 and 0211 into 211); None if the
    text is not a code. Base codes run 010-204, so 205-999 can only be a four-digit
    code that lost its zero."""
    text = text.strip().strip('"')
    if not text.isdigit() or not 1 <= len(text) <= 4:
        return None
    if text.startswith("0"):
        return text if len(text) >= 2 else None
    number = int(text)
    if number < 100:
        return f"{number:03d}"
    if number <= 204 or number >= 1000:
        return text
    return f"{number:04d}"


# --- country names -> ISO3 ------------------------------------------------------------

COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "AFG": ("Afghanistan",),
    "ALB": ("Albania",),
    "DZA": ("Algeria",),
    "AND": ("Andorra",),
    "AGO": ("Angola",),
    "ATG": ("Antigua and Barbuda",),
    "ARG": ("Argentina",),
    "ARM": ("Armenia",),
    "AUS": ("Australia",),
    "AUT": ("Austria",),
    "AZE": ("Azerbaijan",),
    "BHS": ("Bahamas", "The Bahamas", "Bahamas, The"),
    "BHR": ("Bahrain",),
    "BGD": ("Bangladesh",),
    "BRB": ("Barbados",),
    "BLR": ("Belarus",),
    "BEL": ("Belgium",),
    "BLZ": ("Belize",),
    "BEN": ("Benin",),
    "BTN": ("Bhutan",),
    "BOL": ("Bolivia", "Bolivia (Plurinational State of)", "Plurinational State of Bolivia"),
    "BIH": ("Bosnia and Herzegovina", "Bosnia-Herzegovina", "Bosnia"),
    "BWA": ("Botswana",),
    "BRA": ("Brazil",),
    "BRN": ("Brunei", "Brunei Darussalam"),
    "BGR": ("Bulgaria",),
    "BFA": ("Burkina Faso",),
    "BDI": ("Burundi",),
    "CPV": ("Cabo Verde", "Cape Verde"),
    "KHM": ("Cambodia",),
    "CMR": ("Cameroon",),
    "CAN": ("Canada",),
    "CAF": ("Central African Republic",),
    "TCD": ("Chad",),
    "CHL": ("Chile",),
    "CHN": ("China", "People's Republic of China", "PRC"),
    "COL": ("Colombia",),
    "COM": ("Comoros",),
    "COG": ("Congo", "Republic of the Congo", "Republic of Congo", "Congo, Republic of the",
            "Congo-Brazzaville", "Congo (Brazzaville)"),
    "COD": ("Democratic Republic of Congo", "Democratic Republic of the Congo",
            "Congo, The Democratic Republic of the", "Congo, Democratic Republic of the",
            "Congo, Democratic Republic", "DR Congo", "DRC", "Congo-Kinshasa",
            "Congo (Kinshasa)", "Zaire"),
    "CRI": ("Costa Rica",),
    "CIV": ("Cote d'Ivoire", "Côte d'Ivoire", "Ivory Coast"),
    "HRV": ("Croatia",),
    "CUB": ("Cuba",),
    "CYP": ("Cyprus",),
    "CZE": ("Czech Republic", "Czechia"),
    "DNK": ("Denmark",),
    "DJI": ("Djibouti",),
    "DMA": ("Dominica",),
    "DOM": ("Dominican Republic",),
    "ECU": ("Ecuador",),
    "EGY": ("Egypt",),
    "SLV": ("El Salvador",),
    "GNQ": ("Equatorial Guinea",),
    "ERI": ("Eritrea",),
    "EST": ("Estonia",),
    "SWZ": ("Eswatini", "Swaziland"),
    "ETH": ("Ethiopia",),
    "FJI": ("Fiji",),
    "FIN": ("Finland",),
    "FRA": ("France",),
    "GAB": ("Gabon",),
    "GMB": ("Gambia", "The Gambia", "Gambia, The"),
    "GEO": ("Georgia",),
    "DEU": ("Germany", "Federal Republic of Germany"),
    "GHA": ("Ghana",),
    "GRC": ("Greece",),
    "GRD": ("Grenada",),
    "GTM": ("Guatemala",),
    "GIN": ("Guinea",),
    "GNB": ("Guinea-Bissau",),
    "GUY": ("Guyana",),
    "HTI": ("Haiti",),
    "VAT": ("Holy See", "Vatican", "Vatican City"),
    "HND": ("Honduras",),
    "HKG": ("Hong Kong",),
    "HUN": ("Hungary",),
    "ISL": ("Iceland",),
    "IND": ("India", "Republic of India"),
    "IDN": ("Indonesia",),
    "IRN": ("Iran", "Iran (Islamic Republic of)", "Islamic Republic of Iran",
            "Iran, Islamic Republic of"),
    "IRQ": ("Iraq",),
    "IRL": ("Ireland",),
    "ISR": ("Israel",),
    "ITA": ("Italy",),
    "JAM": ("Jamaica",),
    "JPN": ("Japan",),
    "JOR": ("Jordan",),
    "KAZ": ("Kazakhstan",),
    "KEN": ("Kenya",),
    "KIR": ("Kiribati",),
    "PRK": ("North Korea", "Korea, North", "Democratic People's Republic of Korea",
            "Korea, Democratic People's Republic of", "DPRK"),
    "KOR": ("South Korea", "Korea, South", "Republic of Korea", "Korea, Republic of", "ROK"),
    "KWT": ("Kuwait",),
    "KGZ": ("Kyrgyzstan", "Kyrgyz Republic"),
    "LAO": ("Laos", "Lao People's Democratic Republic", "Lao PDR"),
    "LVA": ("Latvia",),
    "LBN": ("Lebanon",),
    "LSO": ("Lesotho",),
    "LBR": ("Liberia",),
    "LBY": ("Libya", "Libyan Arab Jamahiriya"),
    "LIE": ("Liechtenstein",),
    "LTU": ("Lithuania",),
    "LUX": ("Luxembourg",),
    "MAC": ("Macau", "Macao"),
    "MDG": ("Madagascar",),
    "MWI": ("Malawi",),
    "MYS": ("Malaysia",),
    "MDV": ("Maldives",),
    "MLI": ("Mali",),
    "MLT": ("Malta",),
    "MHL": ("Marshall Islands",),
    "MRT": ("Mauritania",),
    "MUS": ("Mauritius",),
    "MEX": ("Mexico",),
    "FSM": ("Micronesia", "Federated States of Micronesia", "Micronesia, Federated States of"),
    "MDA": ("Moldova", "Republic of Moldova", "Moldova, Republic of"),
    "MCO": ("Monaco",),
    "MNG": ("Mongolia",),
    "MNE": ("Montenegro",),
    "MAR": ("Morocco",),
    "MOZ": ("Mozambique",),
    "MMR": ("Myanmar", "Burma"),
    "NAM": ("Namibia",),
    "NRU": ("Nauru",),
    "NPL": ("Nepal",),
    "NLD": ("Netherlands", "The Netherlands", "Holland"),
    "NZL": ("New Zealand",),
    "NIC": ("Nicaragua",),
    "NER": ("Niger",),
    "NGA": ("Nigeria",),
    "MKD": ("North Macedonia", "Macedonia", "Former Yugoslav Republic of Macedonia",
            "Macedonia, the former Yugoslav Republic of"),
    "NOR": ("Norway",),
    "OMN": ("Oman",),
    "PAK": ("Pakistan", "Islamic Republic of Pakistan"),
    "PLW": ("Palau",),
    "PSE": ("Palestine", "State of Palestine", "Occupied Palestinian Territory",
            "Palestinian Territory", "Palestinian Territories"),
    "PAN": ("Panama",),
    "PNG": ("Papua New Guinea",),
    "PRY": ("Paraguay",),
    "PER": ("Peru",),
    "PHL": ("Philippines",),
    "POL": ("Poland",),
    "PRT": ("Portugal",),
    "QAT": ("Qatar",),
    "ROU": ("Romania",),
    "RUS": ("Russia", "Russian Federation"),
    "RWA": ("Rwanda",),
    "KNA": ("Saint Kitts and Nevis",),
    "LCA": ("Saint Lucia",),
    "VCT": ("Saint Vincent and the Grenadines",),
    "WSM": ("Samoa",),
    "SMR": ("San Marino",),
    "STP": ("Sao Tome and Principe",),
    "SAU": ("Saudi Arabia",),
    "SEN": ("Senegal",),
    "SRB": ("Serbia",),
    "SYC": ("Seychelles",),
    "SLE": ("Sierra Leone",),
    "SGP": ("Singapore",),
    "SVK": ("Slovakia",),
    "SVN": ("Slovenia",),
    "SLB": ("Solomon Islands",),
    "SOM": ("Somalia",),
    "ZAF": ("South Africa",),
    "SSD": ("South Sudan",),
    "ESP": ("Spain",),
    "LKA": ("Sri Lanka",),
    "SDN": ("Sudan",),
    "SUR": ("Suriname",),
    "SWE": ("Sweden",),
    "CHE": ("Switzerland",),
    "SYR": ("Syria", "Syrian Arab Republic"),
    "TWN": ("Taiwan", "Republic of China", "Taiwan, Province of China"),
    "TJK": ("Tajikistan",),
    "TZA": ("Tanzania", "United Republic of Tanzania", "Tanzania, United Republic of"),
    "THA": ("Thailand",),
    "TLS": ("Timor-Leste", "East Timor"),
    "TGO": ("Togo",),
    "TON": ("Tonga",),
    "TTO": ("Trinidad and Tobago",),
    "TUN": ("Tunisia",),
    "TUR": ("Turkey", "Türkiye", "Turkiye"),
    "TKM": ("Turkmenistan",),
    "TUV": ("Tuvalu",),
    "UGA": ("Uganda",),
    "UKR": ("Ukraine",),
    "ARE": ("United Arab Emirates", "UAE"),
    "GBR": ("United Kingdom", "UK", "Great Britain", "Britain",
            "United Kingdom of Great Britain and Northern Ireland"),
    "USA": ("United States", "United States of America", "US", "U.S."),
    "URY": ("Uruguay",),
    "UZB": ("Uzbekistan",),
    "VUT": ("Vanuatu",),
    "VEN": ("Venezuela", "Venezuela (Bolivarian Republic of)", "Bolivarian Republic of Venezuela"),
    "VNM": ("Vietnam", "Viet Nam"),
    "YEM": ("Yemen",),
    "ZMB": ("Zambia",),
    "ZWE": ("Zimbabwe",),
}


def _name_key(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").split()).casefold()


_NAME_TO_ISO3: dict[str, str] = {
    _name_key(name): code for code, names in COUNTRY_NAMES.items() for name in names
}
_ISO3 = re.compile(r"^[A-Z]{3}$")


def country_code(name: str) -> str | None:
    """ISO3 code of a country name (or of an ISO3 code itself); None if unknown."""
    name = name.strip().strip('"')
    if _ISO3.match(name):
        return name
    return _NAME_TO_ISO3.get(_name_key(name))


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class RawEvent:
    """One event record as read from a GDELT or ICEWS file."""

    ident: str
    day: dt.date
    source: str | None       # ISO3, or None when not a known state
    target: str | None
    code: str                # CAMEO event code, 3-4 digits
    goldstein: float | None
    mentions: int | None     # GDELT NumMentions; None for ICEWS
    source_name: str
    target_name: str
    doc: str                 # input file name
    where: str               # file:line


def _open_text(path: Path) -> io.TextIOBase:
    """A text stream of a plain, .gz or single-member .zip file."""
    check_file(path, "the path of the event file", MAX_EVENT_FILE_CHARS)
    try:
        if path.suffix.lower() == ".zip":
            archive = zipfile.ZipFile(path)
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) != 1:
                raise InputError(path, "path", f"the zip archive holds {len(members)} files; "
                                 "give one event file per archive or unzip it first")
            raw = archive.open(members[0])
        elif path.suffix.lower() == ".gz":
            raw = gzip.open(path)
        else:
            raw = path.open("rb")
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(path, "path", f"cannot read the file ({exc})") from None
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn a failure while reading a file (a truncated or fake archive, a disk error)
    into one line naming it."""
    try:
        yield
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(path, "path", f"cannot be read to its end ({reason}); the file is "
                         "damaged or not what its name says: fetch it again") from None


def bounded_lines(handle: io.TextIOBase, where: Path | str, max_line: int | None = None,
                  kind: str = "an event file") -> Iterator[str]:
    """The lines of an event file (or another file of lines, `kind`), each at most
    `max_line` (default MAX_LINE_CHARS) characters long, all together at most
    MAX_EVENT_FILE_CHARS and MAX_EVENT_FILE_LINES of them (a small archive can expand
    without end, into a few long lines or into billions of blank ones)."""
    max_line = MAX_LINE_CHARS if max_line is None else max_line
    total = 0
    for number in itertools.count(1):
        line = handle.readline(max_line + 1)
        if not line:
            return
        total += len(line)
        if len(line) > max_line:
            raise InputError(f"{where}:{number}", "line", f"longer than {max_line} "
                             f"characters; this is not {kind} (or it is damaged)")
        if total > MAX_EVENT_FILE_CHARS:
            raise InputError(f"{where}:{number}", "size", f"more than {MAX_EVENT_FILE_CHARS // 2**30}"
                             " GiB of text once decompressed; split the file (e.g. by year)")
        if number > MAX_EVENT_FILE_LINES:
            raise InputError(f"{where}:{number}", "lines", f"more than {MAX_EVENT_FILE_LINES:,} "
                             "lines once decompressed; split the file (e.g. by year)")
        yield line


_DAY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


def _parse_day(text: str, where: str, field_name: str) -> dt.date:
    text = text.strip().strip('"')
    match = _DAY.match(text)
    if match and len(text) in (8, 10) and (len(text) == 8) == ("-" not in text):
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise InputError(where, field_name, f"'{text}' is not a date; expected YYYYMMDD or "
                     "YYYY-MM-DD (is this the right file format?)")


def _parse_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _parse_code(text: str, where: str, field_name: str) -> str:
    code = normalise_cameo(text)
    if code is None:
        raise InputError(where, field_name, f"'{text.strip()}' is not a CAMEO event code "
                         "(3-4 digits); is this the right file format?")
    return code


def read_gdelt(path: Path | str) -> Iterator[tuple[str, RawEvent]]:
    """Events of a GDELT 1.0 or 2.0 event file -> (version label, event) per line."""
    path = Path(path)
    with _open_text(path) as handle, _reading(path):
        for line_no, line in enumerate(bounded_lines(handle, path), start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            fields = line.split("\t")
            layout = GDELT_LAYOUTS.get(len(fields))
            if layout is None:
                raise InputError(where, "columns", f"{len(fields)} tab-separated fields; a GDELT "
                                 "event file has 57 (GDELT 1.0, 58 with SOURCEURL) or 61 "
                                 "(GDELT 2.0); use --format icews for ICEWS files")
            value = {name: fields[k].strip() for name, k in _GDELT_INDEX.items()}
            ident = value["GlobalEventID"]
            if not ident:
                raise InputError(where, "GlobalEventID", "empty; every GDELT event has an id")
            day = _parse_day(value["SQLDATE"], where, "SQLDATE")
            code = _parse_code(value["EventCode"], where, "EventCode")
            mentions_text = value["NumMentions"]
            if not mentions_text.isdigit():
                raise InputError(where, "NumMentions", f"'{mentions_text}' is not a count of "
                                 "mentions (a whole number)")
            yield layout[0], RawEvent(
                ident=f"gdelt:{ident}", day=day,
                source=country_code(value["Actor1CountryCode"]) if value["Actor1CountryCode"]
                else None,
                target=country_code(value["Actor2CountryCode"]) if value["Actor2CountryCode"]
                else None,
                code=code, goldstein=_parse_float(value["GoldsteinScale"]),
                mentions=int(mentions_text), source_name=value["Actor1Name"],
                target_name=value["Actor2Name"], doc=path.name, where=where)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text


def read_icews(path: Path | str) -> Iterator[tuple[str, RawEvent]]:
    """Events of an ICEWS event file (tab-separated, with header) -> ("ICEWS", event)."""
    path = Path(path)
    with _open_text(path) as handle, _reading(path):
        # one record per physical line; quotes around a whole field (as some exports
        # write them) are removed, quotes inside names are left alone
        reader = csv.reader(bounded_lines(handle, path), delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [_unquote(name.lstrip("\ufeff")) for name in next(reader, [])]
        missing = [name for name in ICEWS_REQUIRED if name not in header]
        if missing:
            raise InputError(f"{path}:1", "header", f"missing column(s) {', '.join(missing)}; "
                             "an ICEWS event file is tab-separated with a header row (Event ID, "
                             "Event Date, Source Name, ...); use --format gdelt for GDELT files")
        index = {name: header.index(name) for name in header}

        def get(row: list[str], name: str) -> str:
            k = index.get(name)
            return _unquote(row[k]) if k is not None else ""

        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            where = f"{path}:{reader.line_num}"
            if len(row) != len(header):
                raise InputError(where, "columns", f"{len(row)} tab-separated fields; the header "
                                 f"has {len(header)}")
            raw_id = get(row, "Event ID")
            if not raw_id:
                raise InputError(where, "Event ID", "empty; every ICEWS event has an id")
            day = _parse_day(get(row, "Event Date"), where, "Event Date")
            code = _parse_code(get(row, "CAMEO Code"), where, "CAMEO Code")
            text = get(row, "Event Text")
            yield "ICEWS", RawEvent(
                ident=f"icews:{raw_id}", day=day,
                source=country_code(get(row, "Source Country")) or None,
                target=country_code(get(row, "Target Country")) or None,
                code=code, goldstein=_parse_float(get(row, "Intensity")), mentions=None,
                source_name=get(row, "Source Name"),
                target_name=get(row, "Target Name") + (f": {text}" if text else ""),
                doc=path.name, where=where)


# --- import ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    """Catalogue rows and how many input events went where."""

    rows: list[dict] = field(default_factory=list)
    states: tuple[str, ...] = ()
    versions: Counter = field(default_factory=Counter)   # format label -> events read
    read: int = 0
    kept: int = 0
    out_of_scope: int = 0
    duplicates: int = 0
    unmapped: Counter = field(default_factory=Counter)   # CAMEO root -> events
    kept_types: Counter = field(default_factory=Counter)

    @property
    def unmapped_total(self) -> int:
        return sum(self.unmapped.values())


def _fmt(value: float) -> str:
    return f"{value:g}"


def _event_row(event: RawEvent, kind: str, weight: str) -> dict:
    note = [f"CAMEO {event.code}"]
    if event.goldstein is not None:
        note.append(f"Goldstein {_fmt(event.goldstein)}")
    if event.mentions is not None:
        note.append(f"{event.mentions} mention{'s' if event.mentions != 1 else ''}")
    if event.source_name or event.target_name:
        note.append(f"{event.source_name or '?'} -> {event.target_name or '?'}")
    return {
        "id": event.ident,
        "date": event.day.isoformat(),
        "date_precision": "day",
        "source": event.source,
        "target": event.target,
        "type": kind,
        "magnitude": event.mentions if weight == "mentions" else 1,
        "unit": "count" if weight == "mentions" else "level",
        "cameo": event.code,
        "source_doc": event.doc,
        "note": "; ".join(note),
    }


def _doc_label(docs: list[str]) -> str:
    unique = list(dict.fromkeys(docs))
    if len(unique) <= 3:
        return "; ".join(unique)
    return f"{unique[0]} .. {unique[-1]} ({len(unique)} files)"


def _aggregate_rows(kept: list[tuple[RawEvent, str]], weight: str, prefix: str) -> list[dict]:
    groups: dict[tuple[str, str, str, str], list[RawEvent]] = {}
    for event, kind in kept:
        key = (f"{event.day.year:04d}-{event.day.month:02d}", event.source, event.target, kind)
        groups.setdefault(key, []).append(event)
    rows = []
    for (month, source, target, kind), events in sorted(groups.items()):
        codes = Counter(event.code for event in events)
        # most frequent code; among equals, the smallest, so the result is deterministic
        cameo = min(codes, key=lambda code: (-codes[code], code))
        n = len(events)
        note = [f"{n} event{'s' if n != 1 else ''} aggregated",
                "CAMEO " + ", ".join(f"{code} x{count}" for code, count in
                                     sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])))]
        values = [event.goldstein for event in events if event.goldstein is not None]
        if values:
            note.append(f"mean Goldstein {sum(values) / len(values):.2f}")
        mentions = sum(event.mentions or 0 for event in events)
        if any(event.mentions is not None for event in events):
            note.append(f"{mentions} mentions")
        rows.append({
            "id": f"{prefix}:{month}:{source}:{target}:{kind}",
            "date": month,
            "date_precision": "month",
            "source": source,
            "target": target,
            "type": kind,
            "magnitude": mentions if weight == "mentions" else n,
            "unit": "count",
            "cameo": cameo,
            "source_doc": _doc_label([event.doc for event in events]),
            "note": "; ".join(note),
        })
    return rows


def import_events(paths: Sequence[Path | str] | Path | str, fmt: str,
                  states: Iterable[str] = DEFAULT_STATES, *, weight: str = "events",
                  aggregate: str | None = None,
                  reader: Callable[[Path | str], Iterator[tuple[str, RawEvent]]] | None = None,
                  ) -> ImportResult:
    """Read GDELT or ICEWS event files into catalogue rows among `states`.

    `fmt` is "gdelt" (1.0 and 2.0, told apart by the number of fields), "icews" or
    "icews-tkg" (the ICEWS05-15 benchmark, a .zip or folder: its `reader` is
    `sim.data.measured.icews_import.benchmark_events`, which this layer does not import);
    `weight` "events" (magnitude 1 per event) or "mentions" (GDELT NumMentions);
    `aggregate` None (one row per event) or "month".
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if fmt not in FORMATS:
        raise InputError("--format", "format", f"'{fmt}' is not one of {', '.join(FORMATS)}")
    if weight not in WEIGHTS:
        raise InputError("--weight", "weight", f"'{weight}' is not one of {', '.join(WEIGHTS)}")
    if weight == "mentions" and fmt != "gdelt":
        raise InputError("--weight", "weight", "ICEWS files carry no mention counts; "
                         "use --weight events")
    if aggregate is not None and aggregate not in AGGREGATES:
        raise InputError("--aggregate", "aggregate",
                         f"'{aggregate}' is not one of {', '.join(AGGREGATES)}")
    if not paths:
        raise InputError("import", "FILE", "no event file given")
    result = ImportResult(states=tuple(states))
    scope = set(result.states)
    reader = reader or {"gdelt": read_gdelt, "icews": read_icews}.get(fmt)
    if reader is None:
        raise InputError("--format", "format", f"'{fmt}' needs its reader (icews-tkg: "
                         "sim.data.measured.icews_import.benchmark_events)")
    kept: list[tuple[RawEvent, str]] = []
    first_day: dict[str, dt.date] = {}
    seen: set[tuple[str, dt.date]] = set()
    for path in paths:
        for version, event in reader(path):
            result.read += 1
            result.versions[version] += 1
            if (event.ident, event.day) in seen:
                result.duplicates += 1
                continue
            seen.add((event.ident, event.day))
            if first_day.setdefault(event.ident, event.day) != event.day:
                # an id that recurs on another date (ICEWS "Event ID" does) is another event
                event = replace(event, ident=f"{event.ident}:{event.day.isoformat()}")
            if (event.source not in scope or event.target not in scope
                    or event.source == event.target):
                result.out_of_scope += 1
                continue
            kind = cameo_type(event.code)
            if kind is None:
                result.unmapped[event.code[:2]] += 1
                continue
            kept.append((event, kind))
            result.kept_types[kind] += 1
    result.kept = len(kept)
    if aggregate == "month":
        result.rows = _aggregate_rows(kept, weight, fmt)
    else:
        kept.sort(key=lambda pair: pair[0].day)
        result.rows = [_event_row(event, kind, weight) for event, kind in kept]
    return result


# the ids an import gives its events: the source, a colon, then its own id (gdelt:1001,
# icews:20001, sipri:2015:RUS:PAK, usaid-cut:FY2018:PAK); a catalogue written by hand names
# its events in words (raymond_davis_shooting_2011)
IMPORTED_ID = re.compile(r"^[a-z][a-z0-9-]*:\S")


def check_output(out: Path) -> None:
    """Refuse an output path that would lose data: a directory, or an existing file that is
    not a catalogue an import wrote (its first line the header, every event's id that of an
    import, IMPORTED_ID). The command refuses an output that is one of its inputs before
    this."""
    if out.is_dir():
        raise InputError(out, "-o", "is a directory; give the path of a .csv file")
    if not out.exists():
        return
    if not out.is_file():
        raise InputError(out, "-o", "is not a regular file; give the path of a .csv file")
    refuse = ("exists and is not a catalogue written by this import; choose a new path, or "
              "remove the file first")
    try:
        text = read_text(out, "-o")
    except InputError:
        raise InputError(out, "-o", refuse) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    if next(rows, None) != list(CATALOGUE_COLUMNS):
        raise InputError(out, "-o", refuse)
    for row in rows:
        if row and not IMPORTED_ID.match(row[0]):
            raise InputError(out, "-o", f"exists and holds events not made by an import (line "
                             f"{rows.line_num}: '{row[0]}'); choose a new path, or remove the "
                             "file first")


def write_catalogue(rows: Sequence[dict], out: Path | str,
                    codes: Iterable[str] | None = None) -> Path:
    """Write catalogue rows to `out` atomically, after checking them as `load_catalogue`
    would read them (so a file that appears is always a valid catalogue). `out` is refused
    where check_output says."""
    out = Path(out)
    check_output(out)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(CATALOGUE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    parse_catalogue(text.getvalue(), out, codes)
    atomic_write(out, lambda temp: temp.write_text(text.getvalue(), encoding="utf-8", newline=""))
    return out


# --- states ---------------------------------------------------------------------------

def read_actor_codes(path: Path | str) -> list[str]:
    """State codes of an actors YAML file (`actors: [{code: ..., ...}, ...]`)."""
    path = Path(path)
    actors = read_yaml(path, "--actors / data.actors").get("actors")
    if not isinstance(actors, list) or not actors:
        raise InputError(path, "actors", "expected a list under 'actors:' with one entry "
                         "per state, each with a 'code'")
    codes = []
    for k, actor in enumerate(actors):
        code = actor.get("code") if isinstance(actor, dict) else None
        if not isinstance(code, str) or not STATE_CODE.match(code.strip()):
            raise InputError(path, f"actors[{k}].code", f"'{code}' is not a state code; use "
                             "ISO3 (e.g. PAK) or a short upper-case code")
        codes.append(code.strip())
    return list(dict.fromkeys(codes))


def parse_states(text: str) -> list[str]:
    """'USA,PAK,RUS' -> ['USA', 'PAK', 'RUS']."""
    codes = [part.strip() for part in text.split(",") if part.strip()]
    bad = [code for code in codes if not STATE_CODE.match(code)]
    if bad or len(codes) < 2:
        raise InputError("--states", "states", f"'{text}' must list at least two state codes, "
                         "comma-separated, upper-case (e.g. USA,PAK,RUS,CHN,IND)")
    return list(dict.fromkeys(codes))
