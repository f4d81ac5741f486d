"""Agent-based Monte Carlo simulation of alignments between states."""

__version__ = "0.1.0"
