"""The one door to the kernels: `simulate` runs an ensemble and returns its statistics (Ensemble)."""

import contextlib
import math
from dataclasses import dataclass, field

import numba
import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from sim.data.eventtypes import ACTION_CLASS, TYPE_NAMES
from sim.model.bounds import bounds_code
from sim.model.bundles import AgencyArrays, Events, Structure
from sim.model.kernel import balance_denominators, run_ensemble_rows, run_rows_slot
from sim.model.lanes import run_ensemble_lanes, run_lanes_slot
from sim.model.params import DOT_MIN_STATES, N_PARAMS, PARAM_NAMES
from sim.model.reduce import (
    MAX_BINNED_REPLICATES,
    add_counts,
    ensemble_outputs,
    fixed_point_mean,
    histogram_quantiles,
)
from sim.model.stats import QUANTILE_NAMES, QUANTILES  # noqa: F401 (the names ensemble gives)
from sim.model.warm import helper_for

# the columns of a parameter row
RATE_COLUMNS = (*PARAM_NAMES, *(f"action_rates.{name}" for name in TYPE_NAMES))
MAX_LANES = 128  # replicates side by side in one block (below DOT_MIN_STATES states)


@dataclass(frozen=True)
class Schedule:
    """Events of V variants as kernel arrays (see sim.model.ensemble.run_ensemble)."""

    ptr: np.ndarray  # int64[V, T + 1]
    target: np.ndarray
    source: np.ndarray
    type: np.ndarray
    factor: np.ndarray
    thin: np.ndarray | None = None  # int64[M]: 1 for a recorded choice a counterfactual thins


@dataclass(frozen=True)
class Agency:
    """How the states act in a run (see sim.model.actions); arrays() gives the kernels' bundle."""

    action_factor: np.ndarray  # float64[K]: the size of a chosen action of each type
    agents_from: np.ndarray  # int64[V]: the step from which the states act, per variant
    count_window: tuple[int, int] = (0, 0)  # steps whose choices are counted
    history: int = 0  # the variant that replays the record (others thin its choices)

    def arrays(self) -> AgencyArrays:
        return AgencyArrays(np.array([ACTION_CLASS[name] for name in TYPE_NAMES], dtype=np.int64),
                            np.ascontiguousarray(self.action_factor, dtype=np.float64),
                            np.ascontiguousarray(self.agents_from, dtype=np.int64),
                            np.array(self.count_window, dtype=np.int64), np.int64(self.history))


BALANCE_FORMS = ("local", "canonical")


def balance_structure(capability, form="local", bounds="tanh"):
    """The fixed arrays of a run, a Structure (sim.model.bundles): capability, the balance
    term's weights, its normalisation, the normalisation of the agents' threat and ties,
    whether the diagonal evolves, the code of the bounds form (sim.model.bounds.TANH, HEIDER
    or CLIP for the names of BOUNDS_FORMS).

    local: sum_{k != i,j} w_k A[i,k] A[k,j] / sum_{k != i,j} w_k, the diagonal held at 0;
    canonical (Marvel, Kleinberg & Strogatz 2011): sum over every k of A[i,k] A[k,j],
    unweighted, the diagonal free (it starts where A0 puts it)."""
    code = np.int64(bounds_code(bounds))
    capability = np.ascontiguousarray(capability, dtype=np.float64)
    local = balance_denominators(capability)
    if form == "local":
        return Structure(capability, capability, local, local, False, code)
    if form == "canonical":
        n = capability.shape[0]
        return Structure(capability, np.ones(n), np.ones((n, n)), local, True, code)
    raise ValueError(f"balance form '{form}' is not one of {', '.join(BALANCE_FORMS)}")


def inert_agency(n_variants, n_steps, n_types):
    """An agency that never acts nor counts: the recorded events alone."""
    return AgencyArrays(np.zeros(n_types, dtype=np.int64), np.ones(n_types),
                        np.full(n_variants, n_steps, dtype=np.int64), np.zeros(2, dtype=np.int64),
                        np.int64(0))


