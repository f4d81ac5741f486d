"""Data of the record: measured series read from public sources into committed tables."""
