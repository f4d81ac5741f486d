"""`python -m sim.events`: check, summarise and import event catalogues."""

import sys

from sim.data.events.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
