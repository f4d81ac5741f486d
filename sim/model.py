"""The Mesa model: one replicate of one event schedule, stepped by the ensemble's kernel.

The arrays live in the model (Mesa's agents are views on them) and one `step()` is one
call of the same compiled step the ensemble runs, with replicate `replicate`'s random
stream under `seed`, so the model and the ensemble agree on every value.
"""

import mesa
import numpy as np

from sim.actors import Actors
from sim.agents import StateAgent
from sim.ensemble import Schedule
from sim.kernel import advance_one, balance_denominators, workspace
from sim.rng import stream_key


class GeoModel(mesa.Model):
    """Alignments between states; `rates` float64[7] and `weights` float64[K] are one
    parameter set (as sim.ensemble.parameter_rows makes them), `schedule` one variant."""

    def __init__(self, actors: Actors, schedule: Schedule, rates: np.ndarray, weights: np.ndarray,
                 seed: int = 0, replicate: int = 0):
        """One replicate of one event schedule, stepped a month at a time.

        actors: the states (sim.actors.Actors: codes, names, capabilities, the initial
            alignment matrix), e.g. sim.actors.load_actors('seeds/actors.yaml').
        schedule: one variant's events as kernel arrays (sim.ensemble.build_schedule with a
            list of one events table).
        rates: float64[7], the rates lam, beta, rho, sigma, mu, gain, source_share (in
            sim.kernel.PARAM_NAMES order); weights: float64[K], one weight per event type (in
            sim.eventtypes.TYPE_NAMES order). sim.ensemble.parameter_rows([params], 1) makes
            both from a parameter mapping; take row 0 of each.
        seed, replicate: the random stream, the one replicate `replicate` of an ensemble
            under `seed` draws, so the model and that replicate agree value for value.

        The shortest route: sim.Simulation(scenario, **keys).model() builds all of these from
        the run's configuration.
        """
        super().__init__(seed=seed)
        if schedule.ptr.shape[0] != 1:
            raise ValueError("GeoModel runs one schedule variant; pass a single-variant Schedule")
        self.codes = list(actors.codes)
        self.schedule_arrays = schedule
        self.n_steps = schedule.ptr.shape[1] - 1
        self.step_index = 0
        n = len(self.codes)
        self.capability = np.ascontiguousarray(actors.capability, dtype=np.float64)
        self.inv_denom = balance_denominators(self.capability)
        self.rates = np.ascontiguousarray(rates, dtype=np.float64).reshape(1, -1)
        self.weights = np.ascontiguousarray(weights, dtype=np.float64).reshape(1, -1)
        self.A = np.zeros((2, 1, 1, n, n))
        self.B = np.zeros((2, 1, 1, n, n))
        self.A[0, 0, 0] = actors.alignment
        self.B[0, 0, 0] = actors.alignment
        self.streams = np.array([stream_key(seed, replicate)], dtype=np.uint64)
        self._workspace = workspace(n)
        for k, (code, name, weight) in enumerate(zip(actors.codes, actors.names,
                                                     actors.capability, strict=True)):
            StateAgent(self, k, code, name, float(weight))
        self.datacollector = mesa.DataCollector(
            model_reporters={"alignment": "alignment_copy"},
            agent_reporters={"code": "code", "alignment": "alignment_row"},
        )
        self.datacollector.collect(self)

    @property
    def alignment(self) -> np.ndarray:
        """The current alignment matrix A[i, j] (a view)."""
        return self.A[self.step_index & 1, 0, 0]

    @property
    def alignment_copy(self) -> np.ndarray:
        return self.alignment.copy()

    def step(self) -> None:
        if self.step_index >= self.n_steps:
            self.running = False
            return
        src, dst = self.step_index & 1, (self.step_index + 1) & 1
        s = self.schedule_arrays
        advance_one(self.A, self.B, src, dst, self.step_index, self.capability, self.inv_denom,
                    self.rates, self.weights, s.ptr, s.target, s.source, s.type, s.factor,
                    self.streams, *self._workspace)
        self.step_index += 1
        self.datacollector.collect(self)

    def trajectory(self) -> np.ndarray:
        """float64[steps taken + 1, N, N]: the recorded alignment matrices."""
        return np.stack(self.datacollector.get_model_vars_dataframe()["alignment"].to_list())
