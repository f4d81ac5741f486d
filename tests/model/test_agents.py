"""States that act: the kernels' choice of actions, its mechanisms, thinning and hand-over."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import make_schedule, rate_rows, weight_rows

from sim.data.actors import Actors
from sim.data.eventtypes import ACTION_CLASS, CHOSEN_TYPES, DEFAULT_WEIGHTS, TYPE_INDEX, TYPE_NAMES
from sim.model import kernel
from sim.model.bundles import Events
from sim.model.ensemble import Agency, balance_structure, simulate
from sim.model.lanes import run_ensemble_lanes
from sim.model.mesa import GeoModel
from sim.model.reduce import ensemble_outputs

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MECHANISMS = ("affinity", "tit_for_tat", "balancing", "substitution", "client_ties")


def acting_rates(n_reps, rate=0.05, **values):
    """Parameter rows with every chosen type at `rate` and the given rates."""
    return rate_rows(n_reps, **{f"action_rates.{name}": rate for name in CHOSEN_TYPES}, **values)


@st.composite
def acting_systems(draw, max_states=6):
    n = draw(st.integers(2, max_states))
    n_steps = draw(st.integers(6, 24))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    alignment = rng.uniform(-0.9, 0.9, (n, n))
    np.fill_diagonal(alignment, 0.0)
    capability = rng.uniform(0.2, 3.0, n)
    values = {m: draw(st.floats(0.0, 20.0)) for m in MECHANISMS}
    rates = acting_rates(3, rate=draw(st.floats(0.0, 0.3)), lam=0.05, beta=0.3, rho=0.1, sigma=0.1,
                         mu=0.01, gain=0.3, source_share=0.4, memory=draw(st.floats(0.0, 0.95)),
                         **values)
    events = [[(int(t), int(s), int((s + 1 + d) % n), int(k), 1.5)
               for t, s, d, k in zip(rng.integers(0, n_steps, 8), rng.integers(0, n, 8),
                                     rng.integers(0, max(1, n - 1), 8),
                                     rng.integers(0, len(TYPE_NAMES), 8), strict=True)
               if (s + 1 + d) % n != s] for _ in range(2)]
    schedule = make_schedule(n_steps, *events)
    thin = rng.integers(0, 2, len(schedule.type)).astype(np.int64)
    agency = Agency(rng.uniform(0.5, 3.0, len(TYPE_NAMES)),
                    np.array([draw(st.integers(0, n_steps))] * 2), (draw(st.integers(0, n_steps)),
                                                                     n_steps), history=1)
    weights = weight_rows(3, [DEFAULT_WEIGHTS[name] for name in TYPE_NAMES])
    return alignment, capability, schedule, thin, rates, weights, agency


def run_kernel(which, alignment, capability, schedule, thin, rates, weights, agency, block):
    n, n_steps = len(capability), schedule.ptr.shape[1] - 1
    empty = np.zeros(0, dtype=np.int64)
    outputs = ensemble_outputs(n, len(rates), 2, n_steps, 0, len(rates), 1, 0,
                                      len(TYPE_NAMES), True)
    return which(alignment, alignment.copy(), balance_structure(capability), rates, weights,
                 Events(schedule.ptr, schedule.target, schedule.source, schedule.type,
                        schedule.factor, thin), agency.arrays(), np.int64(17), np.int64(0), block,
                 np.zeros(n_steps + 2, dtype=np.int64), empty, empty, *outputs)


@SETTINGS
@given(system=acting_systems())
def test_replicates_side_by_side_choose_as_one_at_a_time(compiled, system):
    """With the states acting, counting and thinning, the lanes kernel gives the one-at-a-time
    kernel's outputs bit for bit (kept replicates and action counts)."""
    lanes = run_kernel(run_ensemble_lanes, *system, block=8)
    rows = run_kernel(kernel.run_ensemble_rows, *system, block=2)
    np.testing.assert_array_equal(lanes[5], rows[5])
    np.testing.assert_array_equal(lanes[6], rows[6])
    np.testing.assert_array_equal(lanes[0], rows[0])


def test_the_states_act_only_from_their_hand_over(compiled):
    alignment = np.array([[0.0, 0.5, -0.3], [0.4, 0.0, 0.2], [-0.5, 0.1, 0.0]])
    schedule = make_schedule(30)
    rates = acting_rates(200, rate=0.05, gain=0.5, source_share=0.5, affinity=2.0)
    weights = weight_rows(200, [DEFAULT_WEIGHTS[name] for name in TYPE_NAMES])
    ens = simulate(alignment, np.ones(3), schedule, rates, weights, 4, keep=200, quantile_bins=0,
                   agency=Agency(np.ones(len(TYPE_NAMES)), np.array([12]), (0, 30)))
    before = ens.raw[:, 0, :13]
    np.testing.assert_array_equal(before, np.broadcast_to(alignment, before.shape))
    assert (ens.raw[:, 0, 13] != alignment).any()
    assert ens.action_counts.sum() > 0  # counted from step 0, applied from step 12 on


