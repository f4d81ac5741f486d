"""Calibration: priors, evidence, neural posterior estimation, the posterior and its report."""
