"""What a run prints: its catalogues, its scenario's effects and its facts (no numba here,
so that commands that only read a run's summary start at once)."""

from pathlib import Path

from sim.data.events.catalogue import CatalogueUse, catalogue_lines
from sim.run.effects import effect_lines


def facts_line(summary: dict) -> str | None:
    """'Facts met: 27/28' (the facts whose dates lie inside the run), or None."""
    checked = [f["met"] for f in summary.get("facts") or [] if f["met"] is not None]
    if not checked:
        return None
    return f"Facts met: {sum(checked)}/{len(checked)}"


def report_lines(summary: dict, out_dir: Path) -> list[str]:
    block = summary.get("block")
    if block:
        return [f"Block {block['index']} of {block['count']}: replicates {block['first']}.."
                f"{block['last']} of {summary['replicates']}, for python -m sim.merge",
                f"Run directory: {out_dir}"]
    uses = [CatalogueUse(use["path"], use["events"], use["skipped"], tuple(use["skipped_states"]))
            for use in summary.get("catalogues", [])]
    lines = (catalogue_lines(uses) if uses else []) + effect_lines(summary)
    facts = facts_line(summary)
    if facts is not None:
        lines.append(facts)
    lines.append(f"Run directory: {out_dir}")
    return lines
