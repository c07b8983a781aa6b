"""Content hashes: a model is identified by its training image and its config."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from .config import SinGANConfig, config_to_dict

# How training runs on the hardware, not what it learns: changing these must not change the model id, so a
# training resumed with other thread counts or accelerator switches continues the same model.
EXECUTION_FIELDS = ("threads", "channels_last", "autocast_bf16", "compile", "cuda_graphs")


def config_fingerprint(config: SinGANConfig) -> str:
    """Canonical JSON of the config without the execution-only fields (and without the preset's name)."""
    data = config_to_dict(config)
    data.pop("preset", None)
    for name in EXECUTION_FIELDS:
        data["train"].pop(name, None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def image_hash(arr: np.ndarray) -> str:
    """sha256 over shape, dtype and pixels."""
    h = hashlib.sha256()
    h.update(f"{arr.shape}|{arr.dtype.str}|".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def model_id(arr_or_hash: np.ndarray | str, config: SinGANConfig) -> str:
    """A 24-hex-digit id (safe as a file name) for image + config."""
    ih = arr_or_hash if isinstance(arr_or_hash, str) else image_hash(arr_or_hash)
    return hashlib.sha256(f"{ih}|{config_fingerprint(config)}".encode()).hexdigest()[:24]
