"""The page's parameter controls, read from a params config: every number in it is one.

Nothing here names a parameter: a value added to configs/params/ later gets its control
without a code change. A parameter with a documented range (sim.model.params) gets a slider over
it; any other number gets an input field, and the run's own checks judge what is typed.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

from sim.model.params import ACTION_RATE_RANGE, PARAM_LABELS, PARAM_RANGES, WEIGHT_RANGE

NOT_PARAMETERS = ("provenance",)  # sections of a params file that describe it
SECTION_RANGES = {"weights": WEIGHT_RANGE, "action_rates": ACTION_RATE_RANGE}
SLIDER_STEPS = 1000  # positions of a slider over its range, about
SECTION_LABELS = {"weights": "weight of the event type {} (Goldstein scale)",
                  "action_rates": "states' rate of {}, per month and pair"}


@dataclass(frozen=True)
class ParamControl:
    path: str  # dotted, under `params`: "beta", "weights.aid"
    group: str  # the section ("weights"), "" for top-level values
    value: float
    low: float | None  # None: no documented range, an input field
    high: float | None

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def label(self) -> str:
        """What the value is, for a reader: the parameter table's label (sim.model.params)."""
        if self.group in SECTION_LABELS:
            return SECTION_LABELS[self.group].format(self.name.replace("_", " "))
        return PARAM_LABELS.get(self.path, self.path)

    @property
    def step(self) -> float:
        """A round step near (high - low) / SLIDER_STEPS."""
        return 10.0 ** math.floor(math.log10((self.high - self.low) / SLIDER_STEPS))

    @property
    def positions(self) -> int:
        """The slider's last position (its first is 0, at `low`)."""
        return round((self.high - self.low) / self.step)

    def position(self, value: float) -> int:
        """The slider position nearest `value`; the value itself is never changed to it."""
        return min(self.positions, max(0, round((value - self.low) / self.step)))

    def value_at(self, position: int) -> float:
        """The value of a position the user moved the slider to, rounded to the step."""
        digits = max(0, -math.floor(math.log10(self.step)))
        return round(self.low + position * self.step, digits)


def documented_range(path: str) -> tuple[float, float] | None:
    section, _, name = path.rpartition(".")
    if not section:
        return PARAM_RANGES.get(name)
    return SECTION_RANGES.get(section)


def param_controls(params: Mapping) -> list[ParamControl]:
    """One control per number in `params` (nested sections included), in file order."""
    found = []

    def walk(node: Mapping, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if not prefix and key in NOT_PARAMETERS:
                continue
            if isinstance(value, Mapping):
                walk(value, f"{path}.")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                span = documented_range(path)
                low, high = span if span else (None, None)
                found.append(ParamControl(path, prefix.rstrip("."), float(value), low, high))

    walk(params, "")
    return found


def groups(controls: list[ParamControl]) -> dict[str, list[ParamControl]]:
    """Controls by group, groups in the order they first appear."""
    grouped: dict[str, list[ParamControl]] = {}
    for control in controls:
        grouped.setdefault(control.group, []).append(control)
    return grouped
