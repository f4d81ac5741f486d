"""The Mesa layer: GeoModel stepped T times is replicate r of the ensemble, value for value,
with each way of keeping the alignments inside [-1, 1] (sim.model.bounds.BOUNDS_FORMS)."""

import mesa
import numpy as np
import pytest
from support import N_TYPES, make_schedule, rate_rows

from sim.data.actors import Actors, load_actors
from sim.data.dates import parse_month
from sim.data.events.catalogue import load_catalogue
from sim.model.agents import StateAgent
from sim.model.bounds import BOUNDS_FORMS
from sim.model.ensemble import simulate
from sim.model.mesa import GeoModel
from sim.paths import resolve_path
from sim.run.inputs import build_schedule, parameter_rows

START, N_STEPS = "2014-01", 48


@pytest.fixture(scope="module")
def seeded(compose_config):
    """The seed actors and catalogue from 2014-01 for 48 months, with the default params."""
    cfg = compose_config([])
    actors = load_actors(resolve_path(cfg.data.actors))
    catalogue = load_catalogue(resolve_path(cfg.data.events), actors.codes)
    params = dict(cfg.params)
    params["weights"] = dict(cfg.params.weights)
    schedule = build_schedule([catalogue], actors.index, parse_month(START, "test", "start"),
                              N_STEPS, float(params["money_ref_usd"]), float(params["tiv_ref"]))
    assert schedule.ptr[0, -1] > 0, "the window should hold some events"
    return actors, schedule, params


@pytest.fixture(scope="module")
def random_system():
    """Four made-up states with noisy dynamics and events of several types."""
    rng = np.random.default_rng(3)
    alignment = rng.uniform(-0.9, 0.9, (4, 4))
    np.fill_diagonal(alignment, 0.0)
    actors = Actors(("AAA", "BBB", "CCC", "DDD"), ("A", "B", "C", "D"),
                    np.array([0.5, 1.0, 2.0, 0.1]), alignment)
    events = [(int(t), int(s), int((s + d) % 4), int(k), float(f)) for t, s, d, k, f in zip(
        rng.integers(0, 30, 25), rng.integers(0, 4, 25), rng.integers(1, 4, 25),
        rng.integers(0, N_TYPES, 25), rng.uniform(0.5, 3.0, 25), strict=True)]
    rates = rate_rows(1, lam=0.05, beta=0.4, rho=0.2, sigma=0.15, mu=0.02, gain=0.3,
                         source_share=0.5)[0]
    weights = rng.uniform(-10, 10, N_TYPES)
    return actors, make_schedule(30, events), rates, weights


def stepped(actors, schedule, rates, weights, seed, replicate, steps, bounds="tanh"):
    model = GeoModel(actors, schedule, rates, weights, seed=seed, replicate=replicate,
                     bounds=bounds)
    for _ in range(steps):
        model.step()
    return model


@pytest.mark.parametrize("bounds", BOUNDS_FORMS)
@pytest.mark.parametrize("seed,replicate", [(0, 0), (0, 3), (12345, 1), (2**40 + 7, 6)])
def test_model_equals_ensemble_replicate_on_the_seed_catalogue(compiled, seeded, seed, replicate,
                                                               bounds):
    actors, schedule, params = seeded
    rates, weights = parameter_rows([params], replicate + 1)
    ens = simulate(actors.alignment, actors.capability, schedule, rates, weights, seed,
                   keep=replicate + 1, bounds=bounds)
    model = stepped(actors, schedule, rates[0], weights[0], seed, replicate, N_STEPS, bounds)
    trajectory = model.trajectory()
    assert trajectory.shape == (N_STEPS + 1, len(actors.codes), len(actors.codes))
    assert np.array_equal(trajectory, ens.raw[replicate, 0])


