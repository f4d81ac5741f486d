"""What a run's files of rows (a catalogue's events, the facts) gave and what a shipped one
left out: the rows naming states that the run's actors file does not hold, and its notice."""

from collections.abc import Iterable
from dataclasses import dataclass

NOTICE_STATES = 12  # states a notice names; the rest it counts (summary.json has all)


def outside_states(skipped: Iterable[Iterable[str]], codes: Iterable[str]) -> tuple[str, ...]:
    """The states, sorted, that the skipped rows (each the states it names) name outside
    `codes`."""
    return tuple(sorted({code for row in skipped for code in row} - set(codes)))


def skipped_notice(path: str, skipped: int, what: str, states: tuple[str, ...]) -> str | None:
    """'PATH: 12 events skipped: they name RUS, USA, not in the actors file', or None when
    nothing was skipped."""
    if not skipped:
        return None
    named = ", ".join(states[:NOTICE_STATES]) + (
        f" and {len(states) - NOTICE_STATES} more" if len(states) > NOTICE_STATES else "")
    return f"{path}: {skipped} {what} skipped: they name {named}, not in the actors file"


@dataclass(frozen=True)
class InputUse:
    """One file of rows a run read (a catalogue's events, the facts): its path, the rows it
    gave and those it left out, with the states outside the actors file they named."""

    path: str
    kind: str  # what a row is: "events" or "facts"
    rows: int
    skipped: int = 0
    skipped_states: tuple[str, ...] = ()
    left_out: int = 0  # rows of the actors' states that the measured record left out...
    left_out_reason: str = ""  # ...and why (sim.data.events.measured)

    def skipped_line(self) -> str | None:
        """The notice of what the file skipped, or None."""
        return skipped_notice(self.path, self.skipped, self.kind, self.skipped_states)

    def left_out_line(self) -> str | None:
        return (f"{self.path}: {self.left_out} {self.kind} left out: {self.left_out_reason}"
                if self.left_out else None)

    def record(self) -> dict:
        """As summary.json holds it: {"path", KIND: rows, "skipped", "skipped_states",
        "left_out", "left_out_reason"}."""
        return {"path": self.path, self.kind: self.rows, "skipped": self.skipped,
                "skipped_states": list(self.skipped_states), "left_out": self.left_out,
                "left_out_reason": self.left_out_reason}

    @classmethod
    def from_record(cls, record: dict, kind: str) -> "InputUse":
        return cls(record["path"], kind, record[kind], record["skipped"],
                   tuple(record["skipped_states"]), record.get("left_out", 0),
                   record.get("left_out_reason", ""))
