"""`python -m sim.skill`: out-of-sample skill of the measurements (the code is in
sim.studies.skill)."""

import sys

from sim.studies.skill import main

if __name__ == "__main__":
    sys.exit(main())
