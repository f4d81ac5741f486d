"""A scenario's effect, summarised: which pairs and dates to report, exact quantiles over the
paired replicates, and the console table.

For each reported pair (every pair an edited event joins, in both directions, and every
pair of the focus state) a run reports the effect (scenario minus reference, replicate by
replicate) 12 months after the scenario's lever date, at its peak (the date of the largest
mean effect in size), at the end, and summed over the CUMULATIVE_MONTHS monthly values from
the lever date. Means are the ensemble's exact means; the intervals and medians are exact
quantiles of the per-replicate values, which the kernel returns at the probed (date, i, j)
cells, and `moved` is the share of those replicates that move in the direction of the mean
by more than a threshold (output.effect_threshold).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.data.dates import month_label
from sim.model.stats import QUANTILE_NAMES, QUANTILES

CUMULATIVE_MONTHS = 24
INTERVAL = (0.05, 0.95)
OUTSIDE_MARK = "‡"
PROBE_BUDGET_MB = 256  # per-replicate values kept for the exact quantiles in one pass
CONSOLE_PAIRS = 16  # lines of the console table besides the pairs an edited event joins


@dataclass(frozen=True)
class EffectPlan:
    """Where a run reports its scenario's effect; steps are date indices 0..end."""

    pairs: tuple[tuple[int, int], ...]  # reported (i, j): touched pairs, then the focus state's
    touched: frozenset[tuple[int, int]]
    first: int  # first date at which the variants can differ (earlier dates are exactly 0)
    lever: int
    at_12m: int
    end: int
    window: tuple[int, int]  # first and last date of the cumulative sum

    def window_steps(self) -> range:
        return range(self.window[0], self.window[1] + 1)


def touched_pairs(events: tuple[pd.DataFrame, pd.DataFrame], index: dict[str, int]
                  ) -> set[tuple[int, int]]:
    """Pairs an event of one variant but not the other joins, both directions (an event moves
    the target toward the source and the source toward the target)."""
    columns = ["id", "month", "source", "target", "type", "magnitude"]
    both = events[0][columns].merge(events[1][columns], how="outer", indicator=True)
    changed = both[both["_merge"] != "both"]
    pairs = set()
    for source, target in zip(changed["source"], changed["target"], strict=True):
        pairs |= {(index[source], index[target]), (index[target], index[source])}
    return pairs


def plan_effects(schedules, index: dict[str, int], focus: str, start: int, n_steps: int
                 ) -> EffectPlan | None:
    """The plan of a run with a scenario (schedules of reference and scenario), else None."""
    if len(schedules.names) < 2:
        return None
    touched = touched_pairs(schedules.events, index)
    f = index[focus]
    focus_pairs = [pair for k in range(len(index)) if k != f for pair in ((f, k), (k, f))]
    pairs = tuple(dict.fromkeys([*sorted(touched), *focus_pairs]))
    lever_month = schedules.lever if schedules.lever is not None else start
    lever = min(n_steps, max(0, lever_month - start))
    changed = schedules.first_change if schedules.first_change is not None else lever_month
    first = min(lever, min(n_steps, max(0, changed - start)))
    return EffectPlan(pairs, frozenset(touched), first, lever, min(n_steps, lever + 12), n_steps,
                      (lever, min(n_steps, lever + CUMULATIVE_MONTHS - 1)))


def probe_bytes(plan: EffectPlan, replicates: int, n_variants: int = 2) -> int:
    """Memory of the per-replicate values when every date from plan.first is probed."""
    return replicates * n_variants * len(plan.pairs) * (plan.end - plan.first + 1) * 8


def all_cells(plan: EffectPlan) -> dict[tuple[int, int], list[int]]:
    """Every date from the first possible difference, for every reported pair."""
    return {pair: list(range(plan.first, plan.end + 1)) for pair in plan.pairs}


def entry_cells(plan: EffectPlan, effect_mean: np.ndarray) -> dict[tuple[int, int], list[int]]:
    """Only the dates the entries read (12 months, peak, end, the window); effect_mean
    float64[T + 1, N, N] (exact ensemble means) locates the peaks."""
    return {pair: sorted({plan.at_12m, peak_step(plan, effect_mean, pair), plan.end,
                          *plan.window_steps()}) for pair in plan.pairs}


def cell_arrays(cells: dict[tuple[int, int], list[int]]) -> tuple[np.ndarray, ...]:
    """(step, i, j) int64 arrays of the cells, ordered by step as the kernel wants them."""
    rows = sorted((t, i, j) for (i, j), steps in cells.items() for t in steps)
    arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()


def peak_step(plan: EffectPlan, effect_mean: np.ndarray, pair: tuple[int, int]) -> int:
    """The date of the largest mean effect in size (the earliest of equals)."""
    i, j = pair
    return plan.first + int(np.argmax(np.abs(effect_mean[plan.first:, i, j])))


