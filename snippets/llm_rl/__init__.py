"""Snippets of the llm-rl section (大模型强化学习): PyTorch, batched, with response masks."""
