"""Choosing the torch device: CUDA, Apple MPS or CPU."""

from __future__ import annotations

import torch

from .errors import ConfigError


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """Return the device to run on; ``"auto"`` prefers CUDA, then MPS, then CPU."""
    if isinstance(name, torch.device):
        return name
    if name is None or name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device {name!r} requested but CUDA is not available on this machine; use --device cpu"
        )
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError(f"device {name!r} requested but Apple MPS is not available; use --device cpu")
    return dev


def describe_device(dev: torch.device) -> str:
    """A short human description, e.g. ``CUDA NVIDIA H100 (79.2 GiB)`` or ``CPU (2 threads)``."""
    if dev.type == "cuda":
        props = torch.cuda.get_device_properties(dev)
        return f"CUDA {props.name} ({props.total_memory / 2**30:.1f} GiB)"
    if dev.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"