class ReplicateEffects:
    """Per-replicate effects (scenario minus reference) at probed cells."""

    def __init__(self, step, i, j, reference: np.ndarray, scenario: np.ndarray):
        self.values = scenario - reference  # float64[R, C]
        cells = zip(step.tolist(), i.tolist(), j.tolist(), strict=True)
        self.column = {cell: c for c, cell in enumerate(cells)}

    def at(self, step: int, pair: tuple[int, int]) -> np.ndarray:
        return self.values[:, self.column[(step, *pair)]]

    def summed(self, steps, pair: tuple[int, int]) -> np.ndarray:
        return np.sum([self.at(t, pair) for t in steps], axis=0)

    def quantile_table(self, codes, threshold: float) -> pd.DataFrame:
        """Mean, exact quantiles and share moved (by more than threshold) at every probed
        cell: step, source, target, mean, p05 .. p95, moved."""
        keys = np.array(list(self.column), dtype=np.int64).reshape(-1, 3)
        values = self.values[:, list(self.column.values())]
        q = np.quantile(values, QUANTILES, axis=0)
        code = np.asarray(codes)
        mean = sample_mean(values)
        return pd.DataFrame({"step": keys[:, 0], "source": code[keys[:, 1]],
                             "target": code[keys[:, 2]], "mean": mean,
                             **{name: q[k] for k, name in enumerate(QUANTILE_NAMES)},
                             "moved": share_moved(values, mean, threshold)})


def sample_mean(values: np.ndarray) -> np.ndarray:
    """The mean over replicates (axis 0), kept inside [min, max] against rounding, so that an
    exact interval never excludes it for want of a last bit."""
    return np.clip(values.mean(axis=0), values.min(axis=0), values.max(axis=0))


def share_moved(values: np.ndarray, mean, threshold: float):
    """The share of replicates (axis 0) whose value goes the way of the mean by more than
    threshold: value > threshold if the mean is positive, value < -threshold if negative;
    none when the mean is 0."""
    return (values * np.sign(mean) > threshold).mean(axis=0)


def _summary(values: np.ndarray, threshold: float) -> dict:
    low, median, high = np.quantile(values, (INTERVAL[0], 0.5, INTERVAL[1]))
    mean = sample_mean(values)
    return {"mean": float(mean), "p05": float(low), "p95": float(high), "median": float(median),
            "moved": float(share_moved(values, mean, threshold))}


def effect_entries(plan: EffectPlan, effect_mean: np.ndarray, per_replicate: ReplicateEffects,
                   codes, start: int, threshold: float) -> list[dict]:
    """Per reported pair, largest peak first: the effect at 12 months after the lever, at its
    peak (located on the ensemble's exact means `effect_mean`), at the end, and summed over
    the window; mean, exact 90% interval and median of the per-replicate values each, and
    the share of them moved by more than threshold the way of the mean."""
    def label(step: int) -> str:
        return month_label(start + step)

    by_pair = []
    for pair in plan.pairs:
        i, j = pair
        peak = peak_step(plan, effect_mean, pair)
        rows = []
        for when, step in (("12m", plan.at_12m), ("peak", peak), ("end", plan.end)):
            rows.append({"when": when, "date": label(step),
                         **_summary(per_replicate.at(step, pair), threshold)})
        steps = plan.window_steps()
        rows.append({"when": "cumulative", "date": label(steps[0]), "date_to": label(steps[-1]),
                     "months": len(steps),
                     **_summary(per_replicate.summed(steps, pair), threshold)})
        first = {"source": codes[i], "target": codes[j]}
        by_pair.append((abs(effect_mean[peak, i, j]), [{**first, **row} for row in rows]))
    by_pair.sort(key=lambda item: -item[0])  # stable: equal sizes keep the plan's order
    return [row for _, rows in by_pair for row in rows]


def decimals(means) -> int:
    """Decimals that show two significant digits of the smallest non-zero mean, at least 3
    and at most 6 (an interval narrower than that shows as equal bounds)."""
    sizes = [abs(v) for v in means if v and np.isfinite(v)]
    if not sizes:
        return 3
    return int(min(6, max(3, 1 - np.floor(np.log10(min(sizes))))))


def outside(entry: dict) -> bool:
    """Whether the mean lies outside the 90% interval: fewer than 5% of replicates carry
    the effect (a skewed distribution; the quantiles are exact)."""
    return not entry["p05"] <= entry["mean"] <= entry["p95"]


def _figure(entry: dict, digits: int) -> str:
    mark = OUTSIDE_MARK if outside(entry) else ""
    return (f"{entry['mean']:+.{digits}f} [{entry['p05']:+.{digits}f}, "
            f"{entry['p95']:+.{digits}f}]{mark} med {entry['median']:+.{digits}f} "
            f"{entry['moved']:4.0%}")


def months_between(first: str, last: str) -> int:
    """Months from YYYY-MM `first` to YYYY-MM `last`."""
    (y0, m0), (y1, m1) = (map(int, text.split("-")) for text in (first, last))
    return 12 * (y1 - y0) + m1 - m0


