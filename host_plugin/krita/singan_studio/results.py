"""Writing results: :class:`RawImage` from the server -> new layers (never into existing pixels).
Runs on the UI thread, after the network work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from host_plugin.client import RawImage

from .document import Document
from .geometry import Rect, anchored_placement, scaled_placement
from .pixels import convert_depth, expand_to_rgba, rgba_to_krita


@dataclass(frozen=True)
class Placed:
    """Where a result went: a layer in ``document`` (the source one, or a new one for big results)."""

    document: Document
    layer_id: str
    name: str
    rect: Rect
    new_document: bool = False


def to_native(image: RawImage, bit_depth: int) -> bytes:
    """Any 1-4 channel 8/16-bit API image -> the document's native BGRA at ``bit_depth``."""
    rgba = expand_to_rgba(image.pixels, image.channels, image.bit_depth)
    return rgba_to_krita(convert_depth(rgba, image.bit_depth, bit_depth), bit_depth)


def add_layer(
    doc: Document,
    image: RawImage,
    name: str,
    rect: Rect,
    bit_depth: int,
    parent: str | None = None,
    above: str | None = None,
) -> Placed:
    layer_id = doc.add_layer(name, rect, to_native(image, bit_depth), parent=parent, above=above)
    return Placed(doc, layer_id, name, rect)


def add_layer_group(
    doc: Document,
    images: Sequence[RawImage],
    group_name: str,
    layer_name: str,
    origin: Rect,
    bit_depth: int,
    above: str | None = None,
) -> list[Placed]:
    """``images`` as layers ``layer_name.format(i=1..n)`` in a new group, each anchored at ``origin``."""
    group = doc.add_group(group_name, above=above)
    placed = []
    for index, image in enumerate(images, start=1):
        rect = anchored_placement(origin, image.width, image.height)
        placed.append(add_layer(doc, image, layer_name.format(i=index), rect, bit_depth, parent=group))
    return placed


def add_scaled_result(
    doc: Document, image: RawImage, name: str, source: Rect, bit_depth: int, above: str | None = None
) -> Placed:
    """A result bigger than its source (super-resolution): a new layer centred on the source, or a new
    document when it no longer fits on the canvas."""
    rect = scaled_placement(source, image.width, image.height, doc.bounds)
    if rect is None:
        new_doc = doc.new_document(
            f"{doc.name} {name}", image.width, image.height, to_native(image, bit_depth), name
        )
        layer = new_doc.find_layer(name)
        return Placed(
            new_doc, layer.layer_id if layer else "", name, Rect(0, 0, image.width, image.height), True
        )
    return add_layer(doc, image, name, rect, bit_depth, above=above)


def unique_name(doc: Document, base: str) -> str:
    """``base``, or ``base 2``, ``base 3``... so repeated actions stay tellable apart in the layer stack."""
    if doc.find_layer(base) is None:
        return base
    index = 2
    while doc.find_layer(f"{base} {index}") is not None:
        index += 1
    return f"{base} {index}"
