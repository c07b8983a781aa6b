"""One-file checkpoints: safetensors tensors + JSON metadata; no pickled modules (ARCHITECTURE rule 3).

The file holds the format version, the full config, every generator's state dict, noise amplitudes, the
reconstruction noise, per-scale shapes, the training image (at the finest scale's size, for metrics and
thumbnails), its hash, the last critic (so an interrupted training can resume with a warm start) and, for a
fine-tuned model, its tuning records (what its id was computed from; covered by the checksum).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import save_file

from .config import config_from_dict, config_to_dict
from .errors import CheckpointError, ConfigError, DamagedModel
from .fingerprint import TuningRecord, lineage_model_id
from .finite import model_problems, summary
from .model import SinGANModel

FORMAT = "singan-studio-model"
FORMAT_VERSION = 1


def _metadata(model: SinGANModel) -> dict[str, Any]:
    # a trained model's metadata has no "tunings" key: its file is as before tunings were recorded
    tunings = {"tunings": [t.to_dict() for t in model.tunings]} if model.tunings else {}
    return {
        **tunings,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": config_to_dict(model.config),
        "shapes": [list(s) for s in model.shapes],
        "scale_factor": model.scale_factor,
        "channels": model.channels,
        "bit_depth": model.bit_depth,
        "image_hash": model.image_hash,
        "model_id": model.model_id,
        "num_trained": model.num_trained,
        "noise_amps": list(model.noise_amps),
        "train_seconds": list(model.train_seconds),
        "created": model.created,
    }


def _tensors(model: SinGANModel) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {"z_rec": model.z_rec.detach().cpu().contiguous()}
    img = model.image.astype(np.int32) if model.image.dtype == np.uint16 else model.image
    out["image"] = torch.from_numpy(np.ascontiguousarray(img))
    for i, g in enumerate(model.generators):
        for k, v in g.state_dict().items():
            out[f"g{i}.{k}"] = v.detach().cpu().contiguous().clone()
    for k, v in (model.critic_state or {}).items():
        out[f"critic.{k}"] = v.detach().cpu().contiguous().clone()
    return out


def tensors_digest(tensors: dict[str, torch.Tensor], tunings: tuple[TuningRecord, ...] = ()) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes (in name order), then the tuning records if
    any (a trained model's digest is as before they were recorded): stored in the metadata at save,
    compared at load, so flipped or truncated tensor bytes and an edited tuning record are found."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}|{t.dtype}|{tuple(tensors[name].shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    if tunings:
        records = [t.to_dict() for t in tunings]
        h.update(b"tunings|" + json.dumps(records, sort_keys=True, separators=(",", ":")).encode())
    return h.hexdigest()


def save_checkpoint(model: SinGANModel, path: str | os.PathLike[str]) -> None:
    """Write the model atomically: a temp file in the same folder, fsync, then rename over ``path``.

    Refuses (:class:`DamagedModel`) a model with a non-finite weight or noise amplitude: it would draw
    blank images, and writing it over a good file would lose the good one."""
    p = Path(path)
    problems = model_problems(model)
    if problems:
        raise DamagedModel(f"{p}: not written, the model is damaged: {summary(problems)}")
    p.parent.mkdir(parents=True, exist_ok=True)
    tensors = _tensors(model)
    meta = {
        "singan": json.dumps(
            {**_metadata(model), "tensors_sha256": tensors_digest(tensors, model.tunings)}, sort_keys=True
        )
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=meta)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def checkpoint_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata only (cheap: no tensors are read)."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: no such model file")
    try:
        with safe_open(str(p), framework="pt", device="cpu") as f:
            raw = (f.metadata() or {}).get("singan")
    except Exception as exc:  # safetensors raises its own error types for every kind of damage
        raise CheckpointError(f"{p}: not a SinGAN Studio model file, or it is truncated ({exc})") from None
    if raw is None:
        raise CheckpointError(f"{p}: not a SinGAN Studio model file (no SinGAN metadata)")
    try:
        meta = json.loads(raw)
    except ValueError as exc:  # damaged metadata (a flipped bit in the JSON)
        raise CheckpointError(f"{p}: the model file's metadata is damaged ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{p}: not a SinGAN Studio model file")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"{p}: made by a newer SinGAN Studio (format {meta['format_version']}); upgrade"
        )
    return meta


def checkpoint_problems(path: str | os.PathLike[str]) -> list[str]:
    """Why the model file cannot be used (non-finite noise amplitudes, weights or reconstruction noise);
    empty when it is usable. Raises :class:`CheckpointError` for an unreadable file."""
    return model_problems(_read_model(Path(path)))


def load_checkpoint(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> SinGANModel:
    """Rebuild a model from the file alone (loads on CPU, then moves to ``device``). Refuses
    (:class:`DamagedModel`) a model with a non-finite weight or noise amplitude."""
    p = Path(path)
    model = _read_model(p)
    problems = model_problems(model)
    if problems:
        raise DamagedModel(
            f"{p}: the model is damaged and cannot be used ({summary(problems)}); train it again"
        )
    return model.eval().to(torch.device(device) if isinstance(device, str) and device != "auto" else device)


def _check_layout(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    """The metadata's shapes must agree with the stored image and noise, grow towards the finest scale and
    cover the trained scales: a crafted file cannot make inference allocate for shapes it never had."""
    shapes = [tuple(int(v) for v in s) for s in meta["shapes"]]
    trained = int(meta["num_trained"])
    image, z_rec = tensors["image"], tensors["z_rec"]
    if not shapes or not 0 <= trained <= len(shapes) or len(meta["noise_amps"]) != trained:
        raise ValueError(
            f"{len(shapes)} scales, {trained} trained, {len(meta['noise_amps'])} noise amplitudes"
        )
    if any(len(s) != 2 or min(s) < 1 for s in shapes):
        raise ValueError("a scale's shape is not two positive sides")
    if image.ndim != 3 or tuple(image.shape[:2]) != shapes[-1]:
        raise ValueError(f"the image is {tuple(image.shape)}, the finest scale {shapes[-1]}")
    if any(a[0] > b[0] or a[1] > b[1] for a, b in zip(shapes, shapes[1:], strict=False)):
        raise ValueError("the scales do not grow towards the finest")
    if z_rec.ndim != 4 or tuple(z_rec.shape[-2:]) != shapes[0]:
        raise ValueError(f"the reconstruction noise is {tuple(z_rec.shape)}, the coarsest scale {shapes[0]}")


def _read_model(p: Path) -> SinGANModel:
    meta = checkpoint_metadata(p)
    try:
        config = config_from_dict(meta["config"])
    except ConfigError as exc:
        raise CheckpointError(f"{p}: bad config in model file ({exc})") from None
    try:
        with safe_open(str(p), framework="pt", device="cpu") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:
        raise CheckpointError(f"{p}: the model file is damaged ({exc})") from None
    try:
        _check_layout(meta, tensors)
        tunings = _tunings(meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{p}: the model file is inconsistent ({exc})") from None
    image = tensors["image"].numpy()
    image = image.astype(np.uint16) if meta["bit_depth"] == 16 else image.astype(np.uint8)
    model = SinGANModel(
        config=config,
        shapes=tuple(tuple(s) for s in meta["shapes"]),
        scale_factor=float(meta["scale_factor"]),
        channels=int(meta["channels"]),
        bit_depth=int(meta["bit_depth"]),
        image=image,
        image_hash=meta["image_hash"],
        model_id=meta["model_id"],
        z_rec=tensors["z_rec"],
        noise_amps=[float(a) for a in meta["noise_amps"]],
        train_seconds=[float(t) for t in meta.get("train_seconds", [])],
        created=float(meta.get("created", 0.0)),
        tunings=tunings,
    )
    gens = []
    for i in range(int(meta["num_trained"])):
        g = model.new_generator(i)
        prefix = f"g{i}."
        try:
            g.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})
        except RuntimeError as exc:
            raise CheckpointError(f"{p}: generator {i} does not match its config ({exc})") from None
        gens.append(g)
    model.generators = nn.ModuleList(gens)
    critic = {k[len("critic.") :]: v for k, v in tensors.items() if k.startswith("critic.")}
    model.critic_state = critic or None
    expected = meta.get("tensors_sha256")  # files written before the checksum have none
    # a non-finite weight is reported by the caller's finite checks, which name it
    if expected is None and tunings:
        raise CheckpointError(f"{p}: the model file is inconsistent (tuning records without a checksum)")
    if expected is not None and tensors_digest(tensors, tunings) != expected and not model_problems(model):
        raise CheckpointError(
            f"{p}: the model file is damaged (its tensors or tuning records do not match their checksum)"
        )
    return model


def _tunings(meta: dict[str, Any]) -> tuple[TuningRecord, ...]:
    """The metadata's tuning records (none for a trained model); ValueError if they are not records."""
    raw = meta.get("tunings", [])
    if not isinstance(raw, list):
        raise ValueError("the tuning records are not a list")
    return tuple(TuningRecord.from_dict(r) for r in raw)


def content_model_id(model: SinGANModel) -> str:
    """The id a model's contents give (:func:`~singan_core.fingerprint.lineage_model_id`: training image
    hash and config, then its tunings), never the id written in its file: what an import stores it as.
    :class:`CheckpointError` where a tuning record does not follow from the model's contents."""
    try:
        return lineage_model_id(model.image_hash, model.config, model.tunings)
    except ValueError as exc:
        raise CheckpointError(f"the model's tuning records do not match it ({exc})") from None