def frequencies(alignment, capability, memory_event, values, n_reps=20_000, rate=0.02):
    """Counts per (i, j, type) over n_reps replicates of one step, the state held fixed (no
    rates of change), after one recorded event at step 0 that only fills the memory."""
    n_steps = 2
    events = [memory_event] if memory_event else []
    schedule = make_schedule(n_steps, events)
    rates = acting_rates(n_reps, rate=rate, memory=1.0, **values)
    weights = weight_rows(n_reps, [DEFAULT_WEIGHTS[name] for name in TYPE_NAMES])
    ens = simulate(alignment, capability, schedule, rates, weights, 9, quantile_bins=0,
                   agency=Agency(np.ones(len(TYPE_NAMES)), np.array([n_steps]), (1, 2)))
    return ens.action_counts[:, 0].sum(axis=0) / n_reps


def test_choices_happen_at_the_rates_the_intensities_give(compiled):
    """Frequencies of each type per pair match StateAgent.intensities (each capped at its
    slot of the month) within 5 standard errors."""
    rng = np.random.default_rng(5)
    n = 4
    alignment = rng.uniform(-0.8, 0.8, (n, n))
    np.fill_diagonal(alignment, 0.0)
    capability = np.array([1.0, 2.0, 0.5, 1.5])
    values = dict(affinity=3.0, tit_for_tat=4.0, balancing=5.0, substitution=6.0, client_ties=2.0)
    n_reps = 20_000
    observed = frequencies(alignment, capability, None, values, n_reps)
    model = GeoModel(Actors(tuple("ABCD"), tuple("ABCD"), capability, alignment), make_schedule(1),
                     acting_rates(1, rate=0.02, memory=1.0, **values)[0],
                     np.array([DEFAULT_WEIGHTS[t] for t in TYPE_NAMES]))
    for agent in model.agents:
        for j in range(n):
            if j == agent.index:
                continue
            rates = np.array([model.rate(f"action_rates.{t}") for t in TYPE_NAMES])
            chosen = np.array([ACTION_CLASS[t] != 0 for t in TYPE_NAMES])
            slots = np.where(chosen, rates / rates[chosen].sum(), 0.0)
            expected = np.minimum(np.array(agent.intensities(j)), slots)
            error = np.sqrt(expected * (1 - expected) / n_reps)
            assert (np.abs(observed[agent.index, j] - expected) <= 5 * error + 1e-12).all()


def test_a_likelier_type_adds_only_its_own_actions(compiled):
    """The variants' draws are coupled monotonically: where help received makes state 1's
    cooperation toward 0 likelier and its opposition less likely, every replicate's
    cooperative choices of the reference are kept and its opposing choices are a subset."""
    n_reps = 5000
    alignment = np.zeros((2, 2))
    aid = (0, 0, 1, TYPE_INDEX["aid"], 3.0)
    schedule = make_schedule(2, [], [aid])
    rates = acting_rates(n_reps, rate=0.05, tit_for_tat=10.0, gain=0.5, memory=1.0)
    weights = weight_rows(n_reps, [DEFAULT_WEIGHTS[t] for t in TYPE_NAMES])
    ens = simulate(alignment, np.ones(2), schedule, rates, weights, 2, quantile_bins=0,
                   agency=Agency(np.ones(len(TYPE_NAMES)), np.array([2, 2]), (1, 2)))
    counts = ens.action_counts[:, :, 1, 0]  # [R, V, K]: state 1 toward state 0 at step 1
    oppose = [TYPE_INDEX[t] for t in CHOSEN_TYPES if ACTION_CLASS[t] == 4]
    cooperate = [TYPE_INDEX[t] for t in CHOSEN_TYPES if ACTION_CLASS[t] != 4]
    assert (counts[:, 1, cooperate] >= counts[:, 0, cooperate]).all()
    assert (counts[:, 1, oppose] <= counts[:, 0, oppose]).all()
    assert counts[:, 1, cooperate].sum() > counts[:, 0, cooperate].sum()


def cooperation(counts, i, j):
    return sum(counts[i, j, TYPE_INDEX[t]] for t in CHOSEN_TYPES if ACTION_CLASS[t] != 4)


