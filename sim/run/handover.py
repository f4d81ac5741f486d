"""How a run combines the record with the states' own actions.

The record is what happened: the variant that replays it (a scenario's `history`) keeps
every recorded event. From a hand-over month on, the states also choose actions of their
own (sim.model.actions) in every variant, on common random numbers. In a counterfactual variant
the record's later choices (events of the kinds the states choose, sim.data.eventtypes
.CHOSEN_TYPES) are not taken as given: each is kept with probability min(1, l / l_h),
where l and l_h are the intensities of its pair and type in the counterfactual and in the
history at that step (thinning, Lewis & Shedler 1979): a visit that the lever made more
likely is less likely without it. Sanctions and incidents are outside shocks throughout,
and so are the events a scenario edits (removes, scales or adds): the lever is exogenous,
the states' answers to it are not.

The hand-over month is `model.agents_from`, or else a scenario's lever date (its first
change if it names none), so reference and scenario share the record up to the lever and differ
after it by the lever and what the states make of it; without a scenario it is the month
after the record's last event, so the history is the record and what follows a forecast.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.data.dates import parse_month
from sim.data.eventtypes import CHOSEN_TYPES
from sim.model.ensemble import Agency
from sim.run.inputs import typical_factors
from sim.run.scenario import Schedules


def handover_month(cfg: DictConfig, schedules: Schedules, catalogue: pd.DataFrame) -> int:
    """The month from which the states choose (see the module docstring)."""
    if cfg.model.agents_from is not None:
        return parse_month(cfg.model.agents_from, "config", "model.agents_from")
    if schedules.lever is not None:
        return schedules.lever
    return int(catalogue["month"].max()) + 1 if len(catalogue) else 0


def hand_over(schedules: Schedules, month: int) -> Schedules:
    """The schedules with the `thin` column: 1 for the recorded choices from `month` on in
    the variants that do not replay the record."""
    marked = []
    for name, events in zip(schedules.names, schedules.events, strict=True):
        thin = (events["type"].isin(CHOSEN_TYPES).to_numpy() & (events["month"] >= month).to_numpy()
                & ~events["id"].isin(schedules.edited).to_numpy() & (name != schedules.history))
        marked.append(events.assign(thin=thin.astype(np.int64)))
    return replace(schedules, events=tuple(marked))


def run_agency(month: int, start: int, n_steps: int, schedules: Schedules,
               catalogue: pd.DataFrame, money_ref_usd: float, tiv_ref: float,
               count_window: tuple[int, int] = (0, 0)) -> Agency:
    """The kernel's agency for states that act from `month` on in every variant, with the
    typical size of each type in the record."""
    first = int(np.clip(month - start, 0, n_steps))
    return Agency(typical_factors(catalogue, money_ref_usd, tiv_ref),
                  np.full(len(schedules.names), first, dtype=np.int64), count_window,
                  schedules.names.index(schedules.history))


def variant_agency(setup, variant: str) -> Agency | None:
    """The agency of one variant run alone (the Mesa model), or None if the states never act:
    alone, a variant is its own history and thins nothing."""
    if setup.agents_from is None:
        return None
    events = setup.schedules.events[setup.schedules.names.index(variant)]
    alone = replace(setup.schedules, names=(variant,), events=(events,), history=variant)
    return run_agency(setup.agents_from, setup.start, setup.n_steps, alone, setup.catalogue,
                      setup.params["money_ref_usd"], setup.params["tiv_ref"])