def answer_line(summary: dict, entry: dict, digits: int) -> str:
    """The leading entry's effect at 12 months as a sentence: in what share of the worlds the
    alignment moves the way of the mean by more than the threshold, and by how much."""
    names = {a["code"]: a["name"] for a in summary.get("actors") or []}
    source, target = (names.get(entry[k], entry[k]) for k in ("source", "target"))
    threshold = summary["effect_threshold"]
    lever = summary["scenario"].get("lever_date")
    after = f"by {entry['date']}" + (f", {months_between(lever, entry['date'])} months after the "
                                     "lever" if lever else "")
    verb = "rises" if entry["mean"] > 0 else "falls" if entry["mean"] < 0 else "moves"
    return (f"In {entry['moved']:.0%} of {summary['replicates']} worlds {source}'s alignment "
            f"toward {target} {verb} by more than {threshold:g} {after} (median "
            f"{entry['median']:+.{digits}f}, mean {entry['mean']:+.{digits}f}, 90% interval "
            f"[{entry['p05']:+.{digits}f}, {entry['p95']:+.{digits}f}]).")


def effect_lines(summary: dict) -> list[str]:
    """The console's answer: the leading pair's effect at 12 months as a sentence, then the
    table, one line per reported pair, largest peak first, at most CONSOLE_PAIRS of them
    besides the pairs an edited event joins (a world of 193 states has 384 focus pairs: the
    rest are counted, and summary.json and effects.parquet hold them); each column with the
    decimals its smallest shown mean needs."""
    entries = summary.get("effects") or []
    if not entries:
        return []
    scenario = summary["scenario"]
    by_pair: dict[tuple[str, str], dict[str, dict]] = {}
    for e in entries:
        by_pair.setdefault((e["source"], e["target"]), {})[e["when"]] = e
    touched = {tuple(p) for p in summary.get("effect_pairs_touched") or []}
    n_pairs = len(by_pair)
    by_pair = {pair: rows for rank, (pair, rows) in enumerate(by_pair.items())
               if rank < CONSOLE_PAIRS or pair in touched}
    columns = ("12m", "peak", "cumulative")
    digits = {when: decimals([rows[when]["mean"] for rows in by_pair.values()])
              for when in columns}
    text = {pair: {when: _figure(rows[when], digits[when]) for when in columns}
            for pair, rows in by_pair.items()}
    first = next(iter(by_pair.values()))
    window = first["cumulative"]
    heads = {"12m": f"at {first['12m']['date']} (lever + 12 months)", "peak": "peak",
             "cumulative": f"sum of the {window['months']} months "
                           f"{window['date']}..{window['date_to']}"}
    width = {when: max(len(heads[when]) - (9 if when == "peak" else 0),
                       *(len(t[when]) for t in text.values())) + 2 for when in columns}
    threshold = summary["effect_threshold"]
    lines = [f"Effect of scenario '{scenario['name']}' ({scenario.get('description') or ''}), "
             f"lever {scenario.get('lever_date')}:",
             answer_line(summary, first["12m"], digits["12m"]),
             f"scenario minus reference over {summary['replicates']} paired replicates, mean "
             f"[90% interval: {summary.get('effect_interval', 'model noise only')}], median, "
             f"share of replicates moved by more than {threshold:g} the way of the mean",
             f"  {'pair':<12}{heads['12m']:<{width['12m']}}{heads['peak']:<{width['peak'] + 9}}"
             f"{heads['cumulative']}"]
    for (source, target), rows in by_pair.items():
        mark = "*" if (source, target) in touched else " "
        t = text[(source, target)]
        lines.append(f" {mark}{source + ' -> ' + target:<12}{t['12m']:<{width['12m']}}"
                     f"{rows['peak']['date']}  {t['peak']:<{width['peak']}}{t['cumulative']}")
    if n_pairs > len(by_pair):
        lines.append(f"  ... and {n_pairs - len(by_pair)} more of the focus state's pairs, with "
                     "smaller peaks (all in summary.json and effects.parquet)")
    if touched:
        lines.append("  * a pair an edited event joins (all others: the focus state's pairs)")
    if any(outside(e) for rows in by_pair.values() for e in rows.values()):
        lines.append(f"  {OUTSIDE_MARK} the mean lies outside the central 90% of replicates: the "
                     "effect comes from the few replicates in which it occurs")
    return lines


def mark_entries(table: pd.DataFrame, entries: list[dict]) -> pd.DataFrame:
    """effects.parquet with an `entry` column: the summary entries a row is ('12m', 'peak',
    'end', joined by '+' where they fall on one date; '' for none). A cumulative entry is the
    sum of `mean` over its window's rows."""
    labels: dict[tuple[str, str, str], list[str]] = {}
    for e in entries:
        if e["when"] != "cumulative":
            labels.setdefault((e["source"], e["target"], e["date"]), []).append(e["when"])
    month = pd.to_datetime(table["date"]).dt.strftime("%Y-%m")
    table = table.copy()
    table["entry"] = ["+".join(labels.get(key, [])) for key in
                      zip(table["source"], table["target"], month, strict=True)]
    return table