def test_a_lost_partner_turns_a_state_toward_the_partners_rivals(compiled):
    """Substitution (Morrow 1991): after an aid cut from state 0, state 1 courts state 2, a
    rival of state 0, more often; without the substitution term it does not."""
    alignment = np.array([[0.0, 0.5, -0.6], [0.5, 0.0, 0.0], [-0.6, 0.0, 0.0]])
    cut = (0, 0, 1, TYPE_INDEX["aid_cut"], 3.0)
    params = dict(gain=0.5, source_share=0.0)
    with_cut = frequencies(alignment, np.ones(3), cut, dict(params, substitution=10.0))
    without = frequencies(alignment, np.ones(3), None, dict(params, substitution=10.0))
    assert cooperation(with_cut, 1, 2) > 1.5 * cooperation(without, 1, 2)
    switched_off = frequencies(alignment, np.ones(3), cut, params)
    assert cooperation(switched_off, 1, 2) == cooperation(without, 1, 2)


def test_a_shared_capable_rival_draws_security_cooperation(compiled):
    """Balancing (Walt 1987): two states that both oppose a third agree and exercise together
    more often the more capable the third is beside a neutral fourth."""
    alignment = np.zeros((4, 4))
    alignment[[0, 1], 2] = alignment[2, [0, 1]] = -0.8
    secure = [TYPE_INDEX["agreement"], TYPE_INDEX["exercise"]]
    weak = frequencies(alignment, np.array([1.0, 1.0, 0.2, 1.0]), None, dict(balancing=10.0))
    strong = frequencies(alignment, np.array([1.0, 1.0, 5.0, 1.0]), None, dict(balancing=10.0))
    assert strong[0, 1, secure].sum() > 1.5 * weak[0, 1, secure].sum()


def test_a_supplier_weighs_a_new_client_against_its_friends(compiled):
    """Client ties: a supplier sells arms less often to a client its friend opposes."""
    friendly = np.array([[0.0, 0.0, 0.8], [0.0, 0.0, 0.0], [0.8, 0.0, 0.0]])
    opposed = friendly.copy()
    opposed[2, 1] = -0.8
    arms = TYPE_INDEX["arms_sale"]
    calm = frequencies(friendly, np.ones(3), None, dict(client_ties=5.0))
    torn = frequencies(opposed, np.ones(3), None, dict(client_ties=5.0))
    assert torn[0, 1, arms] < 0.6 * calm[0, 1, arms]


def test_actions_are_answered_in_kind(compiled):
    """Tit for tat: a state that was just helped cooperates more and opposes less."""
    alignment = np.zeros((2, 2))
    aid = (0, 0, 1, TYPE_INDEX["aid"], 3.0)
    params = dict(tit_for_tat=10.0, gain=0.5)
    helped = frequencies(alignment, np.ones(2), aid, params)
    plain = frequencies(alignment, np.ones(2), None, params)
    hostile = TYPE_INDEX["hostile_statement"]
    assert cooperation(helped, 1, 0) > 1.5 * cooperation(plain, 1, 0)
    assert helped[1, 0, hostile] < plain[1, 0, hostile]


def test_a_counterfactual_keeps_a_recorded_choice_at_the_ratio_of_intensities(compiled):
    """The history (variant 1) keeps a recorded visit; variant 0, where the visitor's
    affinity toward the host is lower, keeps it in l0 / l1 of the replicates."""
    n_reps = 20_000
    alignment = np.array([[0.0, 0.5], [0.5, 0.0]])
    lower = (0, 1, 0, TYPE_INDEX["hostile_statement"], 5.0)  # lowers A[0, 1] in variant 0
    visit = (1, 0, 1, TYPE_INDEX["visit"], 1.0)
    schedule = replace(make_schedule(3, [lower, visit], [visit]),
                       thin=np.array([0, 1, 0], dtype=np.int64))
    rates = rate_rows(n_reps, gain=0.5, affinity=4.0)
    weights = weight_rows(n_reps, [DEFAULT_WEIGHTS[t] for t in TYPE_NAMES])
    ens = simulate(alignment, np.ones(2), schedule, rates, weights, 3, keep=n_reps,
                   quantile_bins=0, agency=Agency(np.ones(len(TYPE_NAMES)), np.array([3, 3]),
                                                  history=1))
    a0 = ens.raw[0, 0, 1]  # variant 0 after the hostile statement, before the visit
    a1 = ens.raw[0, 1, 1]
    level0, level1 = 1.0 + 4.0 * a0[0, 1], 1.0 + 4.0 * a1[0, 1]
    kept = (ens.raw[:, 0, 2, 1, 0] > ens.raw[:, 0, 1, 1, 0]).mean()
    share = level0 / level1
    assert 0.2 < share < 0.8
    assert abs(kept - share) < 5 * np.sqrt(share * (1 - share) / n_reps)
    assert (ens.raw[:, 1, 2, 1, 0] > ens.raw[:, 1, 1, 1, 0]).all()  # the history keeps it


