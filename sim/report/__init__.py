"""What a reader sees: figures drawn from a run's tables and the printed answer."""
