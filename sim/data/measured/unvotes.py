"""UNGA roll-call votes (Voeten's data, from the R package unvotes) as agreement per pair and year.

Source files
------------
`un_votes.rda` (rcid, country, country_code, vote: yes / no / abstain; absences are not
rows) and `un_roll_calls.rda` (rcid, session, date, ...) from the `data/` folder of
github:dgrtwo/unvotes, built from Voeten's UNGA voting data (Harvard Dataverse
hdl:1902.1/12379, CC0). The year of a roll call is the calendar year of its date (the
package's convention; a session's votes fall mostly in its autumn and December).

Country identity
----------------
Each `country` name becomes an ISO3 code through `sim.data.events.cameo.country_code`, after
spelling is normalised (accents dropped, "&" as "and", "St." as "Saint", "Congo - X" as
"Congo-X") and a few spellings of this file (`ALIASES`). Historical states keep codes of
their own (`HISTORICAL`): ISO 3166-3 codes where ISO withdrew one for the state (CSK, DDR,
YMD, YUG), else the Correlates of War abbreviation (GFR, YAR, ZAN), because ISO gave the
Federal Republic of Germany and North Yemen the codes their successors kept. The file
names the Yugoslav seat "Yugoslavia" to the end; its votes from Montenegro's independence
(2006-06-03) on are Serbia's (SRB). The file names the Soviet seat "Russia" throughout, as
the Correlates of War does (ccode 365): those votes stay RUS. "Taiwan" holds the Republic
of China's votes in China's seat to 1971 (TWN).

Measures (per year, over the roll calls both states voted in)
-------------------------------------------------------------
    votes      n, the number of roll calls both voted in (yes, no or abstain)
    same       how many of them the two voted alike
    distance2  2 * sum |x_a - x_b| with yes = 1, abstain = 1/2, no = 0 (abstain against
               yes or no counts 1, yes against no 2)
    agree      same / n: share of identical votes, yes / no / abstain as three
               categories (the agreement index of Voeten's data)
    s_score    1 - distance2 / n = 1 - 2 * mean |x_a - x_b|: Signorino and Ritter's (1999)
               S on one issue dimension, unweighted, in [-1, 1]; agreement with abstain as
               half, (1 + s_score) / 2, is the same measure on [0, 1].

The committed table holds the exact counts (they compress to less than the shares);
`load_agreement` adds agree and s_score.

Ideal points (`ideal_points`) are the first principal component of each year's vote
matrix (states x roll calls, x as above, a state's missing votes set to the roll call's
mean), standardised within the year and signed so that the United States scores > 0: a
one-dimensional summary of that year's votes, NOT the dynamic ideal points of Bailey,
Strezhnev and Voeten (2017), and not comparable across years.
"""

from __future__ import annotations

import datetime as dt
import gzip
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sim.data.events.cameo import country_code
from sim.data.files import atomic_write
from sim.data.provenance import sha256, source_commit, write_provenance
from sim.data.rda import package_file, read_frame, require_columns
from sim.errors import InputError

VOTES_FILE, ROLL_CALLS_FILE = "un_votes", "un_roll_calls"
FIRST_YEAR, LAST_YEAR = 1946, 2019
POSITION = {"yes": 1.0, "abstain": 0.5, "no": 0.0}
COUNT_COLUMNS = ("year", "state_a", "state_b", "votes", "same", "distance2")
AGREEMENT_COLUMNS = (*COUNT_COLUMNS, "agree", "s_score")
IDEAL_POINT_COLUMNS = ("year", "state", "votes", "pc1")

ALIASES = {
    "Micronesia (Federated States of)": "FSM",
    "Myanmar (Burma)": "MMR",
    "Saint Vincent and Grenadines": "VCT",
}
HISTORICAL = {
    "Czechoslovakia": "CSK",
    "German Democratic Republic": "DDR",
    "Federal Republic of Germany": "GFR",
    "Yemen Arab Republic": "YAR",
    "Yemen People's Republic": "YMD",
    "Yugoslavia": "YUG",
    "Zanzibar": "ZAN",
}
SERBIA_FROM = dt.date(2006, 6, 3)
_EPOCH = dt.date(1970, 1, 1)


