"""The calibration's `measured` evidence: the measured series, through the observation model.

Each simulated replicate r's latent alignments over the record window (calibration.record,
before calibration.holdout if set) cut at 2015-12 (no later measured series enters a fit) go
through the observation model (sim.model.observation) with the replicate's own slope b_r,
error sd_r and errors e, in the pairs and periods the record measured, so the simulated
series is distributed as the record's. The summary is within-pair: the pair's intercept
alpha_p (what the measure holds apart from alignment: India and Pakistan vote alike while
rivals) is a nuisance and cancels.

UN General Assembly vote agreement of the pair p = {i, j} in year y (data/measured/
unga_agreement.csv.gz, Voeten's roll calls; Bailey, Strezhnev & Voeten 2017), on the logit
scale, as the observation model states it:

    v_p(y) = logit q_p(y) = alpha_p + b_v * s_p(y) + e,   e ~ N(0, sd_v^2),
    s_p(y) = mean over the months of y of (A_ij + A_ji) / 2

ICEWS net cooperation of the directed pair p = (i -> j) in month m, the mean Goldstein weight
of i's events toward j over 10 (data/measured/icews_counts.csv; Goldstein & Freeman 1990),
in the months with at least one event:

    c_p(m) = clip(alpha_p + b_c * A_ij(m) + e, -1, 1),   e ~ N(0, sd_c^2)

For either measure x_p(t) over the pair's measured periods T_p (years for votes, months for
ICEWS), with Y_p(y) the periods of T_p in year y:

    d_p(t) = x_p(t) - mean_{T_p} x_p                       the pair's series, demeaned
    D_p(y) = mean_{t in Y_p(y)} d_p(t)                     one component per measured pair-year
    W      = sqrt(sum_p sum_{T_p} d_p(t)^2 / sum_p (|T_p| - 1))   the pooled within-pair sd

D_p(y) carries how the pair's measure moved from year to year (on the votes: d itself), which
the latent dynamics and b set; W carries the error sd (for ICEWS the monthly spread, which the
yearly means average away). alpha_p drops out of d exactly for votes; under the clip of ICEWS
it is profiled: alpha_p = mean_{T_p} c_p(observed) - b_c * mean_{T_p} A_ij, so the simulated
series sits at the record's level and meets the clip as often. Pairs with fewer than two
measured periods give no component.

The slopes and sds are fitted with the rest: their priors are the `observation.<measure>.slope`
and `.sd` entries of configs/priors.yaml; without an entry the value of configs/observation.yaml
(the skill study's least-squares fit) holds.
"""

from dataclasses import dataclass

import numpy as np

from sim.data.dates import month_label, parse_month
from sim.data.measured.observed import MEASURES, observed
from sim.errors import InputError
from sim.model.observation import error_scale_samples, logit
from sim.run.measurements import MeasurementCells, latent_series, load_observation, measured_pairs, pair_key

LAST_MONTH = "2015-12"  # no measured series after it enters a fit
PREFIX = "observation."
OBSERVATION_VALUES = tuple(f"{PREFIX}{m}.{v}" for m in MEASURES for v in ("slope", "sd"))
NOISE_STREAM = 0x6F627376  # the observation errors' stream, beside the calibration's seed
CHUNK = 2000  # simulations summarised at a time (the ICEWS series are S x 20 x 72)


@dataclass(frozen=True)
class Series:
    """One measure's record over the window, in the order latent_series gives the pairs."""

    measure: str
    keys: tuple[str, ...]  # pair keys: 'A-B' sorted for votes, directed for ICEWS
    periods: tuple[str, ...]  # 'YYYY' or 'YYYY-MM'
    values: np.ndarray  # float64[P, T] on the error's scale (logit for votes); NaN: not measured
    year: np.ndarray  # int64[T]: the year of each period, 0 = the window's first

    @property
    def mask(self) -> np.ndarray:
        return np.isfinite(self.values)

    @property
    def years(self) -> int:
        return int(self.year.max()) + 1

    def components(self) -> np.ndarray:
        """bool[P, Y]: the pair-years with a measurement, of pairs measured at least twice."""
        counts = self.mask.astype(np.int64) @ year_matrix(self.year, self.years)
        return (counts > 0) & (self.mask.sum(axis=1) >= 2)[:, None]


