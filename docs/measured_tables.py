"""Copy the measured-record study's tables into experiments/measured_record/README.md between
their markers: the skill tables (skill.md of `python -m sim.skill --compare ... --out
experiments/measured_record/current` and `.../refit`) and the facts table (facts.md).

    python docs/measured_tables.py facts NAME=RUN_DIR ...   # facts.md from runs' summary.json
    python docs/measured_tables.py          # rewrite the README's blocks
    python docs/measured_tables.py --check  # exit 1 if a block differs (a test runs it)
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the blocks helper beside this script
from readme_blocks import replaced  # noqa: E402

STUDY = Path(__file__).resolve().parent.parent / "experiments" / "measured_record"
README = STUDY / "README.md"
FACTS = STUDY / "facts.md"
BLOCKS = {name: (f"<!-- {name} table: copied by docs/measured_tables.py -->",
                 f"<!-- end of {name} table -->") for name in ("current", "refit", "facts")}


def table(name: str) -> str:
    path = FACTS if name == "facts" else STUDY / name / "skill.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.startswith("|")) + "\n"


def with_tables(readme: str) -> str:
    for name, markers in BLOCKS.items():
        readme = replaced(readme, markers, table(name))
    return readme


def facts_table(runs: dict[str, dict]) -> str:
    """Per fact, the share of replicates meeting it in each named run (met: at least the
    run's fact_fraction), and the count met per run."""
    names = list(runs)
    facts = [f["id"] for f in next(iter(runs.values()))["facts"]]
    shares = {name: {f["id"]: f for f in summary["facts"]} for name, summary in runs.items()}
    lines = ["| fact | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for fact in facts:
        cells = []
        for name in names:
            entry = shares[name].get(fact, {})
            cells.append("not checked" if entry.get("fraction") is None else
                         f"{entry['fraction']:.2f}{' met' if entry['met'] else ''}")
        lines.append(f"| {fact} | " + " | ".join(cells) + " |")
    checked = {n: [f["met"] for f in runs[n]["facts"] if f["met"] is not None] for n in names}
    lines.append("| **met** | " + " | ".join(f"**{sum(checked[n])} of {len(checked[n])}**"
                                              for n in names) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["facts"]:
        runs = {}
        for item in argv[1:]:
            name, _, folder = item.partition("=")
            runs[name] = json.loads((Path(folder) / "summary.json").read_text(encoding="utf-8"))
        FACTS.write_text("# Seed facts met, per record\n\n" + facts_table(runs), encoding="utf-8")
        return 0
    readme = README.read_text(encoding="utf-8")
    fresh = with_tables(readme)
    if "--check" in argv:
        if fresh != readme:
            print("experiments/measured_record/README.md: a table is stale; run "
                  "python docs/measured_tables.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
