"""Content hashes: a model is identified by its training image and its config, and a fine-tuned model
also by what it was tuned from and on (:class:`TuningRecord`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


#: ``TuningRecord.kind`` of harmonize's fine-tuning (the only kind so far).
FINE_TUNE = "fine_tune"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX24 = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class TuningRecord:
    """What a fine-tuned model's id is computed from: the id of the model it was tuned from, the hashes of
    the composite and mask it was tuned on (:func:`image_hash`) and the tuning's settings. A checkpoint
    keeps its model's records (oldest first) so the id can be computed again from the file's contents."""

    base_model_id: str
    composite_hash: str
    mask_hash: str
    injection_scale: int
    iterations: int
    seed: int
    scales: int
    kind: str = FINE_TUNE

    @property
    def tuned_id(self) -> str:
        """The tuned model's id (24 hex digits): a hash of the base id, the kind, the hashes and settings."""
        settings = (self.injection_scale, self.iterations, self.seed, self.scales)
        key = "|".join(
            [self.base_model_id, self.kind, self.composite_hash, self.mask_hash, *map(str, settings)]
        )
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> TuningRecord:
        """The record as :meth:`to_dict` wrote it; ValueError (saying what is wrong) for anything else."""
        if not isinstance(data, dict) or set(data) != {f.name for f in dataclasses.fields(cls)}:
            raise ValueError(f"a tuning record is not an object with the fields of one: {str(data)[:120]}")
        record = cls(**data)
        if record.kind != FINE_TUNE:
            raise ValueError(f"unknown kind of tuning {str(record.kind)[:40]!r}")
        for name, pattern in (("base_model_id", _HEX24), ("composite_hash", _HEX64), ("mask_hash", _HEX64)):
            if not isinstance(getattr(record, name), str) or not pattern.fullmatch(getattr(record, name)):
                raise ValueError(f"a tuning record's {name} is not a hash")
        for name in ("injection_scale", "iterations", "seed", "scales"):
            value = getattr(record, name)
            if type(value) is not int or value < 0:
                raise ValueError(f"a tuning record's {name} is not a whole number >= 0")
        return record


def lineage_model_id(
    arr_or_hash: np.ndarray | str, config: SinGANConfig, tunings: Sequence[TuningRecord]
) -> str:
    """The id of a model from its contents: :func:`model_id` of its training image and config, then each
    tuning's :attr:`TuningRecord.tuned_id` in order (a model without tunings keeps :func:`model_id`).
    A record's ``base_model_id`` is never taken on trust: ValueError where it is not the id computed so
    far (the record describes another model)."""
    mid = model_id(arr_or_hash, config)
    for k, tuning in enumerate(tunings):
        if tuning.base_model_id != mid:
            raise ValueError(
                f"tuning {k + 1} of {len(tunings)} says it was made from model {tuning.base_model_id}, "
                f"but the file's contents give {mid}"
            )
        mid = tuning.tuned_id
    return mid
