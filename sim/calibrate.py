"""`python -m sim.calibrate`: the posterior by neural posterior estimation
(the code is in sim.studies.calibration.calibrate)."""

from sim.studies.calibration.calibrate import entry

if __name__ == "__main__":
    entry()
