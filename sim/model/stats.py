"""The statistics an ensemble reports besides its mean (no numba here, so that readers of
the tables do not load the compiler)."""

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_NAMES = ("p05", "p25", "p50", "p75", "p95")
