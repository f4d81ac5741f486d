"""The measured series a run is scored against, for a set of states and a span of months.

Read from the committed derived tables (data/measured/, each with its provenance file):
UN General Assembly vote agreement per pair and year, and ICEWS net cooperation per directed
pair and month. Rows come back tidy: measure, source, target, period ('YYYY' or 'YYYY-MM'),
value, weight (the roll calls or events the value rests on).
"""

from pathlib import Path

import pandas as pd

from sim.data.measured.icews_counts import load_icews_counts
from sim.data.measured.unvotes import load_agreement
from sim.errors import InputError
from sim.paths import PROJECT_ROOT

VOTES = PROJECT_ROOT / "data" / "measured" / "unga_agreement.csv.gz"
EVENTS = PROJECT_ROOT / "data" / "measured" / "icews_counts.csv"
MEASURES = ("unga_agreement", "net_cooperation")
COLUMNS = ("measure", "source", "target", "period", "value", "weight")
SCORED_EVENTS = "icews"  # the id prefix an import gives the events a measured series counts


def check_not_scored(catalogue: pd.DataFrame) -> None:
    """InputError if the record replays the events a measured series counts (ICEWS, whose
    net cooperation is fitted and scored): as inputs they would be scored against themselves."""
    scored = catalogue.loc[catalogue["id"].str.startswith(SCORED_EVENTS), "id"]
    if len(scored):
        raise InputError("data", "events", f"{len(scored)} ICEWS events in the record (as "
                         f"'{scored.iloc[0]}'): net cooperation is measured from them, so they "
                         "cannot also be inputs of a fit or a score; leave data/events/icews.csv out")


def vote_agreement(codes, first_year: int, last_year: int, path: Path = VOTES) -> pd.DataFrame:
    """Agreement of every unordered pair of `codes` (source < target) in each year."""
    table = load_agreement(path, states=codes)
    inside = table["year"].between(first_year, last_year) & (table["votes"] > 0)
    rows = table.loc[inside]
    return pd.DataFrame({
        "measure": "unga_agreement", "source": rows["state_a"], "target": rows["state_b"],
        "period": rows["year"].astype(str), "value": rows["agree"],
        "weight": rows["votes"].astype(float),
    }, columns=list(COLUMNS)).reset_index(drop=True)


def net_cooperation(codes, first_month: str, last_month: str, path: Path = EVENTS) -> pd.DataFrame:
    """Mean Goldstein weight / 10 of the events of each directed pair of `codes` in each month
    that has any (ICEWS, every CAMEO root, state-level events)."""
    table = load_icews_counts(path)
    inside = (table["series"].eq("all") & table["source"].isin(codes) & table["target"].isin(codes)
              & table["month"].between(first_month, last_month))
    sums = (table.loc[inside].groupby(["source", "target", "month"], as_index=False)
            [["count", "goldstein_sum"]].sum())
    return pd.DataFrame({
        "measure": "net_cooperation", "source": sums["source"], "target": sums["target"],
        "period": sums["month"], "value": sums["goldstein_sum"] / (10.0 * sums["count"]),
        "weight": sums["count"].astype(float),
    }, columns=list(COLUMNS)).reset_index(drop=True)


def observed(codes, start: str, end: str) -> pd.DataFrame:
    """Every measured series of the states over the months start..end ('YYYY-MM')."""
    years = int(start[:4]), int(end[:4])
    return pd.concat([vote_agreement(codes, *years), net_cooperation(codes, start, end)],
                     ignore_index=True)
