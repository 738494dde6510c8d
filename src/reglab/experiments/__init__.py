"""Experiments built on the engine: the exercise's comparison, seeds, sweeps."""
