"""Bit-identical results whatever the number of threads: in separate processes started with
NUMBA_NUM_THREADS=1 and 2, through the ensemble API and through the command line, and in
one process with numba.set_num_threads."""

import hashlib
import textwrap

import numba
import numpy as np
import pandas as pd
import pytest
from support import N_TYPES, make_schedule, rate_rows, start_python, start_sim, weight_rows

from sim.model.ensemble import simulate

# 5 states, 300 replicates with their own parameters, 60 steps, a reference schedule and a
# scenario variant that drops some events and adds one, probes at a few dates; each bounds form.
ENSEMBLE_SCRIPT = textwrap.dedent("""
    import hashlib
    import numba
    import numpy as np
    from sim.model.ensemble import Schedule, simulate
    from sim.data.eventtypes import TYPE_NAMES
    from sim.model.params import PARAM_NAMES
    from sim.model.params import PARAM_RANGES

    rng = np.random.default_rng(42)
    n, n_steps, n_reps = 5, 60, 300
    alignment = rng.uniform(-0.8, 0.8, (n, n))
    np.fill_diagonal(alignment, 0.0)
    capability = rng.uniform(0.01, 0.3, n)
    steps = np.sort(rng.integers(0, n_steps, 40))
    source = rng.integers(0, n, 40)
    target = (source + rng.integers(1, n, 40)) % n
    kind = rng.integers(0, len(TYPE_NAMES), 40)
    factor = rng.uniform(0.5, 4.0, 40)
    keep = np.arange(40) % 4 != 0
    variants = [np.arange(40), np.concatenate([np.flatnonzero(keep), [40]])]
    steps, source, target = np.append(steps, 30), np.append(source, 0), np.append(target, 1)
    kind, factor = np.append(kind, 1), np.append(factor, 3.0)
    ptr = np.zeros((2, n_steps + 1), dtype=np.int64)
    order = []
    for v, rows in enumerate(variants):
        rows = rows[np.argsort(steps[rows], kind="stable")]
        ptr[v] = len(order) + np.concatenate([[0], np.cumsum(np.bincount(steps[rows], minlength=n_steps))])
        order.extend(rows)
    order = np.array(order)
    schedule = Schedule(ptr, target[order], source[order], kind[order], factor[order])
    low = np.array([PARAM_RANGES[p][0] for p in PARAM_NAMES])
    high = np.array([PARAM_RANGES[p][1] for p in PARAM_NAMES])
    rates = np.hstack([low + (high - low) * rng.uniform(0.0, 0.3, (n_reps, len(PARAM_NAMES))),
                       np.zeros((n_reps, len(TYPE_NAMES)))])
    weights = rng.uniform(-10, 10, (n_reps, len(TYPE_NAMES)))
    probe_step = np.array([0, 12, 30, 31, 60, 60])
    digest = hashlib.sha256()
    for bounds in ("tanh", "heider", "clip"):
        ens = simulate(alignment, capability, schedule, rates, weights, 2024,
                       probe_step=probe_step, probe_i=np.array([0, 1, 2, 0, 3, 4]),
                       probe_j=np.array([1, 0, 4, 1, 2, 3]), bounds=bounds)
        for part in (ens.mean, ens.quantiles, ens.probes):
            digest.update(np.ascontiguousarray(part).tobytes())
    print(numba.get_num_threads(), digest.hexdigest())
""")


def test_ensemble_hash_is_the_same_with_one_and_two_threads(compiled, tmp_path):
    runs = {threads: start_python(ENSEMBLE_SCRIPT, tmp_path, threads) for threads in (1, 2)}
    hashes = {}
    for threads, proc in runs.items():
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        reported_threads, digest = out.split()
        assert int(reported_threads) == threads
        hashes[threads] = digest
    assert hashes[1] == hashes[2]


def test_cli_values_are_the_same_with_one_and_two_threads(compiled, tmp_path):
    args = ["+scenario=aid_freeze", "replicates=50", "start=2016-01", "end=2019-06"]
    procs = {threads: start_sim([*args, f"hydra.run.dir={tmp_path / f'run{threads}'}"], tmp_path,
                                threads) for threads in (1, 2)}
    tables = {}
    for threads, proc in procs.items():
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        tables[threads] = pd.read_parquet(tmp_path / f"run{threads}" / "trajectories.parquet")
    one, two = tables[1], tables[2]
    pd.testing.assert_frame_equal(one.drop(columns="value"), two.drop(columns="value"))
    assert len(one) > 0
    assert one["value"].to_numpy().tobytes() == two["value"].to_numpy().tobytes()


def _digest(ens) -> str:
    digest = hashlib.sha256()
    for part in (ens.mean, ens.quantiles, ens.probes, ens.raw):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


@pytest.fixture
def thread_counts():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    before = numba.get_num_threads()
    yield (1, 2)
    numba.set_num_threads(before)


@pytest.mark.parametrize("bounds", ["tanh", "heider", "clip"])
@pytest.mark.parametrize("budget_mb", [768, 1])
def test_in_process_results_do_not_depend_on_set_num_threads(compiled, thread_counts,
                                                             budget_mb, bounds):
    """Also when the histogram budget is tight: the quantiles' resolution must not depend on
    how many threads happen to run (with budget_mb=1 this system has room for about 750
    bins per series on one thread and 560 on two)."""
    rng = np.random.default_rng(7)
    n, n_steps, n_reps = 3, 12, 64
    alignment = rng.uniform(-0.5, 0.5, (n, n))
    np.fill_diagonal(alignment, 0.0)
    schedule = make_schedule(n_steps, [(2, 0, 1, 0, 2.0), (5, 2, 1, 8, 1.0)])
    rates = rate_rows(n_reps, lam=0.05, beta=0.3, rho=0.1, sigma=0.1, mu=0.01, gain=0.2,
                         source_share=0.4)
    weights = weight_rows(n_reps, rng.uniform(-10, 10, N_TYPES))
    digests = {}
    for threads in thread_counts:
        numba.set_num_threads(threads)
        ens = simulate(alignment, np.array([1.0, 2.0, 3.0]), schedule, rates, weights, 11,
                       budget_mb=budget_mb, probe_step=[3, 12], probe_i=[0, 1], probe_j=[1, 2],
                       keep=4, bounds=bounds)
        assert ens.quantiles is not None
        digests[threads] = (ens.quantile_bins, _digest(ens))
    assert digests[1] == digests[2]
