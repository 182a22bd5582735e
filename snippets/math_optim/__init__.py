"""Snippets of the math-optim pages (optimisation and mathematics)."""
