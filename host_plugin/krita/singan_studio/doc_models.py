"""Which models belong to a document: a small JSON annotation saved inside the .kra.

Reopening the file finds the model ids again; the server is asked for them by id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from .document import Document
from .geometry import Rect

ANNOTATION_KEY = "singan_studio"
ANNOTATION_DESCRIPTION = "SinGAN Studio: models trained for this document"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelRecord:
    """A model trained from ``layer_name`` over ``region`` (document pixels) with ``preset``."""

    model_id: str
    layer_name: str
    preset: str
    region: Rect
    job_id: str = ""
    name: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "model_id": self.model_id,
            "layer_name": self.layer_name,
            "preset": self.preset,
            "region": self.region.to_dict(),
            "job_id": self.job_id,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ModelRecord:
        return cls(
            model_id=str(data["model_id"]),
            layer_name=str(data.get("layer_name", "")),
            preset=str(data.get("preset", "")),
            region=Rect.from_dict(data["region"]),
            job_id=str(data.get("job_id", "")),
            name=str(data.get("name", "")),
        )


@dataclass(frozen=True)
class DocumentModels:
    records: tuple[ModelRecord, ...] = ()
    active_id: str = ""

    @property
    def active(self) -> ModelRecord | None:
        wanted = self.active_id or (self.records[-1].model_id if self.records else "")
        return self.get(wanted)

    def get(self, model_id: str) -> ModelRecord | None:
        return next((r for r in self.records if r.model_id == model_id), None)

    def with_record(self, record: ModelRecord, make_active: bool = True) -> DocumentModels:
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
    def from_json(cls, raw: bytes) -> DocumentModels:
        data = json.loads(raw.decode("utf-8"))
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown SinGAN annotation version {data.get('version')!r}")
        return cls(
            tuple(ModelRecord.from_dict(m) for m in data.get("models", [])), str(data.get("active", ""))
        )


def load_models(doc: Document) -> DocumentModels:
    """The document's models; an unreadable annotation (newer plugin, damaged file) reads as none."""
    raw = doc.read_annotation(ANNOTATION_KEY)
    if not raw:
        return DocumentModels()
    try:
        return DocumentModels.from_json(raw)
    except (ValueError, KeyError, TypeError):
        return DocumentModels()


def save_models(doc: Document, models: DocumentModels) -> None:
    doc.write_annotation(ANNOTATION_KEY, ANNOTATION_DESCRIPTION, models.to_json())
