"""Priors of the calibration: one distribution per fitted value, read from configs/priors.yaml.

A fitted value is named by its dotted path in the params mapping (`lam`, `weights.aid`,
`action_rates.visit`), so a new parameter is fitted by adding its prior entry, without code.
Every prior maps a uniform share u in (0, 1) to a value (its quantile function); the
inference works on the normal scores z = Phi^-1(u), where every prior is a standard normal
and every z is a valid value.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import truncnorm

from sim.data.actors import read_yaml
from sim.errors import InputError
from sim.run.parameters import get_path, has_value, with_values

DISTRIBUTIONS = {"uniform": ("low", "high"), "loguniform": ("low", "high"),
                 "truncnormal": ("mean", "sd", "low", "high")}
U_EDGE = 1e-12  # u is kept inside (0, 1) so that log and quantile functions stay finite


@dataclass(frozen=True)
class Prior:
    name: str  # dotted path in the params mapping
    dist: str
    low: float
    high: float
    mean: float = math.nan  # truncnormal only
    sd: float = math.nan

    def value(self, u: np.ndarray) -> np.ndarray:
        """The quantile function: uniform shares -> values."""
        u = np.clip(u, U_EDGE, 1.0 - U_EDGE)
        if self.dist == "uniform":
            return self.low + u * (self.high - self.low)
        if self.dist == "loguniform":
            return np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return truncnorm.ppf(u, *self._standard_bounds(), loc=self.mean, scale=self.sd)

    def share(self, value: np.ndarray) -> np.ndarray:
        """The distribution function: values -> uniform shares."""
        value = np.clip(value, self.low, self.high)
        if self.dist == "uniform":
            return (value - self.low) / (self.high - self.low)
        if self.dist == "loguniform":
            return (np.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return truncnorm.cdf(value, *self._standard_bounds(), loc=self.mean, scale=self.sd)

    def _standard_bounds(self) -> tuple[float, float]:
        return (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd

    def describe(self) -> str:
        if self.dist == "truncnormal":
            return f"normal({self.mean:g}, {self.sd:g}) on [{self.low:g}, {self.high:g}]"
        return f"{self.dist}[{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Priors:
    entries: tuple[Prior, ...]
    not_in_model: tuple[str, ...]  # entries whose path the params mapping lacks (left out)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def values(self, z: np.ndarray) -> np.ndarray:
        """Normal scores float[S, D] -> values float64[S, D]."""
        u = ndtr(np.asarray(z, dtype=np.float64))
        return np.column_stack([p.value(u[:, k]) for k, p in enumerate(self.entries)])

    def scores(self, values: np.ndarray) -> np.ndarray:
        """Values float[S, D] -> normal scores float64[S, D]."""
        u = np.column_stack([p.share(np.asarray(values, dtype=np.float64)[:, k])
                             for k, p in enumerate(self.entries)])
        return ndtri(np.clip(u, U_EDGE, 1.0 - U_EDGE))

    def param_sets(self, reference: dict, values: np.ndarray) -> list[dict]:
        """One full params mapping per row of values: the reference with the fitted paths set."""
        return [with_values(reference, self.names, row) for row in values]


def _number(entry: dict, key: str, where: str) -> float:
    try:
        value = float(entry.get(key))
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise InputError(where, key, f"{entry.get(key)!r} must be a number")
    return value


def parse_prior(name: str, entry, where: str) -> Prior:
    if not isinstance(entry, dict):
        raise InputError(where, name, "each prior is a mapping like {dist: uniform, low: 0, high: 1}")
    dist = entry.get("dist")
    if dist not in DISTRIBUTIONS:
        raise InputError(where, f"{name}.dist", f"{dist!r} is not one of {', '.join(DISTRIBUTIONS)}")
    extra = sorted(set(entry) - {"dist", *DISTRIBUTIONS[dist]})
    if extra:
        raise InputError(where, name, f"unknown key(s) {extra} for a {dist} prior; it takes "
                         f"{', '.join(DISTRIBUTIONS[dist])}")
    numbers = {key: _number(entry, key, f"{where}: {name}") for key in DISTRIBUTIONS[dist]}
    if not numbers["low"] < numbers["high"]:
        raise InputError(where, f"{name}.low", f"low {numbers['low']} must be below high {numbers['high']}")
    if dist == "loguniform" and numbers["low"] <= 0:
        raise InputError(where, f"{name}.low", f"a loguniform prior needs low > 0, not {numbers['low']}")
    if dist == "truncnormal" and numbers["sd"] <= 0:
        raise InputError(where, f"{name}.sd", f"{numbers['sd']} must be > 0")
    return Prior(name, dist, **numbers)


def load_priors(path: Path | str, reference: dict, check) -> Priors:
    """The priors in `path` whose path the reference params mapping has (has_value; the others
    are listed in not_in_model). `check(params, where)` validates a params mapping (the model's
    documented ranges): each prior's bounds must pass it."""
    path = Path(path)
    data = read_yaml(path, "calibration.priors")
    entries = data.get("priors")
    if not isinstance(entries, dict) or not entries:
        raise InputError(path, "priors", "expected a mapping of parameter names to priors under 'priors'")
    fitted, absent = [], []
    for name, entry in entries.items():
        prior = parse_prior(str(name), entry, str(path))
        if isinstance(get_path(reference, prior.name), dict):
            raise InputError(path, prior.name, "names a group, not a single value; give one prior "
                             "per value (e.g. weights.aid)")
        if has_value(reference, prior.name):
            fitted.append(prior)
        else:
            absent.append(prior.name)
    if not fitted:
        raise InputError(path, "priors", "no entry names a parameter of this model")
    for end in ("low", "high"):
        bounds = [getattr(p, end) for p in fitted]
        try:
            check(with_values(reference, [p.name for p in fitted], bounds), str(path))
        except InputError as err:
            raise InputError(path, f"{err.field.removeprefix('params.')}.{end}",
                             f"outside the documented range: {err.fix}") from None
    return Priors(tuple(fitted), tuple(absent))
