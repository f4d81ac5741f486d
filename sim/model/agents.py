"""The Mesa agent: one state, its view on the model's arrays, and its choice of actions.

`StateAgent.choose` is the decision rule of sim.model.actions written out in Python for one
state: the same intensities, in the same order of arithmetic, so the Mesa model and the
ensemble kernel agree on every value.
"""

import mesa

from sim.data.eventtypes import ACTION_CLASS, COOPERATE, OPPOSE, PASSIVE, SECURE, SUPPLY, TYPE_NAMES
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
        `target`, from the model's current alignment and memory (README, "States that act")."""
        model, i, j = self.model, self.index, target
        a, g, w, norm = model.alignment, model.memory, model.capability, model.threat_norm
        row = model.rates[0]

        def neg(x: float, k: int, m: int) -> float:
            return max(0.0, -x) if k != m else 0.0

        def pos(x: float, k: int, m: int) -> float:
            return max(0.0, x) if k != m else 0.0

        threat_sum = loss = ties_sum = 0.0
        for k in range(len(w)):
            c = float(w[k])
            threat_sum += c * neg(a[i, k], i, k) * neg(a[j, k], j, k)
            loss += neg(g[i, k], i, k) * neg(a[k, j], k, j)
            ties_sum += c * pos(a[i, k], i, k) * neg(a[k, j], k, j)
        threat, ties = threat_sum * norm[i, j], ties_sum * norm[i, j]
        affinity, tit_for_tat, balancing, substitution, client_ties = (
            model.rate("affinity"), model.rate("tit_for_tat"), model.rate("balancing"),
            model.rate("substitution"), model.rate("client_ties"))
        base = affinity * a[i, j] + tit_for_tat * g[i, j]
        cooperate = 1.0 + base + substitution * loss
        secure = cooperate + balancing * threat
        supply = secure - client_ties * ties
        levels = {PASSIVE: 0.0, COOPERATE: max(0.0, cooperate), SECURE: max(0.0, secure),
                  SUPPLY: max(0.0, supply), OPPOSE: max(0.0, 1.0 - base)}
        return [row[N_PARAMS + k] * levels[cls] if cls != PASSIVE else 0.0
                for k, cls in enumerate(CLASS_OF_TYPE)]

    def choose(self, uniforms) -> list[int]:
        """The type index this state takes toward each state this step (-1: none, and for
        itself), drawn with the step's uniforms[j] for target j as sim.model.actions.choose_actions
        draws it: each type's slot of [0, 1), filled as far as its intensity goes."""
        chosen = []
        for j in range(len(self.model.codes)):
            if j == self.index:
                chosen.append(-1)
                continue
            intensities = self.intensities(j)
            rates = [self.model.rates[0, N_PARAMS + k] for k in range(len(CLASS_OF_TYPE))]
            total_rate = 0.0
            for k, cls in enumerate(CLASS_OF_TYPE):
                if cls != PASSIVE:
                    total_rate += rates[k]
            pick, start = -1, 0.0
            scale = 1.0 / total_rate if total_rate > 0.0 else 0.0
            for k, cls in enumerate(CLASS_OF_TYPE):
                if cls == PASSIVE:
                    continue
                end = start + rates[k] * scale
                if uniforms[j] < end:
                    pick = k if uniforms[j] - start < intensities[k] else -1
                    break
                start = end
            chosen.append(pick)
        self.last_actions = {self.model.codes[j]: TYPE_NAMES[k] for j, k in enumerate(chosen)
                             if k >= 0}
        return chosen