def run_ensemble(A0, B0, capability, params, type_weight, ev_ptr, ev_target, ev_source, ev_type,
                 ev_factor, seed, first_replicate, n_slots, block_size, n_bins, probe_ptr,
                 probe_i, probe_j, n_keep, balance="local", agency=None, ev_thin=None,
                 bounds="tanh"):
    """Advance R replicates of V schedule variants over T steps, reducing as they run (see
    run_ensemble_rows for the arguments and outputs; agency None: inert_agency; ev_thin None:
    no recorded event thinned; bounds: one of sim.model.bounds.BOUNDS_FORMS), in n_slots
    thread slots, with n_bins histogram bins, keeping the first n_keep replicates whole.
    Below DOT_MIN_STATES states a block's replicates run side by side (run_ensemble_lanes,
    block_size >= 64 for speed); from there on one at a time, with matrix products
    (run_ensemble_rows). Only the kernel used is compiled. With n_bins > 0, at most
    MAX_BINNED_REPLICATES replicates per call."""
    n_reps, n_types = params.shape[0], type_weight.shape[1]
    if params.shape[1] != N_PARAMS + n_types:
        raise ValueError(f"parameter rows have {params.shape[1]} columns: expected {N_PARAMS} "
                         f"(PARAM_NAMES) + {n_types} action rates")
    if n_bins > 0 and n_reps > MAX_BINNED_REPLICATES:
        raise ValueError(f"{n_reps} replicates in one call with histograms: at most "
                         f"{MAX_BINNED_REPLICATES} (call again for the rest and add the counts)")
    n_variants, n_steps = ev_ptr.shape[0], ev_ptr.shape[1] - 1
    if agency is None:
        agency = inert_agency(n_variants, n_steps, n_types)
    kernel = run_ensemble_lanes if A0.shape[0] < DOT_MIN_STATES else run_ensemble_rows
    outputs = ensemble_outputs(A0.shape[0], n_reps, n_variants, n_steps, probe_i.shape[0], n_keep,
                               n_slots, n_bins, n_types,
                               agency.count_window[1] > agency.count_window[0])
    return kernel(A0, B0, balance_structure(capability, balance, bounds), params, type_weight,
                  Events(ev_ptr, ev_target, ev_source, ev_type, ev_factor,
                         np.zeros(ev_type.shape[0], dtype=np.int64) if ev_thin is None else ev_thin),
                  agency, seed,
                  first_replicate, block_size, probe_ptr, probe_i, probe_j, *outputs)


@dataclass(frozen=True)
class Ensemble:
    mean: np.ndarray  # float64[S, T + 1, N, N]; series: variants, then variant minus reference
    quantiles: np.ndarray | None  # float64[Q, S, T + 1, N, N]
    probes: np.ndarray  # float64[R, V, P]
    raw: np.ndarray  # float64[keep, V, T + 1, N, N]
    quantile_bins: int
    action_counts: np.ndarray | None = None  # int32[R, V, N, N, K] over Agency.count_window


