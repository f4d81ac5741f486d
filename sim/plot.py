"""`python -m sim.plot`: figures from a run, a sweep or a catalogue (the code is in sim.report.figures)."""

import sys

from sim.report.figures import main

if __name__ == "__main__":
    sys.exit(main())
