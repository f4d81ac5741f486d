"""Copy the measured-record study's tables into experiments/measured_record/README.md between
their markers: the skill tables (skill.md of `python -m sim.skill --compare ... --out
experiments/measured_record/current` and `.../refit`) and the facts table (facts.md).

    python docs/measured_tables.py facts NAME=RUN_DIR ...   # facts.md from runs' summary.json
    python docs/measured_tables.py figure   # pairs.png: per pair, refit/skill.csv's CRPS change
    python docs/measured_tables.py          # rewrite the README's blocks
    python docs/measured_tables.py --check  # exit 1 if a block differs (a test runs it)
"""

import json
import sys
from pathlib import Path

import pandas as pd

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


def pair_changes(skill: pd.DataFrame, base: str, other: str) -> pd.DataFrame:
    """Per measure and pair (and '*' for all): the CRPS of `other` over `base`'s, minus 1."""
    keys = ["measure", "source", "target"]
    scores = {v: skill.loc[skill["variant"] == v].set_index(keys)["score"] for v in (base, other)}
    change = (scores[other] / scores[base] - 1.0).rename("change").reset_index()
    return change.assign(pair=change["source"] + "-" + change["target"])


def figure(path: Path) -> None:
    from matplotlib.figure import Figure

    changes = pair_changes(pd.read_csv(STUDY / "refit" / "skill.csv"), "seed_record",
                           "us_aid_changes")
    measures = (("unga_agreement", "UN vote agreement, yearly"),
                ("net_cooperation", "ICEWS net cooperation, monthly"))
    fig = Figure(figsize=(7.0, 3.8), layout="constrained")
    for ax, (measure, title) in zip(fig.subplots(1, 2), measures, strict=True):
        rows = changes.loc[changes["measure"] == measure].sort_values("change")
        rows = rows.assign(pair=rows["pair"].replace({"*-*": "all pairs"}))
        colours = ["#1b9e77" if c < 0 else "#d95f02" for c in rows["change"]]
        ax.barh(rows["pair"], 100 * rows["change"], color=colours,
                edgecolor=["black" if p == "all pairs" else c for p, c in zip(rows["pair"], colours,
                                                                                 strict=True)])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("CRPS with US aid changes / seed record alone - 1 (%)", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle("Held-out CRPS per pair, 2014-01..2015-12, each record on its own skill fit "
                 "(to 2013-12);\nbelow 0 (green) the record with US aid changes forecasts better", fontsize=8)
    fig.savefig(path, format="png", dpi=150)


def main(argv: list[str]) -> int:
    if argv[:1] == ["figure"]:
        figure(STUDY / "pairs.png")
        return 0
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
