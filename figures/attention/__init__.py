"""Efficient attention (attention)."""
