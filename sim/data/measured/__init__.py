"""Measured series (UN votes and others): importers from the source files a user downloaded,
and loaders of the derived tables committed under data/measured/."""
