"""What a run prints: its catalogues, the effect table (sim.run.effects) or without a scenario
the focus state's alignments at the end, the facts met naming those that fail, and the figures
written (no numba here, so that commands that only read a run's summary start at once)."""

from pathlib import Path

from sim.data.events.catalogue import CatalogueUse, catalogue_lines
from sim.run.effects import effect_lines

TEXT_WIDTH = 80  # characters of a failing fact's text (the whole text is in summary.json)


def final_lines(summary: dict) -> list[str]:
    """The focus state's alignments at the end: mean [90% interval] per pair."""
    final = summary.get("final") or []
    if not final:
        return []
    lines = [f"Alignments of {summary['focus']} at {final[0]['date']} (no scenario): mean over "
             f"{summary['replicates']} replicates [90% interval: {summary['final_interval']}]"]
    for entry in final:
        lines.append(f"  {entry['source'] + ' -> ' + entry['target']:<12}{entry['mean']:+.3f} "
                     f"[{entry['p05']:+.3f}, {entry['p95']:+.3f}]")
    lines.append("  add +scenario=NAME for a what-if question (configs/scenario/)")
    return lines


def facts_line(summary: dict) -> str | None:
    """'Facts met: 27/28' (the facts whose dates lie inside the run), or None."""
    checked = [f["met"] for f in summary.get("facts") or [] if f["met"] is not None]
    if not checked:
        return None
    return f"Facts met: {sum(checked)}/{len(checked)}"


def failed_fact_lines(summary: dict) -> list[str]:
    """One line per fact that fails: its id, the share of replicates meeting it, its text."""
    failed = [f for f in summary.get("facts") or [] if f["met"] is False]
    if not failed:
        return []
    need = summary.get("fact_fraction", 0.8)
    lines = [f"  not met (a fact is met when it holds in at least {need:.0%} of replicates; "
             "share holding):"]
    width = max(len(f["id"]) for f in failed)
    for fact in failed:
        text = fact["text"] if len(fact["text"]) <= TEXT_WIDTH else \
            fact["text"][:TEXT_WIDTH - 1].rstrip() + "…"
        lines.append(f"    {fact['id']:<{width}}  {fact['fraction']:>4.0%}  {text}")
    return lines


def answer_lines(summary: dict) -> list[str]:
    """The answer of a run, as the console and the page show it."""
    uses = [CatalogueUse(use["path"], use["events"], use["skipped"], tuple(use["skipped_states"]))
            for use in summary.get("catalogues", [])]
    lines = (catalogue_lines(uses) if uses else []) + (effect_lines(summary) or final_lines(summary))
    facts = facts_line(summary)
    if facts is not None:
        lines += [facts, *failed_fact_lines(summary)]
    return lines


def report_lines(summary: dict, out_dir: Path) -> list[str]:
    block = summary.get("block")
    if block:
        return [f"Block {block['index']} of {block['count']}: replicates {block['first']}.."
                f"{block['last']} of {summary['replicates']}, for python -m sim.merge",
                f"Run directory: {out_dir}"]
    lines = answer_lines(summary)
    figures = summary.get("figures") or []
    if figures:
        lines.append(f"Figures ({len(figures)}): " + ", ".join(figures))
    lines.append(f"Run directory: {out_dir}")
    return lines
