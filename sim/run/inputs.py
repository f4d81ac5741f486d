"""From a run's setup to the kernel's arrays: the event schedule and the parameter rows."""

import numpy as np
import pandas as pd

from sim.data.eventtypes import TYPE_INDEX, TYPE_NAMES
from sim.model.ensemble import Schedule
from sim.model.params import PARAM_NAMES


def event_factor(magnitude: np.ndarray, unit: np.ndarray, money_ref_usd: float,
                 tiv_ref: float) -> np.ndarray:
    """Concave in money, 1 + log10(1 + usd / money_ref_usd), and in arms deliveries,
    1 + log10(1 + tiv / tiv_ref); a level or a count counts as itself."""
    ref = np.select([unit == "usd", unit == "tiv"], [money_ref_usd, tiv_ref], default=0.0)
    scaled = ref > 0
    return np.where(scaled, 1.0 + np.log10(1.0 + magnitude / np.where(scaled, ref, 1.0)), magnitude)


def build_schedule(variants: list[pd.DataFrame], index: dict[str, int], start: int, n_steps: int,
                   money_ref_usd: float, tiv_ref: float) -> Schedule:
    """Events dated in month start + t act in step t (date t -> t + 1); others are left out."""
    ptr = np.zeros((len(variants), n_steps + 1), dtype=np.int64)
    parts = []
    offset = 0
    for v, events in enumerate(variants):
        step = events["month"].to_numpy(dtype=np.int64) - start
        inside = events.loc[(step >= 0) & (step < n_steps)]
        step = inside["month"].to_numpy(dtype=np.int64) - start
        counts = np.bincount(step, minlength=n_steps)
        ptr[v] = offset + np.concatenate([[0], np.cumsum(counts)])
        offset = ptr[v, -1]
        parts.append(inside)
    events = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return Schedule(
        ptr,
        events["target"].map(index).to_numpy(dtype=np.int64),
        events["source"].map(index).to_numpy(dtype=np.int64),
        events["type"].map(TYPE_INDEX).to_numpy(dtype=np.int64),
        event_factor(events["magnitude"].to_numpy(dtype=float), events["unit"].to_numpy(),
                     money_ref_usd, tiv_ref),
        (events["thin"].to_numpy(dtype=np.int64) if "thin" in events
         else np.zeros(len(events), dtype=np.int64)),
    )




def parameter_row(params: dict) -> tuple[np.ndarray, np.ndarray]:
    """One parameter set (a mapping with PARAM_NAMES, `action_rates` and `weights`) -> its
    kernel rows: rates float64[len(RATE_COLUMNS)] (a type without an action rate is never
    chosen) and weights float64[K]."""
    action_rates = params.get("action_rates") or {}
    rates = [float(params[name]) for name in PARAM_NAMES]
    rates += [float(action_rates.get(name, 0.0)) for name in TYPE_NAMES]
    return np.array(rates), np.array([float(params["weights"][name]) for name in TYPE_NAMES])


def parameter_rows(params: list[dict], replicates_each: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameter sets -> per-replicate arrays (parameter_row), each set repeated for
    `replicates_each` consecutive replicates."""
    rows = [parameter_row(p) for p in params]
    rates = np.array([rate for rate, _ in rows])
    weights = np.array([weight for _, weight in rows])
    return np.repeat(rates, replicates_each, axis=0), np.repeat(weights, replicates_each, axis=0)


def typical_factors(catalogue: pd.DataFrame, money_ref_usd: float, tiv_ref: float) -> np.ndarray:
    """float64[K]: the median factor of the recorded events of each type (1 for a type the
    record lacks): the size of an action the states choose."""
    factors = event_factor(catalogue["magnitude"].to_numpy(dtype=float),
                           catalogue["unit"].to_numpy(), money_ref_usd, tiv_ref)
    out = np.ones(len(TYPE_NAMES))
    for name, k in TYPE_INDEX.items():
        of_type = factors[(catalogue["type"] == name).to_numpy()]
        if len(of_type):
            out[k] = float(np.median(of_type))
    return out
