"""Stylized facts: loading, the probes they need, and checking them on replicates.

A fact compares x to a threshold with op (">" or "<"), where x is
  level: A[pair](date);  order: A[pair0](date) - A[pair1](date);  trend: A[pair](d1) - A[pair](d0);
  effect: A[pair](date) in the run of `scenario` minus the same in its reference (paired
  replicates), so only a run of that scenario (or the calibration, which runs it) checks it.
"""

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.data.dates import month_label, parse_month
from sim.data.files import read_yaml
from sim.data.schemas import FactsFile, validate
from sim.errors import InputError

KINDS = {"level": (1, 1), "order": (2, 1), "trend": (1, 2), "effect": (1, 1)}  # kind -> (pairs, dates)


@dataclass(frozen=True)
class Fact:
    id: str
    text: str
    kind: str
    pairs: tuple[tuple[str, str], ...]
    months: tuple[int, ...]
    op: str
    threshold: float
    source_doc: str
    scenario: str = ""  # effect facts: the scenario (configs/scenario/NAME.yaml)

    def cells(self) -> tuple[tuple[int, str, str], tuple[int, str, str] | None]:
        """(month, source, target) of the minuend and of the subtrahend (None for level)."""
        first = (self.months[0], *self.pairs[0])
        if self.kind in ("level", "effect"):
            return first, None
        if self.kind == "order":
            return first, (self.months[0], *self.pairs[1])
        return (self.months[1], *self.pairs[0]), first


def load_facts(path: Path | str, codes: tuple[str, ...],
               scenarios: Collection[str] | None = None,
               skipped: list | None = None) -> list[Fact]:
    """The facts of a facts file; `scenarios`, if given, are the names an effect fact may
    give (a misspelt one would never be checked). With a `skipped` list, a fact naming a
    state outside `codes` is left out (the states of its pairs appended to the list)
    instead of stopping the read: the project's facts on a run of another actors file."""
    path = Path(path)
    data = validate(FactsFile, read_yaml(path, "data.facts"), path)
    facts, seen = [], set()
    for k, entry in enumerate(data.facts):
        where = f"{path}: facts[{k}]"
        ident = str(entry.id)
        if ident in seen:
            raise InputError(where, "id", f"'{ident}' is given to two facts; make it unique")
        seen.add(ident)
        n_pairs, n_dates = KINDS[entry.kind]
        if len(entry.pairs) != n_pairs:
            raise InputError(where, "pairs", f"a {entry.kind} fact takes {n_pairs} pair(s) like "
                             "[PAK, USA]")
        named = {code for pair in entry.pairs for code in pair}
        if skipped is not None and not named <= set(codes):
            skipped.append(tuple(sorted(named)))
            continue
        for source, target in entry.pairs:
            for code in (source, target):
                if code not in codes:
                    raise InputError(where, "pairs", f"unknown state '{code}'; known: {', '.join(codes)}")
            if source == target:
                raise InputError(where, "pairs", "a pair needs two different states")
        if len(entry.dates) != n_dates:
            raise InputError(where, "dates", f"a {entry.kind} fact takes {n_dates} date(s) as YYYY-MM")
        months = tuple(parse_month(d, where, "dates") for d in entry.dates)
        if entry.kind == "trend" and months[1] <= months[0]:
            raise InputError(where, "dates", "a trend's second date must come after its first")
        effect = entry.kind == "effect"
        if effect and not entry.scenario:
            raise InputError(where, "scenario", "an effect fact names its scenario, e.g. "
                             "scenario: aid_freeze (a file in configs/scenario/)")
        if effect and scenarios is not None and entry.scenario not in scenarios:
            raise InputError(where, "scenario", f"no scenario named '{entry.scenario}'; use one "
                             f"of {', '.join(sorted(scenarios))}")
        pairs = tuple((source, target) for source, target in entry.pairs)
        facts.append(Fact(ident, str(entry.text), entry.kind, pairs, months, entry.op,
                          entry.threshold, str(entry.source_doc), entry.scenario if effect else ""))
    return facts


@dataclass(frozen=True)
class FactProbes:
    """The (date step, i, j) cells the facts read, and how each fact combines them."""

    step: np.ndarray  # int64[P], sorted
    i: np.ndarray
    j: np.ndarray
    plus: np.ndarray  # int64[F]: probe index of the minuend
    minus: np.ndarray  # int64[F]: probe index of the subtrahend, -1 for none
    checked: np.ndarray  # bool[F]: all dates inside the run and not an effect (see effect_margins)
    facts: tuple[Fact, ...]
    inside: np.ndarray  # bool[F]: all dates inside the run


