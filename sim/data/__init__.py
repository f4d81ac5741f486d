"""Input data: files, dates, event types, actors, facts and event catalogues, checked strictly."""
