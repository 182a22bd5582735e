"""Figures of the math-optim pages."""
