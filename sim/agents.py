"""The Mesa agent: one state, a thin view on the model's alignment arrays."""

import mesa


class StateAgent(mesa.Agent):
    """A state: its code, name and capability, and its row of the alignment matrix."""

    def __init__(self, model: mesa.Model, index: int, code: str, name: str, capability: float):
        super().__init__(model)
        self.index = index
        self.code = code
        self.name = name
        self.capability = capability

    @property
    def alignment_row(self) -> dict[str, float]:
        """This state's alignment toward every other state now."""
        row = self.model.alignment[self.index]
        return {code: float(row[k]) for k, code in enumerate(self.model.codes) if k != self.index}

    def toward(self, code: str) -> float:
        return float(self.model.alignment[self.index, self.model.codes.index(code)])
