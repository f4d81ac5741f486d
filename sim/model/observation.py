"""The observation model: what latent alignments produce that can be measured.

Arrays in, arrays out. For replicate r the model's alignment A_r[i, j](m) at the end of month
m gives, for a pair or directed pair p and a period t (a year or a month):

- UN General Assembly vote agreement of the unordered pair {i, j} in year y, the share of
  roll calls on which both voted alike (Voeten 2013; Bailey, Strezhnev & Voeten 2017):

      logit q_p(y) = alpha_p + b * s_p(y),   s_p(y) = mean over the months of y of (A_ij + A_ji) / 2
      observed share ~ q_p(y) + e,   e ~ N(0, sd^2) on the logit scale

  The pair's intercept alpha_p carries what the one-dimensional vote space holds apart from
  alignment (India and Pakistan agree in most votes while rivals); the common slope b says
  how far a change of alignment moves agreement. It is a model of ranks and changes within
  a pair, not of levels across pairs (DATA.md).
- Net cooperation of the directed pair (i -> j) in month m, from coded events (ICEWS): the
  mean Goldstein (1992) weight of i's events toward j, over 10, in [-1, 1] (the net
  cooperation of Goldstein & Freeman 1990, per event):

      c_p(m) = alpha_p + b * A_ij(m) + e,   e ~ N(0, sd^2)

Each measure's (alpha, b, sd) are fitted on the training years by least squares on the
ensemble mean (sim.studies.skill); the predictive distribution of a measurement is the
mixture over replicates of the model value plus its error e, drawn from a stream of its own.
"""

import numpy as np


def period_means(values: np.ndarray, period: np.ndarray, n_periods: int) -> np.ndarray:
    """values float64[R, M] over M months, period int64[M] in 0..n_periods-1 ->
    float64[R, n_periods], the mean of each period's months (NaN for a period with none)."""
    sums = np.zeros((values.shape[0], n_periods))
    np.add.at(sums.T, period, values.T)
    counts = np.bincount(period, minlength=n_periods).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / np.where(counts > 0, counts, np.nan)


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(q: np.ndarray) -> np.ndarray:
    q = np.clip(q, 1e-6, 1.0 - 1e-6)
    return np.log(q / (1.0 - q))


def predict(measure: str, latent: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    """The model's value of a measurement from the latent series (s for votes, A for net
    cooperation), on the measurement's own scale."""
    linear = intercept + slope * latent
    if measure == "unga_agreement":
        return logistic(linear)
    if measure == "net_cooperation":
        return np.clip(linear, -1.0, 1.0)
    raise ValueError(f"unknown measure '{measure}'")


def error_scale_samples(measure: str, latent: np.ndarray, intercept, slope, sd,
                        rng: np.random.Generator) -> np.ndarray:
    """One draw of the measurement per latent value on the scale its error is defined on:
    logit q for votes, c (cut to [-1, 1]) for net cooperation. intercept, slope and sd are
    numbers or arrays that broadcast against latent (one per replicate, one per pair)."""
    linear = intercept + slope * latent + rng.standard_normal(latent.shape) * sd
    if measure == "unga_agreement":
        return linear
    if measure == "net_cooperation":
        return np.clip(linear, -1.0, 1.0)
    raise ValueError(f"unknown measure '{measure}'")


def measurement_scale(measure: str, values: np.ndarray) -> np.ndarray:
    """error_scale_samples' values -> the measurement's own scale (a share for votes)."""
    return logistic(values) if measure == "unga_agreement" else values


def predictive_samples(measure: str, latent: np.ndarray, intercept: float, slope: float, sd: float,
                       rng: np.random.Generator) -> np.ndarray:
    """One draw of the measurement per replicate: the model value with its error added on the
    scale the error is defined on (logit for votes)."""
    return measurement_scale(measure, error_scale_samples(measure, latent, intercept, slope, sd, rng))


def fit_linear(latent: np.ndarray, observed: np.ndarray, groups: np.ndarray) -> tuple[dict, float, float]:
    """Least squares of observed = alpha_g + b * latent + e with one intercept per group:
    -> ({group: alpha_g}, b, sd of e). The slope is the within-group one (each group's means
    taken out), as a panel regression with fixed effects."""
    keys = np.unique(groups)
    x, y = latent.astype(np.float64).copy(), observed.astype(np.float64).copy()
    for g in keys:
        at = groups == g
        x[at] -= latent[at].mean()
        y[at] -= observed[at].mean()
    slope = float((x * y).sum() / (x * x).sum()) if (x * x).sum() > 0 else 0.0
    intercepts = {str(g): float(observed[groups == g].mean() - slope * latent[groups == g].mean())
                  for g in keys}
    residual = y - slope * x
    dof = max(len(y) - len(keys) - 1, 1)
    return intercepts, slope, float(np.sqrt((residual ** 2).sum() / dof))
