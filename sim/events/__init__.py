"""`python -m sim.events` and `from sim.events import load_catalogue`: the event catalogues
(the code is in sim.data.events)."""

from sim.data.events import CATALOGUE_COLUMNS, load_catalogue, load_catalogues

__all__ = ["CATALOGUE_COLUMNS", "load_catalogue", "load_catalogues"]
