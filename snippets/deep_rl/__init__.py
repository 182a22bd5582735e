"""Snippets of the deep-rl section (深度强化学习)."""
