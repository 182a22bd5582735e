"""Checks of the algorithms section (算法)."""
