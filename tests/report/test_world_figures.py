"""Figures of a run of many states draw the focus and its closest few (a matrix or a network
of 193 states cannot be read), and say so in their titles."""

from sim.report.tables import MAX_DRAWN_STATES, States, drawn_states

CODES = tuple(f"S{k:03d}" for k in range(193))
STATES = States(CODES, {c: c for c in CODES}, {c: 1.0 for c in CODES})


def peak(source, target, mean):
    return {"source": source, "target": target, "when": "peak", "mean": mean}


def test_the_largest_effects_and_the_touched_pairs_are_drawn():
    effects = [peak("S000", c, 0.001 * k) for k, c in enumerate(CODES[1:])]
    summary = {"effects": effects, "effect_pairs_touched": [["S005", "S000"]]}
    drawn = drawn_states(STATES, "S000", summary)
    assert len(drawn.codes) == MAX_DRAWN_STATES and drawn.of == 193
    assert drawn.codes == ("S000", "S005", *CODES[-(MAX_DRAWN_STATES - 2):])
    assert "9 of 193 states" in drawn.drawn()


def test_without_a_scenario_the_strongest_alignments_either_way():
    final = {"S000": {c: 0.0 for c in CODES[1:]}, "S150": {"S000": -0.9}}
    final["S000"]["S020"] = 0.8
    drawn = drawn_states(STATES, "S000", {"final_mean": final})
    assert {"S020", "S150"} <= set(drawn.codes)


def test_a_few_states_are_all_drawn():
    few = States(CODES[:5], {}, {})
    assert drawn_states(few, "S000", {}) is few and few.drawn() == ""
