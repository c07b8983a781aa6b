"""What the plugin's actions read from the document before a call, and where results go: the layer and
area an action works on, the captured pixels, a new document for results, the model's scale in words.
Used by :mod:`.flows` and :mod:`.instant_flows`."""

from __future__ import annotations

from host_plugin.client import ClientError, RawImage

from .document import Document, LayerInfo, NewLayer, Placed
from .geometry import Rect, RegionError, work_area
from .models import ModelRef
from .pixels import is_blank
from .runner import RunContext


def resolve_layer(doc: Document, layer: str | None) -> LayerInfo:
    """A layer by name, or the active one."""
    found = doc.find_layer(layer) if layer else doc.active_layer()
    if found is None:
        raise RegionError(f"no layer named {layer!r}" if layer else "no active layer; click a layer first")
    return found


def action_area(doc: Document, layer: LayerInfo, *, on_layer: bool = True) -> Rect:
    """The selection's bounding box (on the layer, for pixels read from the layer itself) or the layer."""
    return work_area(layer.bounds, doc.selection_bounds(), on_layer=on_layer)


def layer_or_canvas(doc: Document) -> Rect:
    """The active layer's bounds, else (no active layer, or an empty one) the canvas."""
    active = doc.active_layer()
    return active.bounds if active is not None and not active.bounds.is_empty else doc.bounds


def model_area(doc: Document, model: ModelRef, layer: LayerInfo | None, *, on_layer: bool = True) -> Rect:
    """Where a model's results belong: the region it was trained on, else the action area, else (no
    layer, or an empty one, and no selection) the canvas."""
    if model.region is not None:
        return model.region
    if doc.selection_bounds() is None and (layer is None or layer.bounds.is_empty):
        return doc.bounds
    return action_area(doc, layer or resolve_layer(doc, None), on_layer=on_layer)


def capture_layer(doc: Document, layer: LayerInfo, area: Rect, *, with_mask: bool = False) -> RawImage:
    image = doc.read_layer(layer, area, with_mask=with_mask)
    if is_blank(image.pixels, image.bit_depth, image.channels):
        raise RegionError(f"layer {layer.name!r} is transparent in this region; nothing to work on")
    return image


def in_new_document(doc: Document, name: str, layers: list[NewLayer]) -> list[Placed]:
    """``layers`` in a new document (shown to the artist)."""
    new_doc = doc.new_document(name, layers)
    found = [new_doc.find_layer(layer.name) for layer in layers]
    return [
        Placed(new_doc, info.layer_id if info else "", layer.name, layer.rect, new_document=True)
        for layer, info in zip(layers, found, strict=True)
    ]


def model_scale(ctx: RunContext, model_id: str, area: Rect) -> str:
    """At what scale the model sees ``area`` (a task works at the model's pixel count with the area's
    aspect): "model: 1 px = 4 document px"; "" when the server cannot say (no such model info)."""
    try:
        info = ctx.client.get_model(model_id)
    except (ClientError, AttributeError):  # an older server, or a client without model info
        return ""
    if not info.width or not info.height or area.is_empty:
        return ""
    ratio = max(1.0, (area.width * area.height / (info.width * info.height)) ** 0.5)
    return f"model: 1 px = {ratio:.3g} document px"


def with_note(message: str, note: str) -> str:
    return f"{message} ({note})" if note else message


def result_corner(result: RawImage, source: RawImage) -> tuple[int, int]:
    """Where a result goes: a result the source's size is the whole area (an older server's answer);
    a smaller one is the changed region at its own offset."""
    if (result.width, result.height) == (source.width, source.height):
        return source.offset_x, source.offset_y
    return result.offset_x, result.offset_y