@dataclass(frozen=True)
class Measured:
    cells: MeasurementCells  # the probes of the window (offset: after the facts' probes)
    start: int  # the run's first month
    series: tuple[Series, ...]
    fixed: dict  # observation values not fitted: {name: value} from configs/observation.yaml

    def names(self) -> list[str]:
        out = []
        for s in self.series:
            first = int(s.periods[0][:4])
            pairs, years = np.nonzero(s.components())
            out += [f"measured:{s.measure}:{s.keys[p]}:{first + y}"
                    for p, y in zip(pairs, years, strict=True)]
            out.append(f"measured:{s.measure}:within_sd")
        return out


def year_matrix(year: np.ndarray, years: int) -> np.ndarray:
    """float64[T, Y]: 1 where period t falls in year y."""
    return (year[:, None] == np.arange(years)[None, :]).astype(np.float64)


def within_pair(values: np.ndarray, mask: np.ndarray, year: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """values float64[S, P, T] (read where mask bool[P, T]) -> float64[S, C + 1]: D_p(y) of the
    components keep bool[P, Y], row by row, then W (the module's equations)."""
    n = mask.sum(axis=1)
    x = np.where(mask, values, 0.0)
    mean = x.sum(axis=2) / np.maximum(n, 1)
    d = np.where(mask, values - mean[..., None], 0.0)
    to_years = year_matrix(year, int(keep.shape[1]))
    counts = mask.astype(np.float64) @ to_years
    with np.errstate(invalid="ignore", divide="ignore"):
        yearly = (d @ to_years) / counts
    dof = np.maximum(n - 1, 0).sum()
    pooled = np.sqrt((d ** 2).sum(axis=(1, 2)) / max(dof, 1))
    return np.concatenate([yearly[:, keep], pooled[:, None]], axis=1)


def simulated_values(s: Series, latent: np.ndarray, slope: np.ndarray, sd: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """latent float64[S, P, T] -> the measurement on the error's scale, float64[S, P, T],
    with slope and sd float64[S] per replicate and the pair intercept profiled (docstring)."""
    mask = s.mask
    n = np.maximum(mask.sum(axis=1), 1)
    level = np.where(mask, s.values, 0.0).sum(axis=1) / n
    latent_level = np.where(mask, latent, 0.0).sum(axis=2) / n
    intercept = level[None, :] - slope[:, None] * latent_level
    return error_scale_samples(s.measure, latent, intercept[..., None], slope[:, None, None],
                               sd[:, None, None], rng)


def window(first: int, last: int) -> tuple[int, int]:
    """The months of the record window (calibration.record, before calibration.holdout) that
    the measured part reads: to LAST_MONTH at the latest (the held-out rule)."""
    return first, min(last, parse_month(LAST_MONTH, "sim", "LAST_MONTH"))


def record_series(codes, measure: str, pairs, periods: list[str], seen) -> Series:
    rows = seen.loc[seen["measure"] == measure]
    lookup = dict(zip(zip(rows["source"] + "-" + rows["target"], rows["period"], strict=True),
                      rows["value"], strict=True))
    keys = tuple(pair_key(codes, i, j, measure) for i, j in pairs)
    values = np.array([[lookup.get((k, p), np.nan) for p in periods] for k in keys], dtype=np.float64)
    if measure == "unga_agreement":
        values = np.where(np.isfinite(values), logit(values), np.nan)
    first = int(periods[0][:4])
    year = np.array([int(p[:4]) - first for p in periods], dtype=np.int64)
    return Series(measure, keys, tuple(periods), values.reshape(len(keys), len(periods)), year)


def build_measured(codes, focus: str, start: int, months: tuple[int, int], offset: int) -> Measured:
    """The probes of months (first and last month of the fit's record window, inside the run)
    cut at LAST_MONTH, and the record's series of every measured pair of `codes`."""
    first, last = window(*months)
    if last <= first:
        raise InputError("config", "calibration.record", f"the measured series need at least two "
                         f"months of the record window before {LAST_MONTH}; start it earlier")
    pairs = measured_pairs(tuple(codes), focus)
    months = np.arange(first, last + 1, dtype=np.int64)
    steps = months - start + 1  # the date step at the end of each month
    cells = MeasurementCells(pairs, steps, offset)
    seen = observed(list(codes), month_label(first), month_label(last))
    dummy = np.zeros((1, offset + len(pairs) * len(steps)))
    series = []
    for measure in MEASURES:
        chosen, periods, _ = latent_series(dummy, cells, start, measure)
        series.append(record_series(codes, measure, chosen, periods, seen))
    fitted = load_observation()
    fixed = {f"{PREFIX}{m}.{v}": float(fitted.get(m, {}).get(v, 1.0)) for m in MEASURES
             for v in ("slope", "sd")}
    return Measured(cells, start, tuple(series), fixed)


def probe_cells(m: Measured) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step, i, j) of the window's probes, pair by pair (the order latent_series reads)."""
    where = m.cells
    step = np.tile(where.steps, len(where.pairs))
    i = np.repeat([p[0] for p in where.pairs], len(where.steps)).astype(np.int64)
    j = np.repeat([p[1] for p in where.pairs], len(where.steps)).astype(np.int64)
    return step, i, j


def observation_values(names: list[str], values: np.ndarray, fixed: dict) -> np.ndarray:
    """float64[S, 2 * measures]: each replicate's observation values (OBSERVATION_VALUES order),
    from the fitted columns of values float64[S, D] (names) or else the fixed ones."""
    columns = [values[:, names.index(n)] if n in names else np.full(len(values), fixed[n])
               for n in OBSERVATION_VALUES]
    return np.column_stack(columns) if columns else np.zeros((len(values), 0))


def simulate_series(m: Measured, probes: np.ndarray, observation: np.ndarray,
                    rng: np.random.Generator) -> list[np.ndarray]:
    """probes float64[S, P] (the facts' cells, then the window's) -> per measure the simulated
    series float64[S, P_m, T_m] on the error's scale (NaN where the record has no value)."""
    out = []
    for k, s in enumerate(m.series):
        _, _, latent = latent_series(probes, m.cells, m.start, s.measure)
        values = simulated_values(s, latent, observation[:, 2 * k], observation[:, 2 * k + 1], rng)
        out.append(np.where(s.mask, values, np.nan))
    return out


def summarise(m: Measured, probes: np.ndarray, observation: np.ndarray, seed: int,
              keep_series: bool = False) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """(float64[S, E]: the measured summary of each replicate in names() order, and if asked
    the simulated series of simulate_series), in chunks of CHUNK replicates drawing from one
    stream of errors."""
    rng = np.random.default_rng([seed, NOISE_STREAM])
    parts, kept = [], []
    for first in range(0, len(probes), CHUNK):
        block = slice(first, first + CHUNK)
        series = simulate_series(m, probes[block], observation[block], rng)
        parts.append(np.concatenate([within_pair(v, s.mask, s.year, s.components())
                                     for s, v in zip(m.series, series, strict=True)], axis=1))
        if keep_series:
            kept.append(series)
    whole = [np.concatenate(chunks, axis=0) for chunks in zip(*kept, strict=True)] if keep_series else None
    return np.concatenate(parts, axis=0), whole


def record_summary(m: Measured) -> np.ndarray:
    """float64[E]: the same summary of the record's series."""
    return np.concatenate([within_pair(s.values[None], s.mask, s.year, s.components())[0]
                           for s in m.series])


def reference_values(m: Measured) -> dict:
    """{'observation': {measure: {slope, sd}}}: the observation values a prior can name."""
    out: dict = {}
    for name, value in m.fixed.items():
        _, measure, leaf = name.split(".")
        out.setdefault(measure, {})[leaf] = value
    return {"observation": out}


def check_observation(values: dict, where: str) -> None:
    """Each measure's slope a finite number, its error sd a number > 0."""
    for measure, entry in values.items():
        for leaf, value in entry.items():
            ok = np.isfinite(value) and (leaf != "sd" or value > 0)
            if not ok:
                raise InputError(where, f"observation.{measure}.{leaf}",
                                 f"{value} must be {'> 0' if leaf == 'sd' else 'a finite number'}")
