"""Event catalogues: loading, validation and import of CAMEO-coded event data."""

from sim.data.events.catalogue import CATALOGUE_COLUMNS, load_catalogue, load_catalogues

__all__ = ["CATALOGUE_COLUMNS", "load_catalogue", "load_catalogues"]
