"""Figures of the algorithms pages."""
