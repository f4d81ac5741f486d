"""Measured series (UN votes, ICEWS coded events, ...): importers from the source files a user
downloaded, their rules, and loaders of the derived tables committed under data/measured/."""