@pytest.mark.parametrize("bounds", BOUNDS_FORMS)
@pytest.mark.parametrize("seed,replicate", [(5, 0), (5, 2), (99, 4)])
def test_model_equals_ensemble_replicate_on_a_random_system(compiled, random_system, seed,
                                                            replicate, bounds):
    actors, schedule, rates, weights = random_system
    n_reps = replicate + 3
    ens = simulate(actors.alignment, actors.capability, schedule, np.tile(rates, (n_reps, 1)),
                   np.tile(weights, (n_reps, 1)), seed, keep=replicate + 1, bounds=bounds)
    model = stepped(actors, schedule, rates, weights, seed, replicate, 30, bounds)
    assert np.array_equal(model.trajectory(), ens.raw[replicate, 0])
    others = [r for r in range(replicate + 1) if r != replicate]
    assert all(not np.array_equal(model.trajectory(), ens.raw[r, 0]) for r in others)


def test_agents_are_the_states(compiled, seeded):
    actors, schedule, params = seeded
    rates, weights = parameter_rows([params], 1)
    model = stepped(actors, schedule, rates[0], weights[0], 1, 0, 5)
    agents = list(model.agents)
    assert len(agents) == len(actors.codes)
    assert all(isinstance(agent, StateAgent) and isinstance(agent, mesa.Agent) for agent in agents)
    assert sorted(a.code for a in agents) == sorted(actors.codes)
    for agent in agents:
        k = actors.codes.index(agent.code)
        assert agent.name == actors.names[k]
        assert agent.capability == pytest.approx(actors.capability[k])
        row = agent.alignment_row
        assert set(row) == set(actors.codes) - {agent.code}
        for other, value in row.items():
            assert value == model.alignment[k, actors.codes.index(other)]
            assert agent.toward(other) == value


def test_datacollector_records_every_date(compiled, seeded):
    actors, schedule, params = seeded
    rates, weights = parameter_rows([params], 1)
    model = stepped(actors, schedule, rates[0], weights[0], 2, 0, 7)
    model_vars = model.datacollector.get_model_vars_dataframe()
    agent_vars = model.datacollector.get_agent_vars_dataframe()
    assert len(model_vars) == 7 + 1
    assert len(agent_vars) == (7 + 1) * len(actors.codes)
    np.testing.assert_array_equal(model_vars["alignment"].iloc[0], actors.alignment)
    np.testing.assert_array_equal(model_vars["alignment"].iloc[-1], model.alignment)


def test_model_stops_at_the_end_of_the_schedule(compiled, random_system):
    actors, schedule, rates, weights = random_system
    model = stepped(actors, schedule, rates, weights, 0, 0, 30)
    final = model.alignment.copy()
    assert model.running
    model.step()
    assert not model.running
    assert len(model.datacollector.get_model_vars_dataframe()) == 31
    np.testing.assert_array_equal(model.alignment, final)


def test_model_takes_one_variant_only(random_system):
    actors, _, rates, weights = random_system
    with pytest.raises(ValueError):
        GeoModel(actors, make_schedule(5, [], []), rates, weights)


def test_smoke_ten_steps_with_a_fixed_seed(compiled, seeded):
    actors, schedule, params = seeded
    rates, weights = parameter_rows([params], 1)
    first = stepped(actors, schedule, rates[0], weights[0], 2024, 0, 10)
    again = stepped(actors, schedule, rates[0], weights[0], 2024, 0, 10)
    other = stepped(actors, schedule, rates[0], weights[0], 2025, 0, 10)
    trajectory = first.trajectory()
    assert trajectory.shape == (11, len(actors.codes), len(actors.codes))
    assert np.isfinite(trajectory).all() and np.abs(trajectory).max() <= 1.0
    assert (np.diagonal(trajectory, axis1=1, axis2=2) == 0).all()
    assert first.step_index == 10
    np.testing.assert_array_equal(trajectory, again.trajectory())
    assert not np.array_equal(trajectory, other.trajectory())
    assert not np.array_equal(trajectory[10], trajectory[0])
