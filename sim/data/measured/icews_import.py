"""The ICEWS05-15 benchmark as input to `python -m sim.events`: the `icews-tkg` import
format (state-level events for the catalogue) and the `icews-counts` tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.data.events.cameo import RawEvent
from sim.data.measured.icews import OFFICIALS_FILE, load_rule
from sim.data.measured.icews_counts import (
    COUNT_COLUMNS,
    COVERAGE_COLUMNS,
    PAIR_COLUMNS,
    count_rows,
    coverage_rows,
    pair_rows,
    write_table,
)
from sim.data.measured.icews_events import Resolution, resolve
from sim.data.measured.icews_tkg import Benchmark, load_cameo
from sim.errors import InputError

LABEL = "ICEWS05-15 benchmark"


def resolve_benchmark(path: Path | str, sectors: Path | str,
                      officials: Path | str = OFFICIALS_FILE) -> tuple[Resolution, dict[str, float]]:
    """The benchmark's state-level events, and the Goldstein weight of each CAMEO code."""
    cameo = load_cameo()
    rule = load_rule(sectors, officials)
    return resolve(Benchmark(path).facts(cameo), rule), {c.code: c.goldstein for c in cameo.values()}


def summary(resolution: Resolution) -> list[str]:
    """What the entity rule and the dedup did, in a few lines."""
    facts = sum(resolution.facts.values())
    interstate = sum(resolution.resolved.values())
    both = interstate + sum(resolution.same_state.values())
    duplicates = sum(resolution.exact_duplicates.values())
    return [f"facts: {facts} unique (subject, verb, object, day)"
            + (f", {duplicates} repeated quadruples dropped" if duplicates else ""),
            f"both sides a state: {both} ({both / max(facts, 1):.1%}); between two states: "
            f"{interstate} ({interstate / max(facts, 1):.1%})",
            f"state-level events (source, target, CAMEO code, day): {len(resolution.events)} "
            f"({resolution.collapsed()} facts merged into an event coded at another level)"]


def benchmark_events(path: Path | str, sectors: Path | str | None,
                     notes: list[str]) -> Iterator[tuple[str, RawEvent]]:
    """(label, event) per state-level event of the `all` series; `notes` receives the
    summary lines."""
    if sectors is None:
        raise InputError("--sectors", "sectors", "the icews-tkg format needs the sector file "
                         "(ent2sec.txt) to map named entities to states")
    path = Path(path)
    resolution, goldstein = resolve_benchmark(path, sectors)
    notes.extend(summary(resolution))
    for event in resolution.series("all"):
        witness = resolution.events[event]
        yield LABEL, RawEvent(
            ident=f"icews-tkg:{event.source}:{event.target}:{event.code}:{event.day.isoformat()}",
            day=event.day, source=event.source, target=event.target, code=event.code,
            goldstein=goldstein[event.code], mentions=None, source_name=witness.source_name,
            target_name=witness.target_name, doc=path.stem, where=str(path))


@dataclass(frozen=True)
class CountsWritten:
    counts: Path
    coverage: Path
    pairs: Path
    rows: int
    lines: list[str]


def build_counts(path: Path | str, sectors: Path | str, out: Path | str,
                 states: Sequence[str], coverage: Path | str | None = None,
                 pairs: Path | str | None = None) -> CountsWritten:
    """Write the counts table to `out`, the coverage per year to `coverage` and the
    directed pair-years of `states` to `pairs` (default: icews_coverage.csv and
    icews_pairs.csv beside `out`)."""
    out = Path(out)
    coverage = Path(coverage) if coverage else out.with_name("icews_coverage.csv")
    pairs = Path(pairs) if pairs else out.with_name("icews_pairs.csv")
    outputs = [out, coverage, pairs]
    if len({p.resolve() for p in outputs}) != len(outputs):
        raise InputError(out, "-o", "the counts, coverage and pairs tables need three "
                         "different paths")
    resolution, goldstein = resolve_benchmark(path, sectors)
    rows = count_rows(resolution, goldstein)
    write_table(rows, COUNT_COLUMNS, out)
    write_table(coverage_rows(resolution), COVERAGE_COLUMNS, coverage)
    write_table(pair_rows(resolution, states), PAIR_COLUMNS, pairs)
    return CountsWritten(out, coverage, pairs, len(rows), summary(resolution))