def test_mesa_agents_choose_as_the_kernel(compiled):
    """GeoModel with acting states is replicate r of the ensemble, value for value."""
    rng = np.random.default_rng(8)
    alignment = rng.uniform(-0.7, 0.7, (4, 4))
    np.fill_diagonal(alignment, 0.0)
    capability = np.array([0.5, 1.0, 2.0, 0.3])
    actors = Actors(("AAA", "BBB", "CCC", "DDD"), tuple("ABCD"), capability, alignment)
    schedule = make_schedule(36, [(2, 0, 1, TYPE_INDEX["aid_cut"], 2.0),
                                  (5, 2, 3, TYPE_INDEX["visit"], 1.0)])
    rates = acting_rates(4, rate=0.08, lam=0.05, beta=0.3, rho=0.1, sigma=0.05, mu=0.01, gain=0.3,
                         source_share=0.4, affinity=2.0, tit_for_tat=5.0, balancing=4.0,
                         substitution=8.0, client_ties=2.0, memory=0.8)
    weights = weight_rows(4, [DEFAULT_WEIGHTS[t] for t in TYPE_NAMES])
    agency = Agency(np.linspace(1.0, 2.0, len(TYPE_NAMES)), np.array([6]))
    ens = simulate(alignment, capability, schedule, rates, weights, 21, keep=4, quantile_bins=0,
                   agency=agency)
    for replicate in (0, 3):
        model = GeoModel(actors, schedule, rates[replicate], weights[replicate], seed=21,
                         replicate=replicate, agency=agency)
        taken = 0
        for _ in range(36):
            model.step()
            taken += sum(len(agent.last_actions) for agent in model.agents)
        np.testing.assert_array_equal(model.trajectory(), ens.raw[replicate, 0])
        assert taken > 0


@pytest.mark.parametrize("seed", range(6))
def test_canonical_balance_splits_along_the_leading_eigenvector(compiled, seed):
    """Marvel, Kleinberg & Strogatz (2011): from a random symmetric matrix, dX/dt = X^2 ends
    in two factions given by the signs of the initial leading eigenvector."""
    rng = np.random.default_rng(seed)
    n = 8
    upper = np.triu(rng.normal(0.0, 0.05, (n, n)))
    start = upper + np.triu(upper, 1).T
    ens = simulate(start, np.ones(n), make_schedule(400), rate_rows(1, beta=0.05), weight_rows(1),
                   0, keep=1, quantile_bins=0, balance="canonical")
    final = ens.raw[0, 0, -1]
    values, vectors = np.linalg.eigh(start)
    leader = np.sign(vectors[:, np.argmax(values)])
    expected = np.outer(leader, leader)
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_array_equal(np.sign(final)[off], expected[off])
    assert np.abs(final[off]).min() > 0.5


def test_the_freeze_turns_pakistan_toward_russia_through_the_states_answers(compose_config):
    """No edit of aid_freeze touches Pakistan and Russia, yet the mean effect on PAK -> RUS a
    year on is positive with the states acting, and nil without them."""
    from sim.run.run import prepare, simulate_setup

    effects = {}
    for agents in (True, False):
        cfg = compose_config(["+scenario=aid_freeze", "replicates=200", f"model.agents={agents}"])
        setup = prepare(cfg)
        edited = pd.concat(setup.schedules.events).query("id in @setup.schedules.edited")
        assert not (set(zip(edited.source, edited.target, strict=True)) & {("PAK", "RUS"), ("RUS", "PAK")})
        ens, _ = simulate_setup(setup, cfg, progress=False, quantile_bins=0)
        i, j = setup.actors.index["PAK"], setup.actors.index["RUS"]
        step = setup.schedules.lever - setup.start + 12
        effects[agents] = ens.mean[2, step, i, j]  # the scenario minus the reference
    assert effects[True] > 0.02
    assert abs(effects[False]) < 0.005


def test_a_run_past_the_record_is_a_forecast_of_acting_states(compose_config):
    """After the record ends the states keep acting: the alignments differ from the replay
    alone, and most pairs neither return to their baseline nor saturate."""
    from sim.run.run import prepare, simulate_setup

    finals = {}
    for agents in (True, False):
        cfg = compose_config(["end=2023-12", "replicates=100", f"model.agents={agents}"])
        setup = prepare(cfg)
        ens, _ = simulate_setup(setup, cfg, progress=False, quantile_bins=0)
        finals[agents] = ens.mean[0, -1]
    off = ~np.eye(finals[True].shape[0], dtype=bool)
    assert np.abs(finals[True] - finals[False])[off].max() > 0.05
    assert (np.abs(finals[True][off]) > 0.95).mean() < 0.5
