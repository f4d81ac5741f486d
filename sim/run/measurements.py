"""A run's simulated measurements beside the observed ones (measurements.parquet).

The kernel probes every directed pair of the measured states at the end of every month; the
observation model (sim.model.observation) turns each replicate's series into measurements,
with the parameters the skill study fitted (configs/observation.yaml). The table is tidy:
measure, source, target, period, variant (the run's variants, and `observed`), stat (`mean`,
`p05`, `p50`, `p95` over replicates; `value` for the observed), value.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.dates import month_label
from sim.data.files import read_yaml
from sim.data.measured.observed import MEASURES, observed
from sim.model.observation import period_means, predictive_samples
from sim.paths import PROJECT_ROOT

OBSERVATION = PROJECT_ROOT / "configs" / "observation.yaml"
COLUMNS = ("measure", "source", "target", "period", "variant", "stat", "value")
STATS = ("mean", "p05", "p50", "p95")
MAX_MEASURED_STATES = 12  # beyond this, only the focus state's pairs are measured
NOISE_STREAM = 0x6D656173  # the observation errors' stream, beside the run's seed


@dataclass(frozen=True)
class MeasurementCells:
    pairs: list[tuple[int, int]]  # directed (i, j) measured
    steps: np.ndarray  # int64[M]: the date step at the end of each month 1..T
    offset: int  # where their probes start in the ensemble's probes


def measured_pairs(codes: tuple[str, ...], focus: str) -> list[tuple[int, int]]:
    n = len(codes)
    if n <= MAX_MEASURED_STATES:
        return [(i, j) for i in range(n) for j in range(n) if i != j]
    f = codes.index(focus)
    return [(f, j) for j in range(n) if j != f] + [(i, f) for i in range(n) if i != f]


def cells(codes, focus: str, n_steps: int, offset: int) -> tuple[MeasurementCells, tuple]:
    """The probes of the measured pairs (every date step 1..T), to be placed at `offset`."""
    pairs = measured_pairs(tuple(codes), focus)
    steps = np.arange(1, n_steps + 1, dtype=np.int64)
    step = np.tile(steps, len(pairs))
    i = np.repeat([p[0] for p in pairs], len(steps)).astype(np.int64)
    j = np.repeat([p[1] for p in pairs], len(steps)).astype(np.int64)
    return MeasurementCells(pairs, steps, offset), (step, i, j)


def load_observation(path: Path = OBSERVATION) -> dict:
    """The fitted observation parameters per measure (empty before a skill study wrote them)."""
    if not path.is_file():
        return {}
    return read_yaml(path, "observation").get("measures", {})


def latent_series(probes: np.ndarray, where: MeasurementCells, start: int,
                  measure: str) -> tuple[list[tuple[int, int]], list[str], np.ndarray]:
    """probes float64[R, P] of one variant -> (pairs, periods, latent float64[R, pairs, periods]):
    A_ij per month for net cooperation; the yearly mean of (A_ij + A_ji) / 2 for votes."""
    n_months = len(where.steps)
    months = start + where.steps - 1  # the month each date step ends
    index = {pair: k for k, pair in enumerate(where.pairs)}
    series = probes[:, where.offset:where.offset + n_months * len(where.pairs)]
    series = series.reshape(probes.shape[0], len(where.pairs), n_months)
    if measure == "net_cooperation":
        return where.pairs, [month_label(m) for m in months], series
    years = months // 12
    first = years[0]
    symmetric = [(i, j) for i, j in where.pairs if i < j and (j, i) in index]
    mean = np.stack([(series[:, index[(i, j)]] + series[:, index[(j, i)]]) / 2 for i, j in symmetric],
                    axis=1) if symmetric else np.zeros((probes.shape[0], 0, n_months))
    yearly = np.stack([period_means(mean[:, k], years - first, years[-1] - first + 1)
                       for k in range(mean.shape[1])], axis=1) if symmetric else mean[:, :, :0]
    return symmetric, [str(y) for y in range(first, years[-1] + 1)], yearly


def pair_states(codes, i: int, j: int, measure: str) -> tuple[str, str]:
    """The source and target of a pair's rows: in the order of their codes for votes, whose
    pairs are unordered."""
    a, b = codes[i], codes[j]
    return tuple(sorted((a, b))) if measure == "unga_agreement" else (a, b)


def pair_key(codes, i: int, j: int, measure: str) -> str:
    return "-".join(pair_states(codes, i, j, measure))


def predictive_stats(measure: str, latent: np.ndarray, intercepts: list[float], fitted: dict,
                     rng: np.random.Generator) -> np.ndarray:
    """latent float64[R, pairs, periods] -> float64[pairs, len(STATS), periods]: the mean and
    quantiles over replicates of one predictive draw per replicate, pair after pair."""
    n_replicates, n_pairs, n_periods = latent.shape
    samples = np.empty((n_pairs, n_replicates, n_periods))
    stats = np.empty((n_pairs, len(STATS), n_periods))
    for k in range(n_pairs):
        # drawn pair by pair: the memory order of a pair's draw, which NumPy picks by its size
        # and layout, sets the order in which mean sums it
        pair = predictive_samples(measure, latent[:, k], intercepts[k], fitted["slope"],
                                  fitted["sd"], rng)
        stats[k, 0] = pair.mean(axis=0)
        samples[k] = pair
    stats[:, 1:] = np.quantile(samples, (0.05, 0.5, 0.95), axis=1).transpose(1, 0, 2)
    return stats


def variant_rows(measure: str, variant: str, states: list[tuple[str, str]], periods: list[str],
                 stats: np.ndarray) -> pd.DataFrame:
    """The rows of one measure and variant, pair by pair, then stat by stat, then period by
    period; stats float64[pairs, len(STATS), periods]."""
    per_pair = len(STATS) * len(periods)
    sources, targets = zip(*states, strict=True)
    return pd.DataFrame({"measure": measure, "source": np.repeat(sources, per_pair),
                         "target": np.repeat(targets, per_pair),
                         "period": np.tile(periods, len(states) * len(STATS)), "variant": variant,
                         "stat": np.tile(np.repeat(STATS, len(periods)), len(states)),
                         "value": stats.ravel()}, columns=list(COLUMNS))


def simulated_table(probes: np.ndarray, variants, codes, where: MeasurementCells, start: int,
                    observation: dict, seed: int) -> pd.DataFrame:
    """The predictive stats of every fitted measure, variant and measured pair (`COLUMNS`)."""
    frames = []
    for m, measure in enumerate(MEASURES):
        fitted = observation.get(measure)
        if not fitted:
            continue
        intercepts = fitted["intercepts"]
        default = float(np.mean(list(intercepts.values())))
        for v, variant in enumerate(variants):
            pairs, periods, latent = latent_series(probes[:, v], where, start, measure)
            if not pairs:
                continue
            pair_intercepts = [intercepts.get(pair_key(codes, i, j, measure), default)
                               for i, j in pairs]
            rng = np.random.default_rng([seed, NOISE_STREAM, m])  # the same errors in each variant
            stats = predictive_stats(measure, latent, pair_intercepts, fitted, rng)
            states = [pair_states(codes, i, j, measure) for i, j in pairs]
            frames.append(variant_rows(measure, variant, states, periods, stats))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))


def measurements_table(probes: np.ndarray, variants, codes, where: MeasurementCells, start: int,
                       n_steps: int, seed: int, observation: dict | None = None) -> pd.DataFrame:
    """The simulated measurements of every variant and the observed values of the same pairs
    and periods."""
    observation = load_observation() if observation is None else observation
    simulated = simulated_table(probes, variants, codes, where, start, observation, seed)
    measured = {codes[i] for pair in where.pairs for i in pair}
    seen = observed(sorted(measured), month_label(start), month_label(start + n_steps - 1))
    seen = seen.loc[seen["source"].isin(measured) & seen["target"].isin(measured)]
    return pd.concat([simulated, seen.assign(variant="observed", stat="value")[list(COLUMNS)]],
                     ignore_index=True)
