"""The actors file: states, their capabilities and the alignment matrix at the start."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from sim.errors import InputError


@dataclass(frozen=True)
class Actors:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    capability: np.ndarray  # float64[N], > 0
    alignment: np.ndarray  # float64[N, N] in [-1, 1], zero diagonal

    @property
    def index(self) -> dict[str, int]:
        return {code: k for k, code in enumerate(self.codes)}


def read_yaml(path: Path, what: str) -> dict:
    if not path.is_file():
        raise InputError(path, "path", f"no such file; check {what}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise InputError(path, "yaml", f"not valid YAML{line}; fix the syntax") from None
    if not isinstance(data, dict):
        raise InputError(path, "top level", "expected a mapping of keys to values")
    return data


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
        try:
            weight = float(entry.get("capability"))
        except (TypeError, ValueError):
            weight = float("nan")
        if not np.isfinite(weight) or weight <= 0:
            raise InputError(where, "capability", f"{entry.get('capability')!r} must be a number > 0")
        codes.append(code)
        names.append(str(entry.get("name", code)))
        capability.append(weight)
    index = {code: k for k, code in enumerate(codes)}
    alignment = np.zeros((len(codes), len(codes)))
    for k, pair in enumerate(data.get("alignment") or []):
        where = f"{path}: alignment[{k}]"
        if not isinstance(pair, dict):
            raise InputError(where, "alignment", "each entry needs source, target and value")
        for field in ("source", "target"):
            if pair.get(field) not in index:
                raise InputError(where, field, f"unknown state {pair.get(field)!r}; "
                                 f"known: {', '.join(codes)}")
        try:
            value = float(pair.get("value"))
        except (TypeError, ValueError):
            value = float("nan")
        if not -1.0 <= value <= 1.0:
            raise InputError(where, "value", f"{pair.get('value')!r} must be a number in [-1, 1]")
        if pair["source"] == pair["target"]:
            raise InputError(where, "target", "a state's alignment toward itself is not used")
        alignment[index[pair["source"]], index[pair["target"]]] = value
    return Actors(tuple(codes), tuple(names), np.array(capability), alignment)
