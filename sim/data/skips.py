"""The notice of what a shipped input left out: the rows (events, facts) naming states that a
run's actors file does not hold."""

from collections.abc import Iterable

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
