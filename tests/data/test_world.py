"""The world actor set: the rule for the initial alignment on small arrays, the choice of
states, and the committed data/world.yaml loaded as any actors file."""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.data import world
from sim.data.actors import load_actors

ROOT = Path(__file__).parents[2]
WORLD = ROOT / "data" / "world.yaml"


def symmetric(values: dict[tuple[int, int], float], n: int) -> np.ndarray:
    matrix = np.full((n, n), np.nan)
    for (i, j), value in values.items():
        matrix[i, j] = matrix[j, i] = value
    return matrix


def test_the_vote_term_ranks_agreement_after_each_state_s_mean():
    # state 0 votes against the others (a low mean); 0-1 is its closest pair, yet lower in
    # level than every pair of the others
    agree = symmetric({(0, 1): 0.45, (0, 2): 0.20, (0, 3): 0.20, (0, 4): 0.25, (1, 2): 0.80,
                       (1, 3): 0.75, (1, 4): 0.80, (2, 3): 0.90, (2, 4): 0.85, (3, 4): 0.90}, 5)
    term = world.vote_term(agree)
    assert np.allclose(term, term.T) and np.all(np.abs(term) < 0.5)
    assert term[0, 1] == term[0, 1:].max() and term[0, 1] > term[1, 2] > 0
    assert term[0, 2] == term[0, 3]  # ties share their rank
    assert np.all(np.diag(term) == 0)


def test_no_common_vote_gives_a_zero_vote_term():
    agree = symmetric({(0, 1): 0.8, (0, 2): 0.6, (1, 2): 0.7}, 4)
    term = world.vote_term(agree)
    assert np.all(term[3] == 0) and np.all(term[:, 3] == 0)


def test_the_rule_adds_alliances_and_rivalries_clips_and_records_each_origin():
    n = 5
    agree = symmetric({(0, 1): 0.45, (0, 2): 0.20, (0, 3): 0.20, (0, 4): 0.25, (1, 2): 0.80,
                       (1, 3): 0.75, (1, 4): 0.80, (2, 3): 0.90, (2, 4): 0.85}, n)
    defence, consultation, rivalry = (np.zeros((n, n)) for _ in range(3))
    defence[0, 1] = 1.0          # 0 pledges to defend 1, not the other way round
    consultation[1, 0] = consultation[0, 1] = 1.0
    rivalry[0, 2] = rivalry[2, 0] = 1.0
    rivalry[3, 4] = rivalry[4, 3] = 1.0
    value, origin = world.initial_alignment(agree, defence, consultation, rivalry)
    votes = world.vote_term(agree)
    assert votes[0, 2] - 0.60 < -world.BOUND  # so the rivalry's value is clipped
    assert value[0, 1] == pytest.approx(votes[0, 1] + 0.30)
    assert value[1, 0] == pytest.approx(votes[1, 0] + 0.15)
    assert (origin[0, 1], origin[1, 0]) == ("VD", "VC")
    assert value[0, 2] == pytest.approx(-world.BOUND) and origin[0, 2] == "VRX"
    assert value[3, 4] == pytest.approx(-0.60) and origin[3, 4] == "NR"  # no common vote
    assert value[1, 2] == pytest.approx(votes[1, 2]) and origin[1, 2] == "V"
    off = ~np.eye(n, dtype=bool)
    assert np.all(np.abs(value[off]) <= world.BOUND) and np.all(np.diag(value) == 0)
    assert all(origin[off]) and not any(np.diag(origin))


