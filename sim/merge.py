"""`python -m sim.merge SWEEP`: a run split into blocks of replicates across jobs, merged
exactly (the code is in sim.run.blocks)."""

import sys

from sim.run.blocks import main

if __name__ == "__main__":
    sys.exit(main())
