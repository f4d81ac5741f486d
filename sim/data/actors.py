"""The actors file: states, their capabilities and the alignment matrix at the start.

The matrix is listed in the YAML (`alignment:` entries of source, target, value) or, for
large actor sets, in a CSV beside it named by `alignment_file:` (columns source, target,
value and any others, such as origin), inside the actors file's folder. A YAML list of the
world's 37,056 pairs takes about 40 s to parse; the CSV a fraction of a second.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.data.files import number, read_text, read_yaml
from sim.errors import InputError

# Each capability at least this share of their total, which lies in this range: the
# balance term's denominators (total less two states) then keep 1e-6 relative accuracy.
MIN_CAPABILITY_SHARE = 1e-9
CAPABILITY_TOTAL = (1e-100, 1e100)


@dataclass(frozen=True)
class Actors:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    capability: np.ndarray  # float64[N], > 0
    alignment: np.ndarray  # float64[N, N] in [-1, 1], zero diagonal

    @property
    def index(self) -> dict[str, int]:
        return {code: k for k, code in enumerate(self.codes)}


def load_actors(path: Path | str) -> Actors:
    path = Path(path)
    data = read_yaml(path, "data.actors")
    entries = data.get("actors")
    if not isinstance(entries, list) or len(entries) < 2:
        raise InputError(path, "actors", "list at least two states, each with code, name, capability")
    codes, names, capability = [], [], []
    for k, entry in enumerate(entries):
        where = f"{path}: actors[{k}]"
        if not isinstance(entry, dict) or "code" not in entry:
            raise InputError(where, "code", "each state needs a code (ISO3 or short upper-case)")
        code = str(entry["code"])
        if not code.isupper() or not 2 <= len(code) <= 6 or code in codes:
            raise InputError(where, "code", f"'{code}' must be a unique upper-case code of 2-6 letters")
        weight = number(entry.get("capability"))
        if weight is None or not np.isfinite(weight) or weight <= 0:
            raise InputError(where, "capability", f"{entry.get('capability')!r} must be a number > 0")
        codes.append(code)
        names.append(str(entry.get("name", code)))
        capability.append(weight)
    check_capabilities(np.array(capability), codes, path)
    alignment = read_alignment(data, path, codes)
    return Actors(tuple(codes), tuple(names), np.array(capability), alignment)


def check_capabilities(capability: np.ndarray, codes: list[str], path: Path) -> None:
    """Capabilities are relative weights; the balance term divides by sums of them less
    two, so each must be a fair share of the total for those sums to stay exact."""
    total = capability.sum()
    if not CAPABILITY_TOTAL[0] <= total <= CAPABILITY_TOTAL[1]:
        raise InputError(path, "capability", f"the capabilities add up to {total:g}; scale them "
                         f"so that they add up to between {CAPABILITY_TOTAL[0]:g} and "
                         f"{CAPABILITY_TOTAL[1]:g} (shares such as CINC scores do)")
    k = int(np.argmin(capability))
    if capability[k] < MIN_CAPABILITY_SHARE * total:
        raise InputError(f"{path}: actors[{k}]", "capability",
                         f"{capability[k]:g} ({codes[k]}) is less than {MIN_CAPABILITY_SHARE:g} of "
                         f"the total {total:g}; raise it or leave the state out")


def read_alignment(data: dict, path: Path, codes: list[str]) -> np.ndarray:
    """The initial matrix: every ordered pair listed once, or `alignment_default` for the
    pairs not listed."""
    index = {code: k for k, code in enumerate(codes)}
    given = data.get("alignment_default")
    default = None if given is None else number(given)
    if given is not None and (default is None or not -1.0 <= default <= 1.0):
        raise InputError(path, "alignment_default", f"{given!r} must be a number in [-1, 1]")
    alignment = np.full((len(codes), len(codes)), np.nan)
    for where, pair in alignment_entries(data, path):
        if not isinstance(pair, dict):
            raise InputError(where, "alignment", "each entry needs source, target and value")
        for field in ("source", "target"):
            if pair.get(field) not in index:
                known = ", ".join(codes) if len(codes) <= 12 else f"the {len(codes)} codes under actors"
                raise InputError(where, field, f"unknown state {pair.get(field)!r}; known: {known}")
        value = number(pair.get("value"))
        if value is None or not -1.0 <= value <= 1.0:
            raise InputError(where, "value", f"{pair.get('value')!r} must be a number in [-1, 1]")
        if pair["source"] == pair["target"]:
            raise InputError(where, "target", "a state's alignment toward itself is not used")
        i, j = index[pair["source"]], index[pair["target"]]
        if not np.isnan(alignment[i, j]):
            raise InputError(where, "target", f"{pair['source']} -> {pair['target']} is listed "
                             "twice; keep one value")
        alignment[i, j] = value
    np.fill_diagonal(alignment, 0.0)
    missing = np.isnan(alignment)
    if not missing.any():
        return alignment
    if default is None:
        i, j = np.argwhere(missing)[0]
        raise InputError(path, "alignment", f"no value for {codes[i]} -> {codes[j]} "
                         f"({missing.sum()} of {len(codes) * (len(codes) - 1)} ordered pairs "
                         "missing); list every pair, or set alignment_default for those not listed")
    alignment[missing] = default
    return alignment


def alignment_entries(data: dict, path: Path) -> list[tuple[str, object]]:
    """(where, entry) for each listed pair: from the YAML's `alignment` list or from the CSV
    that `alignment_file` names."""
    if data.get("alignment_file") is None:
        entries = data.get("alignment") or []
        if not isinstance(entries, list):
            raise InputError(path, "alignment", "expected a list of {source, target, value}")
        return [(f"{path}: alignment[{k}]", pair) for k, pair in enumerate(entries)]
    if data.get("alignment") is not None:
        raise InputError(path, "alignment_file", "give the pairs either under alignment or in "
                         "alignment_file, not both")
    table = alignment_file(data["alignment_file"], path)
    reader = csv.DictReader(io.StringIO(read_text(table, "alignment_file")))
    missing = [name for name in ("source", "target", "value") if name not in (reader.fieldnames or [])]
    if missing:
        raise InputError(table, "header", f"missing column {', '.join(missing)}; the first line "
                         "must name source, target, value")
    return [(f"{table}: line {reader.line_num}", row) for row in reader]


def alignment_file(name: object, path: Path) -> Path:
    """The CSV `name` resolved in the actors file's folder; paths leaving it are refused."""
    folder = path.resolve().parent
    if not isinstance(name, str) or not name.strip() or not name.endswith(".csv"):
        raise InputError(path, "alignment_file", f"{name!r} must name a .csv file beside {path.name}")
    table = (folder / name).resolve()
    if Path(name).is_absolute() or not table.is_relative_to(folder):
        raise InputError(path, "alignment_file", f"{name!r} leaves the folder of {path.name}; "
                         "put the CSV beside it and give its name")
    if not table.is_file():
        raise InputError(path, "alignment_file", f"no file {name} beside {path.name}")
    return table
