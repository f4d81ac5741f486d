"""A run's parameters: the params set checked against the parameter table, and, with posterior
draws, one parameter row per replicate.

A params file with `draws: PATH` names a CSV table of posterior draws, one column per fitted
value (its dotted path in params) and one row per draw; its own values are the draws'
medians. Replicate r of a run takes draw r mod D, so replicate r is the same in runs of 100
and of 10,000 replicates. A value set on the command line (`params.lam=0.05`) differs from
the median and holds for every replicate; the other values still come from the draws.
"""

import math
from dataclasses import is_dataclass
from typing import get_type_hints

import numpy as np
import pandas as pd

from sim.config.schema import ParamsConfig
from sim.data.eventtypes import CHOSEN_TYPES, TYPE_NAMES
from sim.errors import InputError
from sim.model.ensemble import RATE_COLUMNS
from sim.model.params import ACTION_RATE_RANGE, PARAM_RANGES, WEIGHT_RANGE
from sim.paths import resolve_path
from sim.run.inputs import parameter_rows


def check_params(params: dict, where: str = "config") -> dict:
    """Only the schema's keys (sim.config.schema.ParamsConfig); finite numbers, inside the
    documented ranges; a weight for every event type and none for another."""
    _check_numbers(params, ParamsConfig, "params", where)
    for name in ("money_ref_usd", "tiv_ref"):
        if params.get(name) <= 0:
            raise InputError(where, f"params.{name}", f"{params.get(name)} must be a number > 0")
    weights = params.get("weights") or {}
    for name in TYPE_NAMES:
        value = weights.get(name)
        if not _is_number(value) or not WEIGHT_RANGE[0] <= value <= WEIGHT_RANGE[1]:
            raise InputError(where, f"params.weights.{name}",
                             f"{value} must be a number in {list(WEIGHT_RANGE)} (Goldstein scale)")
    unknown = set(weights) - set(TYPE_NAMES)
    if unknown:
        raise InputError(where, "params.weights", f"unknown event type(s) {sorted(unknown)}")
    action_rates = params.get("action_rates") or {}
    for name, value in action_rates.items():
        if name not in CHOSEN_TYPES:
            raise InputError(where, f"params.action_rates.{name}",
                             f"not a type the states choose; one of {', '.join(CHOSEN_TYPES)}")
        low, high = ACTION_RATE_RANGE
        if not isinstance(value, int | float) or not low <= value <= high:
            raise InputError(where, f"params.action_rates.{name}",
                             f"{value} must be a number in [{low}, {high}] (per month and pair)")
    return params


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_numbers(values: dict, schema: type, prefix: str, where: str) -> None:
    """Every key a field of the dataclass `schema`; every int or float field a finite
    number, inside PARAM_RANGES where that gives a range; nested dataclasses alike."""
    types = get_type_hints(schema)
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise InputError(where, f"{prefix}.{unknown[0]}", f"not a parameter; known: "
                         f"{', '.join(types)}")
    for name, kind in types.items():
        value = values.get(name)
        if is_dataclass(kind) and isinstance(value, dict):
            _check_numbers(value, kind, f"{prefix}.{name}", where)
        elif kind in (int, float):
            low, high = PARAM_RANGES.get(name, (-math.inf, math.inf))
            if not _is_number(value) or not low <= value <= high:
                span = f"in [{low}, {high}]" if name in PARAM_RANGES else "(finite)"
                raise InputError(where, f"{prefix}.{name}", f"{value} must be a number {span}")


def get_path(params: dict, name: str):
    node = params
    for key in name.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def has_value(params: dict, name: str) -> bool:
    """Whether the dotted path names a value of params: a number there, or a new key of a
    mapping there (such as action_rates, whose missing types count as 0)."""
    value = get_path(params, name)
    if value is not None:
        return not isinstance(value, dict)
    parent = get_path(params, name.rpartition(".")[0]) if "." in name else None
    return isinstance(parent, dict)


def with_values(reference: dict, names: list[str], values) -> dict:
    """A copy of the params mapping with each dotted path in names set to its value."""
    out = _copy(reference)
    for name, value in zip(names, values, strict=True):
        *parents, leaf = name.split(".")
        node = out
        for key in parents:
            node = node[key]
        node[leaf] = float(value)
    return out


SIGNIFICANT = 6  # digits of the written draws and medians


def round_significant(values, digits: int = SIGNIFICANT) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.array([float(f"{v:.{digits}g}") for v in values.ravel()]).reshape(values.shape)


def median(column: np.ndarray) -> float:
    """The value a params file shows for a column of draws."""
    return float(round_significant(np.median(column)))


def read_draws(params: dict) -> pd.DataFrame | None:
    """The draws table named by params['draws'] (None without one); its columns must be
    values of params and every draw inside the documented ranges."""
    name = params.get("draws")
    if not name:
        return None
    path = resolve_path(str(name))
    if not path.is_file():
        raise InputError("config", "params.draws", f"no such file {path}; rerun python -m sim.calibrate "
                         "or choose params=point")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise InputError(path, "table", "not a CSV table of draws; rerun python -m sim.calibrate") from None
    if table.empty:
        raise InputError(path, "rows", "no draws; rerun python -m sim.calibrate")
    for column in table.columns:
        if not has_value(params, column):
            raise InputError(path, column, "is not a parameter value of this model; rerun "
                             "python -m sim.calibrate")
        if not np.isfinite(table[column].to_numpy(dtype=float, na_value=np.nan)).all():
            raise InputError(path, column, "holds a missing or non-finite draw")
    names = list(table.columns)
    for row in (table.min(), table.max()):
        check_params(with_values(params, names, row.to_numpy()), str(path))
    return table


def drawn_columns(params: dict, table: pd.DataFrame) -> list[str]:
    """The columns of the draws that vary by replicate; a column whose params value is not the
    draws' median (set on the command line) is held at that value."""
    return [c for c in table.columns if float(get_path(params, c)) == median(table[c].to_numpy())]


# dotted path in params -> (0 for the rates, 1 for the weights, column) of parameter_row's rows
ROW_COLUMNS = {**{name: (0, k) for k, name in enumerate(RATE_COLUMNS)},
               **{f"weights.{name}": (1, k) for k, name in enumerate(TYPE_NAMES)}}


def replicate_rows(params: dict, replicates: int) -> tuple[np.ndarray, ...]:
    """The kernel's per-replicate parameter rows: replicate r takes draw r mod D of the
    posterior params['draws'] names, or the one set params when it names none."""
    table = read_draws(params)
    rows = parameter_rows([params], replicates)
    if table is None:
        return rows
    draw = np.arange(replicates) % len(table)
    for name in drawn_columns(params, table):
        if name in ROW_COLUMNS:  # the others (money_ref_usd, tiv_ref) are not in the rows
            row, column = ROW_COLUMNS[name]
            rows[row][:, column] = table[name].to_numpy(dtype=np.float64)[draw]
    return rows


def _copy(params: dict) -> dict:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in params.items()}
