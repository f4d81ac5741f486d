"""From benchmark facts to state-level events: the entity rule, deduplication, coverage.

A fact of the benchmark is unique per (subject, CAMEO code, object, day); a repeated
quadruple is dropped as an exact duplicate. Both sides then go through the entity rule
(`sim.data.measured.icews`). One story is often coded at several levels ("Government
(Pakistan)" and a named official, the same day and verb toward the same state), so the
state-level event is unique per (source state, target state, CAMEO code, day): every fact
that maps to the same one counts once (`Resolution.collapsed` says how many did).

Two series are kept. `all`: every fact the rule resolves. `collective`: only facts whose
both sides are country entities or sector actors, never a named person or agency. Which
named leaders a benchmark keeps changes from year to year (George W. Bush, Putin and
Lavrov are not in ICEWS05-15; Obama and Medvedev are), so the `all` series jumps with the
entity list; the `collective` series has one definition in every year.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sim.data.measured.icews import EntityRule, Kind, Outcome
from sim.data.measured.icews_tkg import Fact

SERIES = ("all", "collective")
_COLLECTIVE_KINDS = (Kind.COUNTRY, Kind.SECTOR)


@dataclass(frozen=True)
class StateEvent:
    """One state-level event: a source state did `code` to a target state on `day`."""

    source: str
    target: str
    code: str
    day: dt.date


@dataclass
class Witness:
    """The first fact behind a state-level event and whether any fact behind it was
    collective (both sides country entities or sector actors)."""

    source_name: str
    target_name: str
    collective: bool
    facts: int = 1


@dataclass
class Resolution:
    """State-level events of a benchmark and what the rule and the dedup did, per year."""

    events: dict[StateEvent, Witness] = field(default_factory=dict)
    facts: Counter = field(default_factory=Counter)             # year -> unique facts
    exact_duplicates: Counter = field(default_factory=Counter)  # year -> repeated quadruples
    resolved: Counter = field(default_factory=Counter)          # year -> both sides a state
    same_state: Counter = field(default_factory=Counter)        # year -> both sides one state
    unresolved: Counter = field(default_factory=Counter)        # (year, Outcome) -> facts
    pair_facts: Counter = field(default_factory=Counter)        # (src, tgt, year) -> facts

    def collapsed(self, year: int | None = None) -> int:
        """Resolved facts that the state-level dedup merged into an earlier one."""
        events = Counter(e.day.year for e in self.events)
        if year is None:
            return sum(self.resolved.values()) - sum(events.values())
        return self.resolved[year] - events[year]

    def series(self, name: str) -> list[StateEvent]:
        """The state-level events of series `name` ("all" or "collective"), by day."""
        keep = [event for event, witness in self.events.items()
                if name == "all" or witness.collective]
        return sorted(keep, key=lambda e: (e.day, e.source, e.target, e.code))


def resolve(facts: Iterable[Fact], rule: EntityRule) -> Resolution:
    """Map every fact's sides to states and deduplicate (see the module docstring)."""
    result = Resolution()
    seen: set[Fact] = set()
    for fact in facts:
        year = fact.day.year
        if fact in seen:
            result.exact_duplicates[year] += 1
            continue
        seen.add(fact)
        result.facts[year] += 1
        (why_source, source), (why_target, target) = (rule.outcome(fact.source, fact.day),
                                                      rule.outcome(fact.target, fact.day))
        if source is None or target is None:
            for why in {why_source, why_target} - {Outcome.STATE}:
                result.unresolved[year, why] += 1
            continue
        if source == target:
            result.same_state[year] += 1
            continue
        result.resolved[year] += 1
        result.pair_facts[source, target, year] += 1
        collective = (rule.entity(fact.source).kind in _COLLECTIVE_KINDS
                      and rule.entity(fact.target).kind in _COLLECTIVE_KINDS)
        event = StateEvent(source, target, fact.code, fact.day)
        witness = result.events.get(event)
        if witness is None:
            result.events[event] = Witness(fact.source, fact.target, collective)
        else:
            witness.facts += 1
            witness.collective = witness.collective or collective
    return result
