"""The Mesa model: one replicate of one event schedule, stepped by the ensemble's kernel.

The arrays live in the model (Mesa's agents are views on them). Each `step()` the state
agents choose their actions in Python (StateAgent.choose) from the step's uniforms of
replicate `replicate`'s action stream, and one call of the same compiled step the ensemble
runs applies them with the recorded events and the noise of the replicate's stream under
`seed`; so the model and the ensemble agree on every value.
"""

import mesa
import numpy as np

from sim.data.actors import Actors
from sim.data.eventtypes import TYPE_NAMES
from sim.model.actions import action_key, slot_bounds, step_uniforms
from sim.model.agents import StateAgent
from sim.model.bundles import Events
from sim.model.ensemble import RATE_COLUMNS, Agency, Schedule, balance_structure, inert_agency
from sim.model.kernel import action_workspace, advance_one, workspace
from sim.model.params import N_PARAMS
from sim.model.rng import stream_key


class GeoModel(mesa.Model):
    """Alignments between states, one replicate stepped a month at a time.

    actors: the states (sim.data.actors.load_actors); schedule: one variant of recorded events
    (sim.run.inputs.build_schedule); rates float64[len(RATE_COLUMNS)] and weights float64[K]:
    one parameter set (sim.run.inputs.parameter_row); seed, replicate: which random streams
    (the ensemble's replicate `replicate` under `seed`); agency: when the states act
    (sim.run.handover.run_agency; None: never, the record alone); balance: "local" or
    "canonical", bounds: "tanh", "heider" or "clip" (sim.model.ensemble.balance_structure).
    """

    def __init__(self, actors: Actors, schedule: Schedule, rates: np.ndarray, weights: np.ndarray,
                 seed: int = 0, replicate: int = 0, agency: Agency | None = None,
                 balance: str = "local", bounds: str = "tanh"):
        super().__init__(seed=seed)
        if schedule.ptr.shape[0] != 1:
            raise ValueError("GeoModel runs one schedule variant; pass a single-variant Schedule")
        self.codes = list(actors.codes)
        self.n_steps = schedule.ptr.shape[1] - 1
        self.step_index = 0
        n = len(self.codes)
        self.structure = balance_structure(actors.capability, balance, bounds)
        self.capability, self.threat_norm = self.structure.capability, self.structure.threat_norm
        self.rates = np.ascontiguousarray(rates, dtype=np.float64).reshape(1, -1)
        self.weights = np.ascontiguousarray(weights, dtype=np.float64).reshape(1, -1)
        self.events = Events(schedule.ptr, schedule.target, schedule.source, schedule.type,
                       schedule.factor, np.zeros(len(schedule.type), dtype=np.int64))
        self.agency = (inert_agency(1, self.n_steps, len(TYPE_NAMES)) if agency is None
                       else agency.arrays())
        self.slots = slot_bounds(self.rates[0, N_PARAMS:], self.agency.action_class,
                                 np.empty(len(TYPE_NAMES) + 1))
        self.A = np.zeros((2, 1, 1, n, n))
        self.B = np.zeros((2, 1, 1, n, n))
        self.G = np.zeros((2, 1, 1, n, n))
        self.A[0, 0, 0] = actors.alignment
        self.B[0, 0, 0] = actors.alignment
        self.streams = np.array([stream_key(seed, replicate)], dtype=np.uint64)
        self.keys = np.array([action_key(seed, replicate)], dtype=np.uint64)
        self._workspace = workspace(n)
        self._actions = action_workspace(n)
        self._counts = np.zeros((1, 1, n, n, len(TYPE_NAMES)), dtype=np.int32)
        self._chosen = np.full((1, n, n), -1, dtype=np.int64)
        for k, (code, name, weight) in enumerate(zip(actors.codes, actors.names,
                                                     actors.capability, strict=True)):
            StateAgent(self, k, code, name, float(weight))
        self.datacollector = mesa.DataCollector(
            model_reporters={"alignment": "alignment_copy"},
            agent_reporters={"code": "code", "alignment": "alignment_row",
                             "actions": "last_actions"},
        )
        self.datacollector.collect(self)

    def rate(self, name: str) -> float:
        """The value of parameter `name` (a column of RATE_COLUMNS)."""
        return float(self.rates[0, RATE_COLUMNS.index(name)])

    @property
    def alignment(self) -> np.ndarray:
        """The current alignment matrix A[i, j] (a view)."""
        return self.A[self.step_index & 1, 0, 0]

    @property
    def alignment_copy(self) -> np.ndarray:
        return self.alignment.copy()

    @property
    def memory(self) -> np.ndarray:
        """G[i, j]: the recent event impulses on i's alignment toward j (a view)."""
        return self.G[self.step_index & 1, 0, 0]

    def step(self) -> None:
        if self.step_index >= self.n_steps:
            self.running = False
            return
        src, dst = self.step_index & 1, (self.step_index + 1) & 1
        acting = self.step_index >= self.agency.agents_from[0]
        for agent in self.agents:
            agent.last_actions = {}
        if acting:
            uniforms = step_uniforms(self.keys[0], self.step_index, len(self.codes),
                                     np.empty((len(self.codes),) * 2))
            for agent in self.agents:
                self._chosen[0, agent.index] = agent.choose(uniforms[agent.index])
        advance_one(self.A, self.B, self.G, src, dst, self.step_index, self.structure, self.rates,
                    self.weights, self.events, self.agency, self.streams, self.keys,
                    self._workspace, self._actions, self._counts, self._chosen)
        self.step_index += 1
        self.datacollector.collect(self)

    def trajectory(self) -> np.ndarray:
        """float64[steps taken + 1, N, N]: the recorded alignment matrices."""
        return np.stack(self.datacollector.get_model_vars_dataframe()["alignment"].to_list())


GeoModel.__init__.__doc__ = GeoModel.__doc__  # help() on the constructor: its arguments, not Mesa's