def choose_bins(wanted: int, n_series: int, n_dates: int, n_states: int, budget_mb: int) -> int:
    """The most histogram bins (<= wanted) whose counts fit the memory budget at 12 bytes a
    bin and cell (an int32 total over chunks and four threads' uint16 counts); 0 if under
    100. Independent of the thread count, so the quantiles are too; simulate() runs fewer
    threads if the budget asks it."""
    per_bin = 3 * n_series * n_dates * n_states**2 * 4
    bins = min(wanted, int(budget_mb * 2**20 // per_bin))
    return bins if bins >= 100 else 0


def compiled_kernels(n_states: int) -> tuple:
    """The compiled functions (numba dispatchers) a run of n_states states calls: whether
    numba's cache holds them says whether the first run will compile."""
    slot = run_lanes_slot if n_states < DOT_MIN_STATES else run_rows_slot
    return slot, histogram_quantiles


def kernel_blas(n_states: int):
    """From DOT_MIN_STATES states on, every kernel thread calls BLAS for its matrix products:
    one BLAS thread each, so they do not oversubscribe the cores, and the products (hence the
    results) do not depend on how many threads BLAS would have used."""
    if n_states < DOT_MIN_STATES:
        return contextlib.nullcontext()
    # numba's np.dot calls this BLAS; loaded first, it is there when the BLAS threads are
    # limited (threadpool_limits reaches only the libraries already loaded). Only runs of
    # many states load scipy.
    import scipy.linalg.cython_blas  # noqa: F401
    return threadpool_limits(limits=1, user_api="blas")


@dataclass
class EnsembleParts:
    """What chunks of replicates (or the jobs of a split run, one block of replicates
    each) return, added up exactly: integer sums and counts, least and greatest values;
    the per-replicate probes, kept replicates and action counts joined in replicate order.
    Parts added in replicate order give what one call over all the replicates gives."""

    n_reps: int = 0
    sums: np.ndarray | None = None
    hist: np.ndarray | None = None  # [parts, ...] counts that add up (slots, or one total)
    lowest: np.ndarray | None = None
    highest: np.ndarray | None = None
    probes: list = field(default_factory=list)
    raws: list = field(default_factory=list)
    counts: list = field(default_factory=list)

    def add(self, n_reps, sums, hist, lowest, highest, probes, raw, counts) -> None:
        self.n_reps += n_reps
        if self.sums is None:
            self.sums, self.lowest, self.highest, self.hist = sums, lowest, highest, hist
        else:
            self.sums += sums
            np.minimum(self.lowest, lowest, out=self.lowest)
            np.maximum(self.highest, highest, out=self.highest)
            self.total_counts()
            add_counts(self.hist[0], hist)
        self.probes.append(probes)
        self.raws.append(raw)
        self.counts.append(counts)

    def total_counts(self) -> np.ndarray:
        """The counts as one int32 total (a single part's slots, added up once)."""
        if self.hist.shape[0] != 1 or self.hist.dtype != np.int32:
            total = np.zeros((1, *self.hist.shape[1:]), dtype=np.int32)
            add_counts(total[0], self.hist)
            self.hist = total
        return self.hist

    def ensemble(self, n_variants: int, bins: int, counting: bool) -> "Ensemble":
        mean = fixed_point_mean(self.sums, self.n_reps, np.empty(self.sums.shape))
        quantiles = None
        if bins:
            quantiles = np.clip(quantiles_from_counts(self.hist, n_variants),
                                np.where(np.isfinite(self.lowest), self.lowest, 0.0),
                                np.where(np.isfinite(self.highest), self.highest, 0.0))
        return Ensemble(mean, quantiles, np.concatenate(self.probes), np.concatenate(self.raws),
                        bins, np.concatenate(self.counts) if counting else None)

    def save(self, path) -> None:
        """The parts as one .npz (the counts added up), for add_saved."""
        with open(path, "wb") as handle:  # a handle: savez would add .npz to the name
            np.savez(handle, n_reps=self.n_reps, sums=self.sums, hist=self.total_counts(),
                     lowest=self.lowest, highest=self.highest,
                     probes=np.concatenate(self.probes), raw=np.concatenate(self.raws),
                     counts=np.concatenate(self.counts))

    def add_saved(self, path) -> None:
        with np.load(path) as saved:
            self.add(int(saved["n_reps"]), saved["sums"], saved["hist"], saved["lowest"],
                     saved["highest"], saved["probes"], saved["raw"], saved["counts"])


def simulate(alignment: np.ndarray, capability: np.ndarray, schedule: Schedule, rates: np.ndarray,
             weights: np.ndarray, seed: int, *, quantile_bins: int = 1000, budget_mb: int = 768,
             probe_step=None, probe_i=None, probe_j=None, keep: int = 0,
             chunk: int = 10_000, progress: bool = False, balance: str = "local",
             agency: Agency | None = None, bounds: str = "tanh",
             first_replicate: int = 0) -> Ensemble:
    """Run R = len(rates) replicates in chunks of `chunk` (a progress bar if asked); the
    integer sums and counts of the chunks add up to exactly what one call would give.
    agency None: the recorded events alone; bounds: sim.model.bounds.BOUNDS_FORMS. The rows
    are replicates first_replicate .. first_replicate + R - 1 of a larger run (a block of
    it), which keeps its first `keep`."""
    return simulate_parts(alignment, capability, schedule, rates, weights, seed,
                          quantile_bins=quantile_bins, budget_mb=budget_mb, probe_step=probe_step,
                          probe_i=probe_i, probe_j=probe_j, keep=keep, chunk=chunk,
                          progress=progress, balance=balance, agency=agency, bounds=bounds,
                          first_replicate=first_replicate).ensemble(
        schedule.ptr.shape[0], ensemble_bins(quantile_bins, schedule, capability, budget_mb),
        agency is not None and agency.count_window[1] > agency.count_window[0])


def ensemble_bins(quantile_bins: int, schedule: Schedule, capability, budget_mb: int) -> int:
    n_variants, n_steps = schedule.ptr.shape[0], schedule.ptr.shape[1] - 1
    return choose_bins(quantile_bins, 2 * n_variants - 1, n_steps + 1, len(capability), budget_mb)


def simulate_parts(alignment: np.ndarray, capability: np.ndarray, schedule: Schedule,
                   rates: np.ndarray, weights: np.ndarray, seed: int, *, quantile_bins: int = 1000,
                   budget_mb: int = 768, probe_step=None, probe_i=None, probe_j=None,
                   keep: int = 0, chunk: int = 10_000, progress: bool = False,
                   balance: str = "local", agency: Agency | None = None, bounds: str = "tanh",
                   first_replicate: int = 0) -> EnsembleParts:
    """simulate's replicates, not yet reduced to statistics (see simulate)."""
    n_reps = rates.shape[0]
    n_variants, n_steps = schedule.ptr.shape[0], schedule.ptr.shape[1] - 1
    n_series = 2 * n_variants - 1
    bins = ensemble_bins(quantile_bins, schedule, capability, budget_mb)
    empty = np.zeros(0, dtype=np.int64)
    probe_step = empty if probe_step is None else np.asarray(probe_step, dtype=np.int64)
    probe_ptr = np.searchsorted(probe_step, np.arange(n_steps + 2)).astype(np.int64)
    probe_i = empty if probe_i is None else np.asarray(probe_i, dtype=np.int64)
    probe_j = empty if probe_j is None else np.asarray(probe_j, dtype=np.int64)
    baseline = np.ascontiguousarray(alignment, dtype=np.float64)
    capability = np.ascontiguousarray(capability, dtype=np.float64)
    parts = EnsembleParts()
    kernel_agency = (inert_agency(n_variants, n_steps, weights.shape[1]) if agency is None
                     else agency.arrays())
    slot_bytes = n_series * (n_steps + 1) * len(capability) ** 2 * 2 * max(bins, 1)
    max_slots = max(1, (budget_mb * 2**20 - 2 * slot_bytes) // slot_bytes)  # beside the total
    if bins:
        chunk = min(chunk, MAX_BINNED_REPLICATES)
    starts = range(0, n_reps, chunk)
    helper = helper_for(len(capability))  # a first run compiles in two processes
    try:
        for first in tqdm(starts, desc="replicates", unit="chunk", disable=not progress or len(starts) < 2):
            last = min(n_reps, first + chunk)
            slots = max(1, min(numba.get_num_threads(), last - first, max_slots))
            # one replicate at a time when they run one by one: its matrices then stay in cache
            block = (max(1, min(MAX_LANES, math.ceil((last - first) / slots)))
                     if len(capability) < DOT_MIN_STATES else 1)
            with kernel_blas(len(capability)):
                outputs = run_ensemble(baseline, baseline.copy(), capability,
                                       np.ascontiguousarray(rates[first:last]),
                                       np.ascontiguousarray(weights[first:last]), schedule.ptr,
                                       schedule.target, schedule.source, schedule.type, schedule.factor,
                                       np.int64(seed), np.int64(first_replicate + first), slots, block,
                                       bins, probe_ptr, probe_i, probe_j,
                                       max(0, keep - first_replicate - first), balance, kernel_agency,
                                       schedule.thin, bounds)
            parts.add(last - first, *outputs)
    finally:
        if helper is not None:
            helper.terminate()  # done (or not needed any more: what it compiles is compiled)
            helper.wait()
    return parts


def quantiles_from_counts(hist: np.ndarray, n_variants: int) -> np.ndarray:
    """hist [parts, S, T + 1, N, N, bins] (counts in parts that add up) ->
    float64[Q, S, T + 1, N, N]."""
    parts, n_series, bins = hist.shape[0], hist.shape[1], hist.shape[-1]
    quantiles = np.zeros((len(QUANTILES), *hist.shape[1:-1]))
    flat = hist.reshape(parts, n_series, -1, bins)
    for s in range(n_series):
        low, high = (-1.0, 1.0) if s < n_variants else (-2.0, 2.0)
        out = np.zeros((len(QUANTILES), flat.shape[2]))
        histogram_quantiles(flat[:, s], low, high, np.array(QUANTILES), out)
        quantiles[:, s] = out.reshape(len(QUANTILES), *hist.shape[2:-1])
    n = hist.shape[3]
    quantiles[..., np.arange(n), np.arange(n)] = 0.0
    return quantiles
