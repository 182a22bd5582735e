"""Snippets of the algorithms section (算法)."""
