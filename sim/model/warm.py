"""A first run's compile in two processes: while this one compiles the lanes kernel, a helper
compiles some of its parts into numba's disk cache, from which this one then loads them.

numba compiles one function at a time in a process; the lanes kernel's parts are separate
compiled functions, so a second process can compile those this one reaches last (the step,
the memory, the recording, the actions' impulses, the quantiles) while this one compiles the
first (the noise, the recorded events, the choice). Each part is called here on small arrays
of the types the kernel passes, so that its cache entry is the one the kernel asks for; a part
the helper has not finished in time is compiled here as well, at no cost to the results.

    python -m sim.model.warm     # the helper (started by helper_for; no arguments)
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from sim.data.eventtypes import TYPE_NAMES
from sim.model.bounds import TANH
from sim.model.bundles import Structure
from sim.model.kernel import balance_denominators
from sim.model.lanes import (
    apply_actions_lanes,
    record_step_lanes,
    remember_lanes,
    run_lanes_slot,
    step_lanes,
)
from sim.model.params import DOT_MIN_STATES, N_PARAMS
from sim.model.reduce import ensemble_outputs, histogram_quantiles
from sim.model.stats import QUANTILES

HELPED = ("record_step_lanes", "remember_lanes", "step_lanes", "apply_actions_lanes",
          "histogram_quantiles")  # the parts the helper compiles, the last the kernel needs first


def helper_for(n_states: int) -> subprocess.Popen | None:
    """Start the helper if a run of n_states states will compile the lanes kernel (its cache
    is empty), else None. The helper shares this process's environment (NUMBA_CACHE_DIR)."""
    if n_states >= DOT_MIN_STATES or cached(run_lanes_slot):
        return None
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-m", "sim.model.warm"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cached(dispatcher) -> bool:
    """Whether numba's disk cache holds compiled code of `dispatcher`."""
    try:
        return bool(dispatcher._cache._cache_file._load_index())  # numba's cache index
    except (AttributeError, OSError):  # another numba layout: no helper
        return True


def compile_parts(n: int = 3, lanes: int = 2) -> None:
    """Call each part of HELPED once on small arrays of the kernel's types."""
    n_types = len(TYPE_NAMES)
    A = np.zeros((2, 2, n, n, lanes))
    B, G = np.zeros_like(A), np.zeros_like(A)
    impulse, noise = np.zeros((n, n, lanes)), np.zeros((n, n, lanes))
    rates = np.zeros((N_PARAMS + n_types, lanes))
    params, weights = np.zeros((lanes, N_PARAMS + n_types)), np.zeros((lanes, n_types))
    capability = np.ones(n)
    local = balance_denominators(capability)
    structure = Structure(capability, capability, local, local, False, np.int64(TANH))
    one, zero, size = np.int64(1), np.int64(0), np.int64(lanes)
    # two variants and two thread slots, as a scenario run has: the histograms' series then
    # lie apart in memory (the layout the quantiles are read in)
    sums, hist, low, high, _, _, counts = ensemble_outputs(n, lanes, 2, 1, 0, 0, 2, 10, n_types,
                                                           True)
    record_step_lanes(zero, A, one, size, sums[0], hist[0], low[0], high[0], np.int64(10),
                      np.zeros(lanes), np.zeros((n * (n - 1), lanes), dtype=np.int64))
    remember_lanes(G, zero, one, zero, size, impulse, rates)
    step_lanes(A, B, zero, one, zero, size, structure, rates, impulse, noise, np.zeros(lanes))
    apply_actions_lanes(np.full((n, n, lanes), -1, dtype=np.int64), impulse, params, weights,
                        zero, size, np.ones(n_types), True, counts, zero, True)
    flat = hist.reshape(hist.shape[0], hist.shape[1], -1, hist.shape[-1])  # quantiles_from_counts
    histogram_quantiles(flat[:, 0], -1.0, 1.0, np.array(QUANTILES),
                        np.zeros((len(QUANTILES), flat.shape[2])))


if __name__ == "__main__":
    compile_parts()
