"""`python -m sim.plot`: figures from a run, a sweep or a catalogue (the code is in sim.report.plot)."""

import sys

from sim.report.plot import main

if __name__ == "__main__":
    sys.exit(main())