def _normalised(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    plain = plain.encode("ascii", "ignore").decode()
    plain = plain.replace("&", "and").replace(" - ", "-")
    return "Saint " + plain[4:] if plain.startswith("St. ") else plain


def state_code(name: str) -> str | None:
    """The code of a country name of the file, or None when it is not known."""
    if name in HISTORICAL:
        return HISTORICAL[name]
    plain = _normalised(name)
    return ALIASES.get(plain) or country_code(plain)


@dataclass(frozen=True)
class Votes:
    """One row per state and roll call: year, rcid, state (code), position (1, 1/2, 0)."""

    table: pd.DataFrame
    unmatched: dict[str, int]  # country names without a code -> their votes (dropped)


def source_file(directory: Path | str, name: str) -> Path:
    return package_file(directory, name, "--unvotes-dir", "unvotes")


def read_votes(directory: Path | str) -> Votes:
    votes_path = source_file(directory, VOTES_FILE)
    calls_path = source_file(directory, ROLL_CALLS_FILE)
    votes = read_frame(votes_path, VOTES_FILE)
    calls = read_frame(calls_path, ROLL_CALLS_FILE)
    require_columns(votes, ("rcid", "country", "vote"), votes_path)
    require_columns(calls, ("rcid", "date"), calls_path)
    days = pd.to_numeric(calls["date"], errors="coerce").astype("float64")  # R Date: days since 1970
    dated = days.notna() & calls["rcid"].notna()
    dates = pd.Timestamp(_EPOCH) + pd.to_timedelta(days[dated], unit="D")
    call_day = dict(zip(calls.loc[dated, "rcid"].astype("int64"), dates.dt.date, strict=True))

    frame = pd.DataFrame({"rcid": pd.to_numeric(votes["rcid"], errors="coerce"),
                          "country": votes["country"].astype("string"),
                          "vote": votes["vote"].astype("string").str.lower()})
    bad = ~frame["vote"].isin(list(POSITION)) | frame["rcid"].isna() | frame["country"].isna()
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(votes_path, "vote", f"row of roll call {row['rcid']} ({row['country']}) "
                         f"has vote {row['vote']!r}; expected yes, no or abstain")
    frame["rcid"] = frame["rcid"].astype("int64")
    unknown_calls = set(frame["rcid"]) - set(call_day)
    if unknown_calls:
        raise InputError(votes_path, "rcid", f"roll call {min(unknown_calls)} is not in "
                         f"{calls_path.name}; use the two files of one release")
    frame["day"] = frame["rcid"].map(call_day)
    codes = {name: state_code(name) for name in frame["country"].unique()}
    frame["state"] = frame["country"].map(codes)
    serbia = (frame["state"] == "YUG") & (frame["day"] >= SERBIA_FROM)
    frame.loc[serbia, "state"] = "SRB"
    unmatched = frame[frame["state"].isna()].groupby("country").size()
    frame = frame.dropna(subset=["state"])
    table = pd.DataFrame({"year": frame["day"].map(lambda day: day.year).astype("int64"),
                          "rcid": frame["rcid"], "state": frame["state"].astype(str),
                          "position": frame["vote"].map(POSITION).astype("float64")})
    duplicate = table.duplicated(["rcid", "state"])
    if duplicate.any():
        row = table[duplicate].iloc[0]
        raise InputError(votes_path, "country", f"{row['state']} votes twice in roll call "
                         f"{row['rcid']}; two names map to one state")
    return Votes(table.reset_index(drop=True), {str(k): int(n) for k, n in unmatched.items()})


def _year_matrix(rows: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """States of one year and their positions, float64[states, roll calls] (NaN: no vote)."""
    wide = rows.pivot(index="state", columns="rcid", values="position").sort_index()
    return list(wide.index), wide.to_numpy(dtype="float64")


def _year_agreement(states: list[str], x: np.ndarray) -> pd.DataFrame:
    yes, abstain, no = ((x == POSITION[name]).astype("float64") for name in ("yes", "abstain", "no"))
    decided = yes + no
    both = (yes + abstain + no) @ (yes + abstain + no).T
    same = yes @ yes.T + abstain @ abstain.T + no @ no.T
    # sum of |x_a - x_b| over the common roll calls: 1/2 for abstain against yes or no, 1 for
    # yes against no
    distance = 0.5 * (abstain @ decided.T + decided @ abstain.T) + yes @ no.T + no @ yes.T
    a, b = np.triu_indices(len(states), k=1)
    keep = both[a, b] > 0
    a, b = a[keep], b[keep]
    codes = np.array(states)
    return pd.DataFrame({"state_a": codes[a], "state_b": codes[b],
                         "votes": np.rint(both[a, b]).astype("int64"),
                         "same": np.rint(same[a, b]).astype("int64"),
                         "distance2": np.rint(2.0 * distance[a, b]).astype("int64")})


def with_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """`agree` = same / votes and `s_score` = 1 - distance2 / votes beside the counts."""
    return counts.assign(agree=counts["same"] / counts["votes"],
                         s_score=1.0 - counts["distance2"] / counts["votes"])


def agreement(votes: pd.DataFrame, first: int = FIRST_YEAR, last: int = LAST_YEAR) -> pd.DataFrame:
    """Vote agreement per unordered pair (state_a < state_b) and year, for the pairs with at
    least one roll call both voted in (`AGREEMENT_COLUMNS`): the exact counts (votes, same:
    identical votes, distance2: twice the summed |x_a - x_b|) and the shares from them."""
    frames = []
    for year, rows in votes[(votes["year"] >= first) & (votes["year"] <= last)].groupby("year"):
        states, x = _year_matrix(rows)
        frames.append(_year_agreement(states, x).assign(year=int(year)))
    if not frames:
        return pd.DataFrame(columns=list(AGREEMENT_COLUMNS))
    table = with_shares(pd.concat(frames, ignore_index=True))
    return table[list(AGREEMENT_COLUMNS)].sort_values(["year", "state_a", "state_b"],
                                                      ignore_index=True)


def _year_ideal_points(states: list[str], x: np.ndarray) -> pd.DataFrame:
    voted = ~np.isnan(x)
    filled = np.where(voted, x, np.nanmean(x, axis=0))
    centred = filled - filled.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    score = u[:, 0] * s[0]
    spread = score.std()
    score = (score - score.mean()) / spread if spread > 0 else np.zeros_like(score)
    if "USA" in states and score[states.index("USA")] < 0:
        score = -score
    return pd.DataFrame({"state": states, "votes": voted.sum(axis=1).astype("int64"), "pc1": score})


def ideal_points(votes: pd.DataFrame, first: int = FIRST_YEAR, last: int = LAST_YEAR) -> pd.DataFrame:
    """Per year and state, the standardised first principal component of the year's vote
    matrix (`IDEAL_POINT_COLUMNS`); years with fewer than two states or roll calls are left out."""
    frames = []
    for year, rows in votes[(votes["year"] >= first) & (votes["year"] <= last)].groupby("year"):
        states, x = _year_matrix(rows)
        if min(x.shape) >= 2:
            frames.append(_year_ideal_points(states, x).assign(year=int(year)))
    if not frames:
        return pd.DataFrame(columns=list(IDEAL_POINT_COLUMNS))
    table = pd.concat(frames, ignore_index=True)
    return table[list(IDEAL_POINT_COLUMNS)].sort_values(["year", "state"], ignore_index=True)


def _read_counts(path: Path, states) -> pd.DataFrame:
    """The rows of the table as read (with `states`, those of their pairs, which keep their
    row numbers of the whole table as index); InputError when the file is not a CSV table
    with `COUNT_COLUMNS`."""
    # an empty code reads as missing, so the check of the pairs refuses it
    options = pa_csv.ConvertOptions(column_types={"state_a": pa.string(), "state_b": pa.string()},
                                    strings_can_be_null=True)
    try:
        table = pa_csv.read_csv(path, convert_options=options)
        names = table.column_names  # a header that is not UTF-8 fails here
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError, EOFError) as err:
        raise InputError(path, "format", f"not a readable CSV ({err}); rebuild the table") from None
    require_columns(pd.DataFrame(columns=names), COUNT_COLUMNS, path)
    if states is None:
        return table.to_pandas()
    wanted = pa.array(list(states), pa.string())
    keep = pc.and_(pc.is_in(table["state_a"], value_set=wanted),
                   pc.is_in(table["state_b"], value_set=wanted))
    rows = table.filter(keep).to_pandas()
    rows.index = pd.RangeIndex(table.num_rows)[keep.to_numpy()]
    return rows


def load_agreement(path: Path | str, states=None) -> pd.DataFrame:
    """The committed agreement table (.csv or .csv.gz: the counts of `COUNT_COLUMNS`), checked,
    with `agree` and `s_score` computed from the counts (`AGREEMENT_COLUMNS`); with `states`,
    only the pairs of those states (the file is read whole, but only their rows are converted,
    checked and computed: a run of five states keeps 0.1% of the rows)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "path", "no such file; rebuild it with "
                         "python -m sim.data.measured votes --unvotes-dir DIR -o data/measured")
    table = _read_counts(path, states)
    counts = {}
    for column in ("year", "votes", "same", "distance2"):
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().any() or (values < 0).any() or (values % 1 != 0).any():
            raise InputError(path, column, "counts must be whole numbers >= 0; rebuild the table")
        counts[column] = values.astype("int64")
    table = table.assign(**counts)
    if (table["votes"] < 1).any() or (table["same"] > table["votes"]).any() \
            or (table["distance2"] > 2 * table["votes"]).any():
        raise InputError(path, "votes", "needs votes >= 1, same <= votes and distance2 <= "
                         "2 * votes on every row; rebuild the table")
    if not (table["state_a"] < table["state_b"]).all():
        raise InputError(path, "state_b", "each pair must be listed once with state_a < state_b")
    return with_shares(table)[list(AGREEMENT_COLUMNS)]


def write_agreement(table: pd.DataFrame, path: Path) -> None:
    """The counts (`COUNT_COLUMNS`) as CSV, gzip-compressed when the name ends in .gz (with no
    timestamp or file name inside, so one input gives one file byte for byte)."""
    data = table[list(COUNT_COLUMNS)].to_csv(index=False, lineterminator="\n").encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    atomic_write(path, lambda temp: Path(temp).write_bytes(data))


def write_ideal_points(table: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda temp: table[list(IDEAL_POINT_COLUMNS)].to_csv(
        temp, index=False, float_format="%.4f", lineterminator="\n"))


AGREEMENT_FILE, IDEAL_POINT_FILE = "unga_agreement.csv.gz", "unga_pc1.csv"
PROVENANCE_FILE = "unga.provenance.yaml"
REPOSITORY = "github:dgrtwo/unvotes"
KNOWN_COMMITS = {
    "7eb7034314ff79c49c9e0785fcd9d216fa04cf14": {
        "data/un_votes.rda": "cf814a48bc536e8f87f8e027942ac515fe6aae9d63cd71dd88ed718b14887e87",
        "data/un_roll_calls.rda": "ff2070ae600cfd32176c6d149637306b9b677d6b910f48bec59a15357d673b4b",
    },
}
REBUILD = "python -m sim.data.measured votes --unvotes-dir DIR -o data/measured"


@dataclass(frozen=True)
class Built:
    agreement: pd.DataFrame
    ideal_points: pd.DataFrame
    unmatched: dict[str, int]
    files: tuple[Path, ...]


def build(directory: Path | str, out: Path | str) -> Built:
    """Read the source files in `directory`, write the agreement table, the ideal points and
    their provenance into the folder `out`."""
    directory, out = Path(directory), Path(out)
    inputs = {f"data/{name}.rda": source_file(directory, name) for name in (VOTES_FILE, ROLL_CALLS_FILE)}
    if out.exists() and not out.is_dir():
        raise InputError(out, "-o", "is a file; give the folder the tables go into")
    if out.resolve() in {path.parent.resolve() for path in inputs.values()}:
        raise InputError(out, "-o", "is the folder of the source files; write the tables elsewhere "
                         "(data/measured)")
    votes = read_votes(directory)
    table, points = agreement(votes.table), ideal_points(votes.table)
    write_agreement(table, out / AGREEMENT_FILE)
    write_ideal_points(points, out / IDEAL_POINT_FILE)
    record = {
        "tables": {
            AGREEMENT_FILE: f"UNGA vote agreement per pair of states and year, {FIRST_YEAR}-"
                            f"{LAST_YEAR}: {', '.join(COUNT_COLUMNS)} (sim.data.measured.unvotes)",
            IDEAL_POINT_FILE: "per year and state, the first principal component of the year's "
                              "vote matrix (not Bailey, Strezhnev & Voeten's ideal points)",
        },
        "source": {
            "repository": REPOSITORY,
            "commit": source_commit(inputs, REPOSITORY, KNOWN_COMMITS),
            "files": {name: sha256(path) for name, path in inputs.items()},
            "terms": "Voeten's data files are dedicated to the public domain (CC0), as the "
                     "package's data-raw/README.md states; the package itself is MIT",
            "attribution": "Erik Voeten, Anton Strezhnev and Michael Bailey, United Nations General "
                           "Assembly Voting Data, Harvard Dataverse, hdl:1902.1/12379; Bailey, "
                           "Strezhnev and Voeten (2017), Estimating Dynamic State Preferences from "
                           "United Nations Voting Data, Journal of Conflict Resolution 61(2); "
                           "R package unvotes by David Robinson",
        },
        "command": REBUILD,
        "counts": {"pair_years": len(table), "states": int(votes.table["state"].nunique()),
                   "roll_calls": int(votes.table["rcid"].nunique()),
                   "state_votes": len(votes.table)},
        "unmatched_names": votes.unmatched,
    }
    write_provenance(out / PROVENANCE_FILE, record)
    return Built(table, points, votes.unmatched,
                 (out / AGREEMENT_FILE, out / IDEAL_POINT_FILE, out / PROVENANCE_FILE))
