"""Content hashes: a model is identified by its training image and its config."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np

from .config import MODEL_SECTIONS, SinGANConfig

#: Model fields added after models were first stored, with the value that reproduces the training of the
#: time: at that value they are left out of the hash, so every stored model keeps its id (a config that
#: sets another value trains another model and gets a new id).
ADDED_FIELDS = {("train", "redraw_coarse_rec_noise"): False}


def config_fingerprint(config: SinGANConfig) -> str:
    """Canonical JSON of the sections that define the model (not ``execution``, not the preset's name)."""
    data = {name: dataclasses.asdict(getattr(config, name)) for name in MODEL_SECTIONS}
    # Ids from before the execution switches had their own section hashed ``train.rec_cache``, always
    # true in practice ("same result, slower"); the constant keeps every existing id.
    data["train"]["rec_cache"] = True
    for (section, name), legacy in ADDED_FIELDS.items():
        if data[section].get(name) == legacy:
            del data[section][name]
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
