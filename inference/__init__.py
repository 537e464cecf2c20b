"""Tool recognition: the trained model, run exactly as it was trained (see docs/inference.md)."""
