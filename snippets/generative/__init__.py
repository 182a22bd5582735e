"""Generative models (generative)."""
