"""Vision and multimodal models (vision)."""
