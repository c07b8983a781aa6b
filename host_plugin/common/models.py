"""Which models belong to a document, and which model an action uses.

A :class:`ModelRef` is what a host stores with the document when a model is trained (Krita: a JSON
annotation saved in the .kra; GIMP: a persistent parasite on the image and the trained layer, saved in
the .xcf). Reopening the file finds the model ids again; the server is asked for them by id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace

from .geometry import Rect

FORMAT_VERSION = 1


class ActionError(ValueError):
    """An action cannot run as asked; the message says what to do."""


class NoModel(ActionError):
    """Nothing says which model to use."""


@dataclass(frozen=True)
class ModelRef:
    """A model on the server and what it was trained from: ``layer_name`` over ``region`` (image pixels;
    ``None`` for a model trained elsewhere) with ``preset``. Results of the model land at ``region``."""

    model_id: str
    name: str = ""
    preset: str = ""
    layer_name: str = ""
    region: Rect | None = None
    job_id: str = ""
    server: str = ""
    super_resolution_factor: int = 0

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "region"}
        if self.region is not None:
            data["region"] = self.region.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelRef:
        """Raises KeyError, TypeError or ValueError for data that is not a model reference; unknown
        fields (from a newer plugin) are ignored."""
        model_id = data["model_id"]
        if not isinstance(model_id, str) or not model_id:
            raise ValueError(f"not a model id: {model_id!r}")
        region = data.get("region")
        return cls(
            model_id=model_id,
            name=str(data.get("name", "")),
            preset=str(data.get("preset", "")),
            layer_name=str(data.get("layer_name", "")),
            region=Rect.from_dict(region) if region is not None else None,
            job_id=str(data.get("job_id", "")),
            server=str(data.get("server", "")),
            super_resolution_factor=int(data.get("super_resolution_factor", 0)),
        )


def encode(ref: ModelRef) -> bytes:
    return json.dumps(ref.to_dict(), sort_keys=True).encode("utf-8")


def decode(data: bytes | None) -> ModelRef | None:
    """The reference stored by :func:`encode`, or None for a missing or unreadable one."""
    if not data:
        return None
    try:
        loaded = json.loads(bytes(data).decode("utf-8"))
        return ModelRef.from_dict(loaded) if isinstance(loaded, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class DocumentModels:
    """The models of one document, oldest first, and the one actions use unless told otherwise."""

    records: tuple[ModelRef, ...] = ()
    active_id: str = ""

    @property
    def active(self) -> ModelRef | None:
        wanted = self.active_id or (self.records[-1].model_id if self.records else "")
        return self.get(wanted)

    def get(self, model_id: str) -> ModelRef | None:
        return next((r for r in self.records if r.model_id == model_id), None)

    def with_record(self, record: ModelRef, make_active: bool = True) -> DocumentModels:
        records = tuple(r for r in self.records if r.model_id != record.model_id) + (record,)
        return DocumentModels(records, record.model_id if make_active else self.active_id)

    def with_active(self, model_id: str) -> DocumentModels:
        if self.get(model_id) is None:
            raise KeyError(f"model {model_id} is not recorded for this document")
        return replace(self, active_id=model_id)

    def without(self, model_id: str) -> DocumentModels:
        records = tuple(r for r in self.records if r.model_id != model_id)
        return DocumentModels(records, "" if self.active_id == model_id else self.active_id)

    def to_json(self) -> bytes:
        data = {
            "version": FORMAT_VERSION,
            "active": self.active_id,
            "models": [r.to_dict() for r in self.records],
        }
        return json.dumps(data, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes | None) -> DocumentModels:
        """The stored models; an unreadable annotation (newer plugin, damaged file) reads as none."""
        if not raw:
            return cls()
        try:
            data = json.loads(raw.decode("utf-8"))
            if data.get("version") != FORMAT_VERSION:
                return cls()
            records = tuple(ModelRef.from_dict(m) for m in data.get("models", []))
            return cls(records, str(data.get("active", "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()


def resolve(models: DocumentModels, model_id: str = "", *picked: ModelRef | None, hint: str) -> ModelRef:
    """The model an action uses: an explicit ``model_id`` (the document's record of it, or a bare
    reference to a model trained elsewhere), else the first ``picked`` one (the model of another layer
    or image the artist chose: its id only, its region belongs to that layer), else the document's
    active model. Raises :class:`NoModel` with ``hint`` (how to train one in this host)."""
    wanted = model_id.strip()
    if not wanted:
        wanted = next((ref.model_id for ref in picked if ref is not None), "")
    if wanted:
        return models.get(wanted) or ModelRef(wanted)
    active = models.active
    if active is None:
        raise NoModel(f"no SinGAN model for this document yet: {hint}")
    return active
