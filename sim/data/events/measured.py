"""The measured inputs of the record (`data.measured`: SIPRI arms deliveries, US aid) and how
they join the hand-coded background, month by month.

Through `data.measured_until` a measured catalogue is the record of every (type, source) it
holds: the background's rows of the same type and source dated up to that month are left out,
since they are what the table measures (the background's yearly US aid to Pakistan is the
flow of the aid table; its arms rows are deals and deliveries of dyads that SIPRI measures;
its 2011 suspension of aid is the fall the obligations show). After that month the measured
rows are left out and the background's stay, so no measured row after it enters a fit and
the record runs on to the seeds' last month. The seed catalogue (`data.events`) is never
thinned: its rows are the articles' dated facts and the scenarios' levers.
"""

import numpy as np
import pandas as pd


def measured_kinds(measured: list[pd.DataFrame]) -> set[tuple[str, str]]:
    """The (type, source) pairs the measured catalogues hold."""
    return {kind for frame in measured for kind in zip(frame["type"], frame["source"], strict=True)}


def measured_rows(frame: pd.DataFrame, until: int) -> np.ndarray:
    """bool[rows]: the measured catalogue's rows that enter the record (dated up to `until`)."""
    return frame["month"].to_numpy() <= until


def background_rows(frame: pd.DataFrame, kinds: set[tuple[str, str]], until: int) -> np.ndarray:
    """bool[rows]: the background's rows that stay (those of a measured (type, source) stay
    only after `until`)."""
    measured = np.array([kind in kinds for kind in zip(frame["type"], frame["source"], strict=True)],
                        dtype=bool)
    return ~measured | (frame["month"].to_numpy() > until)
