"""The model parasite (host_plugin.gimp.model_ref)."""

from __future__ import annotations

import pytest

from host_plugin.gimp.model_ref import ModelRef, NoModel, decode, encode, resolve


def test_round_trip() -> None:
    ref = ModelRef("abc123", name="a.xcf / Layer", preset="tiny", server="127.0.0.1:1")
    assert decode(encode(ref)) == ref


@pytest.mark.parametrize("data", [None, b"", b"not json", b"[]", b'{"model_id": ""}', b'{"name": "x"}'])
def test_unreadable_parasites_are_none(data) -> None:
    assert decode(data) is None


def test_unknown_fields_are_ignored() -> None:
    assert decode(b'{"model_id": "ff", "future": 1}') == ModelRef("ff")


def test_resolution_order() -> None:
    layer, image, current = ModelRef("l"), ModelRef("i"), ModelRef("c")
    assert resolve(" explicit ", layer_ref=layer, image_ref=image, current_ref=current) == "explicit"
    assert resolve("", layer_ref=layer, image_ref=image, current_ref=current) == "l"
    assert resolve("", image_ref=image, current_ref=current) == "i"
    assert resolve("", current_ref=current) == "c"
    with pytest.raises(NoModel, match="Filters > SinGAN > Train"):
        resolve("")
