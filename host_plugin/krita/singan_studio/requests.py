"""Reading what an action sends: document pixels -> :class:`RawImage` (RGBA, straight alpha, with mask
and document offset). Runs on the UI thread, before any network work."""

from __future__ import annotations

from dataclasses import dataclass

from host_plugin.client import RawImage

from .document import Document, LayerInfo
from .geometry import Rect, RegionError, source_region
from .pixels import bit_depth_for, is_blank, krita_to_rgba


@dataclass(frozen=True)
class Capture:
    """An image read from the document, where it came from, and the document's bit depth."""

    image: RawImage
    region: Rect
    bit_depth: int
    layer: LayerInfo | None = None


def document_bit_depth(doc: Document) -> int:
    """8 or 16; raises :class:`~.pixels.UnsupportedFormat` for float, CMYK, Lab, grayscale documents."""
    return bit_depth_for(doc.color_model, doc.color_depth)


def resolve_layer(doc: Document, layer: str | LayerInfo | None) -> LayerInfo:
    """A layer by name, the given one, or the active one."""
    if isinstance(layer, LayerInfo):
        return layer
    found = doc.find_layer(layer) if layer else doc.active_layer()
    if found is None:
        raise RegionError(f"no layer named {layer!r}" if layer else "no active layer; click a layer first")
    return found


def _raw(doc: Document, native: bytes, region: Rect, bit_depth: int, mask: bytes | None) -> RawImage:
    return RawImage(
        width=region.width,
        height=region.height,
        channels=4,
        pixels=krita_to_rgba(native, bit_depth),
        bit_depth=bit_depth,
        mask=mask,
        offset_x=region.x,
        offset_y=region.y,
    )


def capture_layer(doc: Document, layer: str | LayerInfo | None = None, use_selection: bool = True) -> Capture:
    """A layer's pixels over the selection's bounding box (when there is one and ``use_selection``) or
    over the whole layer; the selection, if used, travels as the mask."""
    document_bit_depth(doc)  # an unsupported format is the first thing to tell the user
    info = resolve_layer(doc, layer)
    selection = doc.selection_bounds() if use_selection else None
    region = source_region(info.bounds, selection, doc.bounds)
    return capture_layer_over(doc, info, region, with_selection=selection is not None)


def capture_layer_over(
    doc: Document, layer: str | LayerInfo | None, region: Rect, with_selection: bool = False
) -> Capture:
    """A layer's pixels over an explicit ``region`` (e.g. a model's training region)."""
    bit_depth = document_bit_depth(doc)
    info = resolve_layer(doc, layer)
    region = region.intersect(doc.bounds)
    if region.is_empty:
        raise RegionError("the region lies outside the canvas")
    native = doc.layer_pixels(info.layer_id, region)
    image = _raw(doc, native, region, bit_depth, doc.selection_mask(region) if with_selection else None)
    if is_blank(image.pixels, bit_depth):
        raise RegionError(f"layer {info.name!r} is transparent in this region; nothing to work on")
    return Capture(image, region, bit_depth, info)


def capture_visible(doc: Document, region: Rect, with_selection: bool) -> Capture:
    """The visible image (all layers merged) over ``region``; with the selection as mask if asked,
    which must then overlap the region."""
    bit_depth = document_bit_depth(doc)
    region = region.intersect(doc.bounds)
    if region.is_empty:
        raise RegionError("the model's region lies outside the canvas")
    mask = None
    if with_selection:
        selection = doc.selection_bounds()
        if selection is None or selection.intersect(region).is_empty:
            raise RegionError(
                "select the object or area first (the selection must overlap the model's region)"
            )
        mask = doc.selection_mask(region)
    return Capture(_raw(doc, doc.projection_pixels(region), region, bit_depth, mask), region, bit_depth)


def selection_or_layer_region(doc: Document) -> Rect:
    """The selection's bounding box, else the active layer's bounds, on the canvas."""
    info = doc.active_layer()
    layer_bounds = info.bounds if info is not None else doc.bounds
    return source_region(layer_bounds, doc.selection_bounds(), doc.bounds)
