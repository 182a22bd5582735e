"""Figures of the deep-rl pages."""
