"""Snippets of the math-optim section (优化与数学)."""
