"""Input data: files, dates, event types, actors, facts and event catalogues, checked strictly;
the measured sources (measured/) and the world actor set built from them (world)."""
