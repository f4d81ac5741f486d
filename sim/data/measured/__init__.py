"""Measured series (ICEWS coded events, ...): their readers, rules and derived tables."""
