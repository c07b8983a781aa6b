"""Model references stored with a document and which model an action uses (host_plugin.common.models):
the GIMP parasite's and the Krita annotation's former tests, on the one ModelRef."""

from __future__ import annotations

import pytest

from host_plugin.common.geometry import Rect
from host_plugin.common.models import DocumentModels, ModelRef, NoModel, decode, encode, resolve


def test_round_trip() -> None:
    ref = ModelRef("abc123", name="a.xcf / Layer", preset="tiny", server="127.0.0.1:1")
    assert decode(encode(ref)) == ref
    placed = ModelRef("m", layer_name="Source", region=Rect(8, 8, 48, 40), job_id="j")
    assert decode(encode(placed)) == placed
    assert placed.to_dict()["region"] == {"x": 8, "y": 8, "width": 48, "height": 40}


@pytest.mark.parametrize("data", [None, b"", b"not json", b"[]", b'{"model_id": ""}', b'{"name": "x"}'])
def test_unreadable_parasites_are_none(data) -> None:
    assert decode(data) is None


def test_unknown_fields_are_ignored() -> None:
    assert decode(b'{"model_id": "ff", "future": 1}') == ModelRef("ff")


def test_models_annotation_survives_a_round_trip_and_ignores_garbage() -> None:
    assert DocumentModels.from_json(b"not json").records == ()
    assert DocumentModels.from_json(b'{"version": 99, "models": []}').records == ()
    raw = b'{"version": 1, "active": "", "models": [{"model_id": "m", "region": {"x": 1, "y": 2, "width": 3, "height": 4}}]}'
    assert DocumentModels.from_json(raw).active.region == Rect(1, 2, 3, 4)
    models = DocumentModels().with_record(ModelRef("a")).with_record(ModelRef("b"), make_active=False)
    assert DocumentModels.from_json(models.to_json()) == models
    assert models.active.model_id == "a" and models.with_active("b").active.model_id == "b"
    assert models.without("a").active.model_id == "b"
    with pytest.raises(KeyError):
        models.with_active("c")


def test_resolution_order() -> None:
    layer, image = ModelRef("l"), ModelRef("i")
    current = ModelRef("c", region=Rect(0, 0, 4, 4))
    models = DocumentModels((current,))
    hint = "run Filters > SinGAN > Train first"
    assert resolve(models, " explicit ", layer, image, hint=hint) == ModelRef("explicit")
    assert resolve(models, "c", hint=hint) == current  # the document's own record, with its region
    assert resolve(models, "", layer, image, hint=hint).model_id == "l"
    assert resolve(models, "", None, image, hint=hint).model_id == "i"
    assert resolve(models, "", hint=hint) == current
    with pytest.raises(NoModel, match="Filters > SinGAN > Train"):
        resolve(DocumentModels(), "", None, None, hint=hint)
