"""Checks of the math-optim pages."""
