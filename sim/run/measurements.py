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


def pair_key(codes, i: int, j: int, measure: str) -> str:
    a, b = codes[i], codes[j]
    return "-".join(sorted((a, b))) if measure == "unga_agreement" else f"{a}-{b}"


def simulated_rows(probes: np.ndarray, variants, codes, where: MeasurementCells, start: int,
                   observation: dict, seed: int) -> list[dict]:
    rows = []
    for m, measure in enumerate(MEASURES):
        fitted = observation.get(measure)
        if not fitted:
            continue
        intercepts = fitted["intercepts"]
        default = float(np.mean(list(intercepts.values())))
        for v, variant in enumerate(variants):
            pairs, periods, latent = latent_series(probes[:, v], where, start, measure)
            rng = np.random.default_rng([seed, NOISE_STREAM, m])  # the same errors in each variant
            for k, (i, j) in enumerate(pairs):
                key = pair_key(codes, i, j, measure)
                samples = predictive_samples(measure, latent[:, k], intercepts.get(key, default),
                                             fitted["slope"], fitted["sd"], rng)
                stats = {"mean": samples.mean(axis=0),
                         **dict(zip(("p05", "p50", "p95"),
                                    np.quantile(samples, (0.05, 0.5, 0.95), axis=0), strict=True))}
                source, target = sorted((codes[i], codes[j])) if measure == "unga_agreement" \
                    else (codes[i], codes[j])
                for stat in STATS:
                    rows += [{"measure": measure, "source": source, "target": target, "period": p,
                              "variant": variant, "stat": stat, "value": float(x)}
                             for p, x in zip(periods, stats[stat], strict=True)]
    return rows


def measurements_table(probes: np.ndarray, variants, codes, where: MeasurementCells, start: int,
                       n_steps: int, seed: int, observation: dict | None = None) -> pd.DataFrame:
    """The simulated measurements of every variant and the observed values of the same pairs
    and periods."""
    observation = load_observation() if observation is None else observation
    rows = simulated_rows(probes, variants, codes, where, start, observation, seed)
    measured = {codes[i] for pair in where.pairs for i in pair}
    seen = observed(sorted(measured), month_label(start), month_label(start + n_steps - 1))
    seen = seen.loc[seen["source"].isin(measured) & seen["target"].isin(measured)]
    table = pd.concat([pd.DataFrame(rows, columns=["measure", "source", "target", "period", "variant",
                                                   "stat", "value"]),
                       seen.assign(variant="observed", stat="value")[
                           ["measure", "source", "target", "period", "variant", "stat", "value"]]],
                      ignore_index=True)
    return table
