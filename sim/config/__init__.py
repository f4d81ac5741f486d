"""Configuration: the structured schema Hydra checks, and the command line's one-line errors."""