def cow_states(rows):
    columns = ["ccode", "statenme", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"]
    return pd.DataFrame(rows, columns=columns)


def test_states_on_the_start_day_get_iso3_codes_with_serbia_for_yugoslavia():
    frame = cow_states([(2, "United States of America", 1816, 1, 1, 2016, 12, 31),
                        (345, "Yugoslavia", 1992, 4, 27, 2016, 12, 31),
                        (265, "German Democratic Republic", 1954, 3, 25, 1990, 10, 2),
                        (626, "South Sudan", 2011, 7, 9, 2016, 12, 31),
                        (437, "Ivory Coast", 1960, 8, 7, 2016, 12, 31)])
    states = world.states_on(frame, world.START)
    assert list(states["code"]) == ["USA", "SRB", "CIV"]


def test_non_members_join_only_with_at_least_the_members_median_capability():
    system = pd.DataFrame({"code": ["AAA", "BBB", "CCC", "TWN", "XKX"]})
    cinc = np.array([0.1, 0.01, 0.001, 0.02, 0.0001])
    keep = world.choose_states(system, cinc, {"AAA", "BBB", "CCC"})
    assert list(system["code"][keep]) == ["AAA", "BBB", "CCC", "TWN"]


def test_capability_falls_back_to_the_nearest_earlier_year():
    nmc = pd.DataFrame({"ccode": [1, 1, 2, 2], "year": [2008, 2010, 2007, 2011],
                        "cinc": [0.2, 0.3, 0.4, 0.5]})
    cinc, years = world.capabilities(nmc, [1, 2], 2010)
    assert list(cinc) == [0.3, 0.4] and years == [2010, 2007]


@pytest.fixture(scope="module")
def committed():
    return load_actors(WORLD)


def test_the_committed_world_loads_with_193_states_and_values_inside_the_bounds(committed):
    assert len(committed.codes) == 193 and committed.alignment.shape == (193, 193)
    assert {"USA", "PAK", "RUS", "CHN", "IND", "TWN", "SRB"} <= set(committed.codes)
    assert not {"XKX", "SSD"} & set(committed.codes)
    off = ~np.eye(193, dtype=bool)
    assert np.all(np.abs(committed.alignment[off]) < 1) and np.all(np.diag(committed.alignment) == 0)
    assert np.all(committed.capability > 0)
    assert committed.capability.sum() == pytest.approx(1.0, abs=0.01)  # CINC shares


def test_every_value_of_the_committed_world_has_an_origin(committed):
    with open(WORLD.parent / world.ALIGNMENT_FILE, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 193 * 192
    assert all(row["origin"] and set(row["origin"]) <= set("VNDCRX") for row in rows)
    assert all(row["origin"][0] in "VN" for row in rows)
    index = committed.index
    rivals = {(row["source"], row["target"]) for row in rows if "R" in row["origin"]}
    assert ("IND", "PAK") in rivals and ("CHN", "TWN") in rivals
    # a rivalry turns a pair negative unless a defence pact binds the two (Greece and Turkey)
    unallied = {(r["source"], r["target"]) for r in rows if "R" in r["origin"] and "D" not in r["origin"]}
    assert unallied and all(committed.alignment[index[s], index[t]] < 0 for s, t in unallied)


def test_the_world_command_refuses_to_overwrite_an_input(tmp_path, capsys):
    agreement = tmp_path / "agreement.csv"
    agreement.write_text("year,state_a,state_b,votes,same,distance2\n")
    for name in world.SOURCES:
        (tmp_path / f"{name}.rda").write_bytes(b"")
    code = world.main(["--peacesciencer-dir", str(tmp_path), "--agreement", str(agreement),
                       "-o", str(tmp_path / "cow_states.rda")])
    assert code == 2 and capsys.readouterr().err.count("\n") == 1


FIXTURE = Path(__file__).parent / "fixtures" / "peacesciencer"


def test_the_command_builds_a_loadable_world_from_a_cut_of_the_sources(tmp_path, capsys):
    pytest.importorskip("rdata")
    out = tmp_path / "world.yaml"
    assert world.main(["--peacesciencer-dir", str(FIXTURE), "--agreement",
                       str(FIXTURE / "unga_agreement.csv"), "-o", str(out),
                       "--compare", str(ROOT / "seeds" / "actors.yaml")]) == 0
    actors = load_actors(out)
    # Taiwan's CINC is below the median of these nine large members; Kosovo's far below
    assert actors.codes == ("CHN", "CUB", "GBR", "IND", "ISR", "JPN", "PAK", "RUS", "USA")
    with open(tmp_path / world.ALIGNMENT_FILE, encoding="utf-8") as handle:
        origin = {(r["source"], r["target"]): r["origin"] for r in csv.DictReader(handle)}
    assert origin[("USA", "JPN")] == "VD" and origin[("JPN", "USA")] == "VC"
    assert "R" in origin[("IND", "PAK")] and "R" in origin[("USA", "CUB")]
    i = actors.index
    assert actors.alignment[i["USA"], i["GBR"]] > actors.alignment[i["USA"], i["IND"]]
    printed = capsys.readouterr().out
    assert "9 states" in printed
    # the hand-set five beside the rule, each ordered pair once
    assert sum(line.startswith(("USA -> ", "PAK -> ", "RUS -> ", "CHN -> ", "IND -> "))
               for line in printed.splitlines()) == 20
