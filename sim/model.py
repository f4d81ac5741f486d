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