def fact_probes(facts: list[Fact], index: dict[str, int], start: int, n_steps: int) -> FactProbes:
    cells: dict[tuple[int, int, int], int] = {}
    wanted = []
    for fact in facts:
        inside = all(0 <= m - start <= n_steps for m in fact.months)
        refs = []
        for cell in fact.cells():
            if cell is None or not inside:
                refs.append(None)
                continue
            key = (cell[0] - start, index[cell[1]], index[cell[2]])
            refs.append(cells.setdefault(key, len(cells)))
        wanted.append((inside, refs))
    order = sorted(cells, key=lambda key: (key[0], cells[key]))
    position = {cells[key]: k for k, key in enumerate(order)}
    arr = np.array(order, dtype=np.int64).reshape(-1, 3)
    plus = [position[refs[0]] if inside else -1 for inside, refs in wanted]
    minus = [position[refs[1]] if inside and refs[1] is not None else -1 for inside, refs in wanted]
    inside = np.array([inside for inside, _ in wanted], dtype=bool)
    effect = np.array([fact.kind == "effect" for fact in facts], dtype=bool)
    return FactProbes(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(),
                      np.array(plus, dtype=np.int64), np.array(minus, dtype=np.int64),
                      inside & ~effect, tuple(facts), inside)


def fact_margins(probes: FactProbes, values: np.ndarray) -> np.ndarray:
    """values float64[R, P] -> margins float64[R, F]: x - threshold for '>', threshold - x
    for '<' (a fact holds in a replicate where its margin is > 0); NaN where not checked."""
    margins = np.full((values.shape[0], len(probes.facts)), np.nan)
    for f, fact in enumerate(probes.facts):
        if not probes.checked[f]:
            continue
        x = values[:, probes.plus[f]].copy()
        if probes.minus[f] >= 0:
            x -= values[:, probes.minus[f]]
        margins[:, f] = x - fact.threshold if fact.op == ">" else fact.threshold - x
    return margins


def effect_margins(probes: FactProbes, reference: np.ndarray, scenario: np.ndarray,
                   name: str) -> np.ndarray:
    """Probe values float64[R, P] of a scenario's reference and scenario variants (paired
    replicates) -> margins float64[R, F] of the effect facts of scenario `name`; NaN for
    every other fact."""
    margins = np.full((reference.shape[0], len(probes.facts)), np.nan)
    for f, fact in enumerate(probes.facts):
        if fact.kind == "effect" and fact.scenario == name and probes.inside[f]:
            x = scenario[:, probes.plus[f]] - reference[:, probes.plus[f]]
            margins[:, f] = x - fact.threshold if fact.op == ">" else fact.threshold - x
    return margins


def facts_met_by_replicate(probes: FactProbes, values: np.ndarray) -> np.ndarray:
    """values: float64[R, P] probe values -> bool[R, F] (False where a fact is not checked)."""
    with np.errstate(invalid="ignore"):
        return fact_margins(probes, values) > 0


def fact_report(probes: FactProbes, values: np.ndarray, min_fraction: float,
                effects: tuple[str, np.ndarray, np.ndarray] | None = None) -> dict:
    """The summary's `facts` list and `facts_met` share (over the facts the run covers).
    values: the history's probe values; effects: (scenario name, probe values of its
    reference, of its scenario), which checks that scenario's effect facts."""
    met = facts_met_by_replicate(probes, values)
    if effects is not None:
        with np.errstate(invalid="ignore"):
            margins = effect_margins(probes, effects[1], effects[2], effects[0])
        met |= margins > 0
    fractions = met.mean(axis=0)
    rows = []
    for f, fact in enumerate(probes.facts):
        row = {"id": fact.id, "text": fact.text, "kind": fact.kind, "source_doc": fact.source_doc,
               "dates": [month_label(m) for m in fact.months]}
        ran = effects is not None and fact.scenario == effects[0]
        if probes.checked[f] or (probes.inside[f] and fact.kind == "effect" and ran):
            row.update(met=bool(fractions[f] >= min_fraction), fraction=float(fractions[f]))
        elif not probes.inside[f]:
            row.update(met=None, fraction=None, note="a date lies outside start..end")
        else:
            row.update(met=None, fraction=None,
                       note=f"an effect of scenario {fact.scenario}: checked in its runs")
        rows.append(row)
    checked = [row["met"] for row in rows if row["met"] is not None]
    share = float(np.mean(checked)) if checked else None
    return {"facts": rows, "facts_met": share}
