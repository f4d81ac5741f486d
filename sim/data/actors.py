"""The actors file: states, their capabilities and the alignment matrix at the start."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.data.files import read_text, read_yaml
from sim.data.schemas import ActorsFile, AlignmentEntry, check_state_code, validate
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
    data = validate(ActorsFile, read_yaml(path, "data.actors"), path)
    codes = []
    for k, entry in enumerate(data.actors):
        where = f"{path}: actors[{k}]"
        code = check_state_code(entry.code, where)
        if code in codes:
            raise InputError(where, "code", f"'{code}' is listed twice; each state once")
        codes.append(code)
    capability = np.array([entry.capability for entry in data.actors])
    check_capabilities(capability, codes, path)
    alignment = read_alignment(data, path, codes)
    names = tuple(str(code if e.name is None else e.name) for code, e in zip(codes, data.actors,
                                                                            strict=True))
    return Actors(tuple(codes), names, capability, alignment)


def check_capabilities(capability: np.ndarray, codes: list[str], path: Path) -> None:
    """Capabilities are relative weights; the balance term divides by sums of them less
    two, so each must be a fair share of the total for those sums to stay exact."""
    with np.errstate(over="ignore"):  # an infinite total is refused below, in one line
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


def read_alignment(data: ActorsFile, path: Path, codes: list[str]) -> np.ndarray:
    """The initial matrix: every ordered pair listed once, or `alignment_default` for the
    pairs not listed."""
    index = {code: k for k, code in enumerate(codes)}
    alignment = np.full((len(codes), len(codes)), np.nan)
    for where, pair in alignment_entries(data, path):
        for field in ("source", "target"):
            if getattr(pair, field) not in index:
                known = ", ".join(codes) if len(codes) <= 12 else f"the {len(codes)} codes under actors"
                raise InputError(where, field, f"unknown state {getattr(pair, field)!r}; known: {known}")
        if pair.source == pair.target:
            raise InputError(where, "target", "a state's alignment toward itself is not used")
        i, j = index[pair.source], index[pair.target]
        if not np.isnan(alignment[i, j]):
            raise InputError(where, "target", f"{pair.source} -> {pair.target} is listed "
                             "twice; keep one value")
        alignment[i, j] = pair.value
    np.fill_diagonal(alignment, 0.0)
    missing = np.isnan(alignment)
    if not missing.any():
        return alignment
    if data.alignment_default is None:
        i, j = np.argwhere(missing)[0]
        raise InputError(path, "alignment", f"no value for {codes[i]} -> {codes[j]} "
                         f"({missing.sum()} of {len(codes) * (len(codes) - 1)} ordered pairs "
                         "missing); list every pair, or set alignment_default for those not listed")
    alignment[missing] = data.alignment_default
    return alignment


def alignment_entries(data: ActorsFile, path: Path) -> list[tuple[str, AlignmentEntry]]:
    """(where, entry) for each listed pair: from the YAML's `alignment` list or from the CSV
    that `alignment_file` names (columns source, target, value; others are kept as notes)."""
    if data.alignment_file is None:
        return [(f"{path}: alignment[{k}]", pair) for k, pair in enumerate(data.alignment or [])]
    if data.alignment is not None:
        raise InputError(path, "alignment_file", "give the pairs either under alignment or in "
                         "alignment_file, not both")
    table = alignment_file(data.alignment_file, path)
    reader = csv.DictReader(io.StringIO(read_text(table, "alignment_file")))
    missing = [name for name in ("source", "target", "value") if name not in (reader.fieldnames or [])]
    if missing:
        raise InputError(table, "header", f"missing column {', '.join(missing)}; the first line "
                         "must name source, target, value")
    entries = []
    for row in reader:
        where = f"{table}: line {reader.line_num}"
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            raise InputError(where, "value", f"{row['value']!r} must be a number in [-1, 1]") from None
        entries.append((where, validate(AlignmentEntry, {"source": row["source"], "target": row["target"],
                                                         "value": value}, where)))
    return entries


def alignment_file(name: str, path: Path) -> Path:
    """The CSV `name` resolved in the actors file's folder; paths leaving it are refused."""
    folder = path.resolve().parent
    if not name.strip() or not name.endswith(".csv"):
        raise InputError(path, "alignment_file", f"{name!r} must name a .csv file beside {path.name}")
    table = (folder / name).resolve()
    if Path(name).is_absolute() or not table.is_relative_to(folder):
        raise InputError(path, "alignment_file", f"{name!r} leaves the folder of {path.name}; "
                         "put the CSV beside it and give its name")
    if not table.is_file():
        raise InputError(path, "alignment_file", f"no file {name} beside {path.name}")
    return table

