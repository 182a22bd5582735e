"""Optimisation and mathematics (math-optim)."""
