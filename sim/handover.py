"""How a run combines the record with the states' own actions.

The record is replayed as it happened up to a hand-over month; from then on the states
choose for themselves the kinds of events they choose (sim.eventtypes.CHOSEN_TYPES), and
the record's events of those kinds are dropped. Sanctions and incidents stay outside
shocks throughout, and so do the events a scenario edits (removes, scales or adds) in
either variant: the scenario's lever is exogenous, the states' answers to it are not.

The hand-over month is `model.agents_from`, or else a scenario's date (its first change
if it names none), so reference and scenario share the record up to the lever and differ
after it by the lever and what the states make of it; without a scenario it is the month
after the record's last event, so the history is the record and what follows a forecast.
"""

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.dates import parse_month
from sim.ensemble import Agency, typical_factors
from sim.eventtypes import CHOSEN_TYPES
from sim.scenario import Schedules


def handover_month(cfg: DictConfig, schedules: Schedules, catalogue: pd.DataFrame) -> int:
    """The month from which the states choose (see the module docstring)."""
    if cfg.model.agents_from is not None:
        return parse_month(cfg.model.agents_from, "config", "model.agents_from")
    if cfg.scenario is not None:
        if cfg.scenario.date is not None:
            return parse_month(cfg.scenario.date, f"configs/scenario/{cfg.scenario.name}.yaml",
                               "scenario.date")
        if schedules.first_change is not None:
            return schedules.first_change
    return int(catalogue["month"].max()) + 1 if len(catalogue) else 0


def hand_over(schedules: Schedules, month: int) -> Schedules:
    """The schedules without the recorded events the states choose from `month` on."""
    kept = []
    for events in schedules.events:
        chosen = events["type"].isin(CHOSEN_TYPES).to_numpy()
        later = (events["month"] >= month).to_numpy()
        edited = events["id"].isin(schedules.edited).to_numpy()
        kept.append(events.loc[~(chosen & later & ~edited)].reset_index(drop=True))
    return Schedules(schedules.names, tuple(kept), schedules.first_change, schedules.history,
                     schedules.edited)


def run_agency(month: int, start: int, n_steps: int, n_variants: int, catalogue: pd.DataFrame,
               money_ref_usd: float, count_window: tuple[int, int] = (0, 0)) -> Agency:
    """The kernel's agency for states that act from `month` on in every variant, with the
    typical size of each type in the record."""
    first = int(np.clip(month - start, 0, n_steps))
    return Agency(typical_factors(catalogue, money_ref_usd),
                  np.full(n_variants, first, dtype=np.int64), count_window)
