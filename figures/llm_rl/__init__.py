"""Figures of the llm-rl pages."""
