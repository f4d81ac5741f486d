"""Studies over many runs: sweeps gathered into one table, sensitivity, calibration."""
