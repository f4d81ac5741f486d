"""Data the simulator reads: measured series and the rules that derive them."""
