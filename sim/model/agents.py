"""The Mesa agent: one state, its view on the model's arrays, and its choice of actions.

`StateAgent.choose` calls the compiled rule of sim.model.actions (choose_toward, pair_choice)
that the ensemble kernels inline, so the Mesa model and the ensemble agree on every value.
"""

import mesa
import numpy as np

from sim.data.eventtypes import ACTION_CLASS, PASSIVE, TYPE_NAMES
from sim.model.actions import choose_toward, pair_level
from sim.model.params import N_PARAMS

CLASS_OF_TYPE = [ACTION_CLASS[name] for name in TYPE_NAMES]


class StateAgent(mesa.Agent):
    """A state: its code, name and capability, its row of the alignment matrix, and the
    actions it took in the last step (`last_actions`: target code -> event type)."""

    def __init__(self, model: mesa.Model, index: int, code: str, name: str, capability: float):
        super().__init__(model)
        self.index = index
        self.code = code
        self.name = name
        self.capability = capability
        self.last_actions: dict[str, str] = {}

    @property
    def alignment_row(self) -> dict[str, float]:
        """This state's alignment toward every other state now."""
        row = self.model.alignment[self.index]
        return {code: float(row[k]) for k, code in enumerate(self.model.codes) if k != self.index}

    def toward(self, code: str) -> float:
        return float(self.model.alignment[self.index, self.model.codes.index(code)])

    def intensities(self, target: int) -> list[float]:
        """The intensity of each event type (per month) of this state's actions toward
        `target`, from the model's current alignment and memory (README, "States that act"):
        its rate times the level of its class (sim.model.actions.pair_level)."""
        model = self.model
        row = model.rates[0]
        return [float(row[N_PARAMS + k]) * pair_level(model.alignment, model.memory,
                                                      model.capability, model.threat_norm,
                                                      self.index, target, cls, row)
                if cls != PASSIVE else 0.0 for k, cls in enumerate(CLASS_OF_TYPE)]

    def choose(self, uniforms) -> list[int]:
        """The type index this state takes toward each state this step (-1: none, and for
        itself), with the step's uniforms[j] for target j: the kernels' rule itself
        (sim.model.actions.choose_toward, which calls pair_choice for each target)."""
        model = self.model
        chosen = choose_toward(model.alignment, model.memory, model.capability, model.threat_norm,
                               model.rates[0], model.agency.action_class, model.slots, self.index,
                               np.ascontiguousarray(uniforms, dtype=np.float64),
                               np.empty(len(model.codes), dtype=np.int64)).tolist()
        self.last_actions = {model.codes[j]: TYPE_NAMES[k] for j, k in enumerate(chosen) if k >= 0}
        return chosen
