"""What a run prints: its catalogues and what the shipped inputs left out, the effect table
(sim.run.effects) or without a scenario the focus state's alignments at the end, the facts met
naming those not counted and those that fail, and the figures written (no numba here, so that
commands that only read a run's summary start at once)."""

from collections import Counter
from pathlib import Path

from sim.data.events.catalogue import CatalogueUse, catalogue_lines
from sim.data.facts import FactsUse
from sim.run.effects import effect_lines

TEXT_WIDTH = 80  # characters of a failing fact's text (the whole text is in summary.json)
FINAL_PARTNERS = 8  # partners of the focus state shown without a scenario (summary.json: all)


def shown_final(summary: dict) -> tuple[list[dict], list[str]]:
    """(the entries of `final` shown, a line saying which when not all): every pair of the
    focus state when it has at most FINAL_PARTNERS partners, else those of the partners it
    leans toward most and away from most (half each), highest first."""
    final, focus = summary["final"], summary["focus"]
    partners = list(dict.fromkeys(e["target"] if e["source"] == focus else e["source"]
                                  for e in final))
    if len(partners) <= FINAL_PARTNERS:
        return final, []
    toward = {e["target"]: e["mean"] for e in final if e["source"] == focus}
    ranked = sorted(partners, key=lambda code: (-toward[code], code))
    half = FINAL_PARTNERS // 2
    kept = ranked[:half] + ranked[-half:]
    order = {code: k for k, code in enumerate(kept)}
    shown = sorted((e for e in final if {e["source"], e["target"]} - {focus} <= set(kept)),
                   key=lambda e: (order[e["target"] if e["source"] == focus else e["source"]],
                                  e["source"] != focus))
    return shown, [f"  the {half} of its {len(partners)} partners it leans toward most and the "
                   f"{half} it leans away from most (all {len(final)} pairs: summary.json, "
                   "key final)"]


def final_lines(summary: dict) -> list[str]:
    """The focus state's alignments at the end: mean [90% interval] per pair."""
    final = summary.get("final") or []
    if not final:
        return []
    shown, which = shown_final(summary)
    lines = [f"Alignments of {summary['focus']} at {final[0]['date']} (no scenario): mean over "
             f"{summary['replicates']} replicates [90% interval: {summary['final_interval']}]",
             *which]
    for entry in shown:
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


def unchecked_fact_line(summary: dict) -> str | None:
    """'  not counted: 2 facts (why)' for the facts of the file this run does not check."""
    reasons = Counter(f.get("note", "") for f in summary.get("facts") or [] if f["met"] is None)
    if not reasons:
        return None
    return "  not counted: " + ", ".join(f"{count} fact{'s' * (count > 1)} ({note})"
                                         for note, count in reasons.items())


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
    uses = [CatalogueUse(use["path"], use["events"], use["skipped"], tuple(use["skipped_states"]),
                         use.get("left_out", 0), use.get("left_out_reason", ""))
            for use in summary.get("catalogues", [])]
    lines = catalogue_lines(uses) if uses else []
    read = summary.get("facts_file")
    notice = read and FactsUse(read["path"], read["facts"], read["skipped"],
                               tuple(read["skipped_states"])).skipped_line()
    lines += [notice] if notice else []
    lines += effect_lines(summary) or final_lines(summary)
    facts = facts_line(summary)
    if facts is not None:
        unchecked = unchecked_fact_line(summary)
        lines += [facts, *([unchecked] if unchecked else []), *failed_fact_lines(summary)]
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
