"""One run: set up from a configuration, simulate, summarise the effects, write the tables."""
