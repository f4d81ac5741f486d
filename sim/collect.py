"""`python -m sim.collect`: gathers a sweep's runs into one table (the code is in sim.studies.collect)."""

import sys

from sim.studies.collect import main

if __name__ == "__main__":
    sys.exit(main())
