"""Content hashes: a model is identified by its training image and its config."""

from __future__ import annotations

import hashlib

import numpy as np

from .config import SinGANConfig, config_to_json


def image_hash(arr: np.ndarray) -> str:
    """sha256 over shape, dtype and pixels."""
    h = hashlib.sha256()
    h.update(f"{arr.shape}|{arr.dtype.str}|".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def model_id(arr_or_hash: np.ndarray | str, config: SinGANConfig) -> str:
    """A 24-hex-digit id (safe as a file name) for image + config."""
    ih = arr_or_hash if isinstance(arr_or_hash, str) else image_hash(arr_or_hash)
    return hashlib.sha256(f"{ih}|{config_to_json(config)}".encode()).hexdigest()[:24]
