"""Read the ICEWS05-15 temporal-knowledge-graph benchmark (a .zip or its unpacked folder).

The benchmark holds `entity2id.txt` and `relation2id.txt` (name TAB id) and the splits
`train.txt`, `valid.txt`, `test.txt` of quadruples `subject TAB relation TAB object TAB time`
(a fifth column, -1, is ignored). Time is 24 x days since 2005-01-01. Relations are CAMEO
event names; `CAMEO_FILE` (code, name, goldstein, from andybega/icews
data-raw/cameo-codes.csv) turns each into its code and Goldstein weight; a name that is both a
root ("Consult", 04) and its base code (040) takes the base code, as ICEWS codes events.

Zip members are streamed and every line is bounded, so a large or hostile file is read in
constant memory per line; anything malformed stops with one line naming file, line and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sim.data.events.cameo import bounded_lines
from sim.data.files import check_file, read_text
from sim.errors import InputError

CAMEO_FILE = Path(__file__).with_name("cameo_codes.csv")
EPOCH = dt.date(2005, 1, 1)
HOURS_PER_STEP = 24
SPLITS = ("train.txt", "valid.txt", "test.txt")
MAX_LINE = 4096  # characters
MAX_DAYS = 36_500  # a century past 2005-01-01


@dataclass(frozen=True)
class Cameo:
    code: str
    goldstein: float


@dataclass(frozen=True)
class Fact:
    """One quadruple: who did what to whom on which day."""

    source: str
    code: str
    target: str
    day: dt.date


def load_cameo(path: Path | str = CAMEO_FILE) -> dict[str, Cameo]:
    """CAMEO event name (case-folded) -> code and Goldstein weight."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(read_text(path, "the CAMEO table"), newline=""))
    names: dict[str, Cameo] = {}
    for row in reader:
        key = row["name"].strip().casefold()
        entry = Cameo(row["code"].strip(), float(row["goldstein"]))
        if key not in names or len(entry.code) > len(names[key].code):
            names[key] = entry
    return names


class Benchmark:
    """The files of one benchmark copy, a zip archive or a folder."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if self.path.is_dir():
            self._members = {p.name: p for p in self.path.rglob("*.txt")}
            self._archive = None
        elif self.path.is_file():
            try:
                self._archive = zipfile.ZipFile(self.path)
            except (OSError, zipfile.BadZipFile) as exc:
                raise InputError(self.path, "path", f"not a zip archive ({exc}); give "
                                 "ICEWS0515.zip or its unpacked folder") from None
            self._members = {info.filename.rsplit("/", 1)[-1]: info
                             for info in self._archive.infolist()
                             if not info.is_dir() and "__MACOSX" not in info.filename}
        else:
            check_file(self.path, "the benchmark (ICEWS0515.zip or its unpacked folder)")
        missing = [name for name in ("entity2id.txt", "relation2id.txt") if name not in self._members]
        if missing:
            raise InputError(self.path, "files", f"no {', '.join(missing)} inside; this is not "
                             "a temporal-knowledge-graph benchmark (ICEWS0515)")
        self.splits = tuple(name for name in SPLITS if name in self._members)
        if not self.splits:
            raise InputError(self.path, "files", f"none of {', '.join(SPLITS)} inside")

    def _where(self, member: str) -> str:
        return f"{self.path}/{member}" if self._archive is None else f"{self.path}!{member}"

    def lines(self, member: str) -> Iterator[tuple[str, list[str]]]:
        """(where, tab-separated fields) per non-empty line of a member, streamed."""
        source = self._members[member]
        with self._reading(member):
            raw = source.open("rb") if self._archive is None else self._archive.open(source)
            with io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="") as handle:
                lines = bounded_lines(handle, self._where(member), MAX_LINE, "a benchmark file")
                for line_no, line in enumerate(lines, 1):
                    where = f"{self._where(member)}:{line_no}"
                    line = line.rstrip("\r\n")
                    if line.strip():
                        yield where, line.split("\t")

    @contextmanager
    def _reading(self, member: str) -> Iterator[None]:
        try:
            yield
        except UnicodeDecodeError:
            raise InputError(self._where(member), "encoding", "not UTF-8; fetch the "
                             "benchmark again") from None
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise InputError(self._where(member), "path", f"cannot be read to its end ({reason}); "
                             "the file is damaged: fetch it again") from None

    def names(self, member: str) -> dict[int, str]:
        """id -> name of entity2id.txt or relation2id.txt."""
        names: dict[int, str] = {}
        for where, fields in self.lines(member):
            if len(fields) != 2 or not fields[1].strip().isdigit():
                raise InputError(where, "line", "expected 'name<TAB>id'")
            names[int(fields[1])] = fields[0].strip()
        return names

    def facts(self, cameo: dict[str, Cameo] | None = None) -> Iterator[Fact]:
        """Every quadruple of every split present, as facts with CAMEO codes."""
        cameo = load_cameo() if cameo is None else cameo
        entities = self.names("entity2id.txt")
        codes = {}
        for ident, name in self.names("relation2id.txt").items():
            entry = cameo.get(name.casefold())
            if entry is None:
                raise InputError(f"{self._where('relation2id.txt')}", "relation", f"'{name}' is "
                                 "not a CAMEO event name (see sim/data/measured/cameo_codes.csv)")
            codes[ident] = entry.code
        for split in self.splits:
            for where, fields in self.lines(split):
                yield _fact(fields, where, entities, codes)


def _fact(fields: list[str], where: str, entities: dict[int, str],
          codes: dict[int, str]) -> Fact:
    if len(fields) not in (4, 5) or not all(f.strip().isdigit() for f in fields[:4]):
        raise InputError(where, "quadruple", "expected 'subject<TAB>relation<TAB>object<TAB>time' "
                         "as whole numbers")
    subject, relation, obj, time = (int(f) for f in fields[:4])
    for ident, table, what in ((subject, entities, "subject"), (obj, entities, "object"),
                               (relation, codes, "relation")):
        if ident not in table:
            raise InputError(where, what, f"id {ident} is not in the benchmark's id files")
    if time % HOURS_PER_STEP or time // HOURS_PER_STEP > MAX_DAYS:
        raise InputError(where, "time", f"{time} is not 24 x days since 2005-01-01 (a multiple "
                         f"of {HOURS_PER_STEP}, at most {MAX_DAYS} days)")
    return Fact(entities[subject], codes[relation], entities[obj],
                EPOCH + dt.timedelta(days=time // HOURS_PER_STEP))
