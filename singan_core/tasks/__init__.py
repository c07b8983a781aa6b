"""Inference-only applications: each takes a trained model and inputs and returns image arrays."""
