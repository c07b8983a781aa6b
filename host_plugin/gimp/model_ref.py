"""Which model an image or layer was trained into: stored as a GIMP parasite, resolved per call.

Train attaches a ``singan-model`` parasite (persistent, saved in .xcf files) to the image and to the
trained layer. Later calls take the model of an explicit id, of a chosen layer, of a chosen image, or of
the current image, in that order.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

PARASITE_NAME = "singan-model"


class NoModel(LookupError):
    """Nothing says which model to use."""


@dataclass(frozen=True)
class ModelRef:
    model_id: str
    name: str = ""
    preset: str = ""
    server: str = ""
    super_resolution_factor: int = 0


def encode(ref: ModelRef) -> bytes:
    return json.dumps(asdict(ref), sort_keys=True).encode("utf-8")


def decode(data: bytes | None) -> ModelRef | None:
    """The reference stored in a parasite, or None for a missing or unreadable one."""
    if not data:
        return None
    try:
        fields = json.loads(bytes(data).decode("utf-8"))
        if not isinstance(fields, dict):
            return None
        ref = ModelRef(**{k: v for k, v in fields.items() if k in ModelRef.__dataclass_fields__})
    except (ValueError, TypeError):
        return None
    return ref if isinstance(ref.model_id, str) and ref.model_id else None


def resolve(
    model_id: str = "",
    *,
    layer_ref: ModelRef | None = None,
    image_ref: ModelRef | None = None,
    current_ref: ModelRef | None = None,
) -> str:
    """The model id to use; raises :class:`NoModel` with what to do when there is none."""
    if model_id.strip():
        return model_id.strip()
    for ref in (layer_ref, image_ref, current_ref):
        if ref is not None:
            return ref.model_id
    raise NoModel("no SinGAN model for this image yet: run Filters > SinGAN > Train first (or pick a model)")
