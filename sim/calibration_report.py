"""`python -m sim.calibration_report compare SWEEP_DIR OUT_DIR`: the model comparison table
(the code is in sim.studies.calibration.report)."""

import sys

from sim.studies.calibration.report import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
