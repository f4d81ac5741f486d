"""Agent-based Monte Carlo simulation of alignments between states.

The Python face (sim.api) is available from the package itself: `Simulation`, `Scenario`,
`Edit`, `Match`, `NewEvent`, `Result`, `scenarios`. They are loaded on first use, so the
commands (`python -m sim.plot`, ...) do not pay for them.
"""

__version__ = "0.1.0"

_API = ("Edit", "Match", "NewEvent", "Result", "Scenario", "Simulation", "scenarios")


def __getattr__(name: str):
    if name in _API:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute '{name}'")
