"""The European alliances 1872-1914 as one figure, from the directory of a run of the study.

    python experiments/europe/plot.py RUN_DIR [--out FILE]

Top: the alignment of each of the fifteen pairs of states over time (the mean of A[i,j] and
A[j,i] over replicates; the band covers both directions' 5-95% intervals), one panel each
for the pairs inside the Triple Entente, inside the Triple Alliance and across the two,
with the landmark treaties and crises marked. Bottom: the signed network at four dates,
an edge per pair (coloured and widened by its alignment, dotted when weak) and the states
coloured by the faction of the leading eigenvector of the symmetrised mean matrix (the
split that structural balance predicts), with the share of balanced triads. Writes
FILE (default RUN_DIR/figures/europe.png).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from sim.data.events.catalogue import load_catalogue
from sim.errors import InputError
from sim.report.matrices import draw_network
from sim.report.style import ALIGNMENT, CMAP

HERE = Path(__file__).resolve().parent
ENTENTE = ("UKG", "FRN", "RUS")
ALLIANCE = ("GMY", "AUH", "ITA")
# (event id in events.csv, label): the treaties and crises marked on the trajectories
MARKS = (
    ("three_emperors_league_1873_gmy_rus", "Three Emperors' League"),
    ("dual_alliance_1879_gmy", "Dual Alliance"),
    ("triple_alliance_1882_gmy_ita", "Triple Alliance"),
    ("reinsurance_treaty_1887_gmy", "Reinsurance Treaty"),
    ("reinsurance_lapse_1890", "its lapse"),
    ("franco_russian_alliance_1894_frn", "Franco-Russian alliance"),
    ("entente_cordiale_1904_ukg", "Entente Cordiale"),
    ("anglo_russian_convention_1907_ukg", "Anglo-Russian Convention"),
    ("bosnian_annexation_1908", "Bosnian crisis"),
    ("agadir_1911", "Agadir"),
)
SNAPSHOTS = ("1872-01", "1890-12", "1907-12", "1914-07")
PANELS = (("inside the Triple Entente", ENTENTE, ENTENTE),
          ("inside the Triple Alliance", ALLIANCE, ALLIANCE),
          ("across the two blocs", ENTENTE, ALLIANCE))
FACTION_COLOURS = ("#e08a1e", "#2b8a5a")  # the faction holding GMY, the other
# node positions: a rough map of Europe
POSITIONS = {"UKG": (-0.9, 0.75), "FRN": (-0.75, -0.2), "GMY": (0.0, 0.55), "AUH": (0.35, -0.35),
             "ITA": (-0.1, -0.95), "RUS": (1.0, 0.45)}


def read_run(run_dir: Path) -> tuple[pd.DataFrame, dict]:
    """The mean and 5-95% trajectories of a run, as one row per date and ordered pair."""
    table, summary = run_dir / "trajectories.parquet", run_dir / "summary.json"
    for path in (table, summary):
        if not path.is_file():
            raise InputError(path, "path", "no such file; give the directory of a run of "
                             "`python -m sim +experiment=europe`")
    info = json.loads(summary.read_text(encoding="utf-8"))
    codes = {a["code"] for a in info["actors"]}
    if not set(ENTENTE + ALLIANCE) <= codes:
        raise InputError(summary, "actors", f"the run has {sorted(codes)}; the figure needs "
                         f"{', '.join(ENTENTE + ALLIANCE)} (run the europe study)")
    frame = pd.read_parquet(table, columns=["variant", "stat", "date", "source", "target", "value"])
    frame = frame[frame["variant"] == frame["variant"].iloc[0]]
    wide = frame.pivot_table(index=["date", "source", "target"], columns="stat", values="value")
    return wide.reset_index(), info


def pair_series(wide: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """date, mean of both directions, the lowest p05 and the highest p95 of the two."""
    one = wide[(wide.source == a) & (wide.target == b)].set_index("date")
    two = wide[(wide.source == b) & (wide.target == a)].set_index("date")
    return pd.DataFrame({"mean": (one["mean"] + two["mean"]) / 2,
                         "low": np.minimum(one["p05"], two["p05"]),
                         "high": np.maximum(one["p95"], two["p95"])})


def symmetric_matrix(wide: pd.DataFrame, date: pd.Timestamp, codes: list[str]) -> np.ndarray:
    at = wide[wide.date == date].set_index(["source", "target"])["mean"]
    matrix = np.zeros((len(codes), len(codes)))
    for (i, a), (j, b) in itertools.permutations(enumerate(codes), 2):
        matrix[i, j] = (at[(a, b)] + at[(b, a)]) / 2
    return matrix


def factions(matrix: np.ndarray, codes: list[str]) -> np.ndarray:
    """0 for the side of the leading eigenvector that holds GMY, 1 for the other."""
    values, vectors = np.linalg.eigh(matrix)
    lead = vectors[:, np.argmax(values)]
    return (np.sign(lead) != np.sign(lead[codes.index("GMY")])).astype(int)


def balanced_share(matrix: np.ndarray) -> tuple[int, int]:
    triads = list(itertools.combinations(range(len(matrix)), 3))
    good = sum(matrix[i, j] * matrix[j, k] * matrix[i, k] > 0 for i, j, k in triads)
    return good, len(triads)


def draw_trajectories(axes, wide: pd.DataFrame, marks: list[tuple[pd.Timestamp, str]]) -> None:
    colours = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666",
               "#e6ab02", "#1f78b4")
    for ax, (title, left, right) in zip(axes, PANELS, strict=True):
        pairs = [(a, b) for a in left for b in right if a != b and (left != right or a < b)]
        for (a, b), colour in zip(pairs, colours, strict=False):
            series = pair_series(wide, a, b)
            ax.fill_between(series.index, series["low"], series["high"], color=colour, alpha=0.08,
                            linewidth=0)
            ax.plot(series.index, series["mean"], color=colour, linewidth=1.4, label=f"{a}-{b}")
        for when, _ in marks:
            ax.axvline(when, color="0.55", linewidth=0.7, linestyle=":")
        ax.axhline(0, color="0.3", linewidth=0.6)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel("alignment")
        ax.set_title(f"Pairs {title}", fontsize=10, loc="left")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7.5, frameon=False)
    top = axes[0]
    for when, label in marks:
        top.annotate(label, (when, 1.07), xycoords=("data", "axes fraction"), rotation=55,
                     fontsize=7, ha="left", va="bottom")
    axes[-1].set_xlabel("year")


def draw_snapshot(ax, matrix: np.ndarray, codes: list[str], when: str) -> None:
    """The signed network of one date (sim.report.matrices.draw_network, undirected, on the
    map's positions), the states coloured by their faction."""
    side = factions(matrix, codes)
    draw_network(ax, matrix, codes, np.ones(len(codes)), np.array([POSITIONS[c] for c in codes]),
                 [FACTION_COLOURS[k] for k in side], directed=False, values=False)
    good, total = balanced_share(matrix)
    ax.set_title(f"{when}: {good}/{total} triads balanced", fontsize=9)


def draw(run_dir: Path, out: Path, events: Path = HERE / "events.csv") -> Path:
    wide, info = read_run(run_dir)
    catalogue = load_catalogue(events).set_index("id")
    marks = [(pd.Timestamp(catalogue.loc[ident, "date"][:7] + "-01"), label)
             for ident, label in MARKS if ident in catalogue.index]
    codes = list(ENTENTE + ALLIANCE)
    dates = pd.DatetimeIndex(sorted(wide.date.unique()))
    fig = Figure(figsize=(12, 12.5), layout="constrained")
    grid = fig.add_gridspec(4, 4, height_ratios=[1, 1, 1, 1.25])
    axes = [fig.add_subplot(grid[0, :])]
    axes += [fig.add_subplot(grid[row, :], sharex=axes[0]) for row in (1, 2)]
    draw_trajectories(axes, wide, marks)
    snapshots = []
    for k, when in enumerate(SNAPSHOTS):
        stamp = pd.Timestamp(when + "-01")
        if stamp not in dates:
            raise InputError(run_dir, "dates", f"the run has no month {when}; run it over "
                             "1872-01..1914-07 (the study's start and end)")
        snapshot = fig.add_subplot(grid[3, k])
        draw_snapshot(snapshot, symmetric_matrix(wide, stamp, codes), codes, when)
        snapshots.append(snapshot)
    fig.colorbar(ScalarMappable(ALIGNMENT, CMAP), ax=snapshots, location="bottom", shrink=0.4,
                 aspect=40, label="alignment of the pair (mean of both directions)")
    model = info.get("model", {}).get("balance", "local")
    fig.suptitle(f"European great powers 1872-1914: simulated alignments ({model} balance, "
                 f"{info['replicates']} replicates, seed {info['seed']})\nlines: mean of both "
                 "directions, bands: their 5-95% intervals; networks: states coloured by the "
                 "factions of the leading eigenvector", fontsize=11)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.stem + ".partial" + out.suffix)
    fig.savefig(partial, dpi=110)
    partial.replace(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        path = draw(args.run_dir, args.out or args.run_dir / "figures" / "europe.png")
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print(path)


if __name__ == "__main__":
    main()
