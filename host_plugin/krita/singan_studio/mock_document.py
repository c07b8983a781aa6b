"""An in-memory :class:`~.document.Document` with Krita's pixel layout, for tests and scripting dry runs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .document import Document, LayerInfo
from .geometry import Rect, crop_mask
from .pixels import SUPPORTED_DEPTHS


@dataclass
class MockLayer:
    layer_id: str
    name: str
    kind: str
    rect: Rect
    pixels: bytes  # native BGRA over rect
    parent: str | None = None


@dataclass
class MockDocument(Document):
    """Layers are stored as native BGRA buffers with a rectangle; the projection is the topmost opaque
    layer's pixel (no blending: enough to test what the plugin reads and writes)."""

    doc_name: str = "mock"
    width: int = 64
    height: int = 48
    model: str = "RGBA"
    depth: str = "U8"
    layers: list[MockLayer] = field(default_factory=list)
    active_id: str | None = None
    selection: tuple[Rect, bytes] | None = None
    annotations: dict[str, bytes] = field(default_factory=dict)
    opened: list[MockDocument] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def pixel_bytes(self) -> int:
        return 4 * SUPPORTED_DEPTHS.get(self.depth, 32) // 8

    # -- setup helpers for tests ------------------------------------------------------------------
    def paint(self, name: str, rect: Rect, pixels: bytes, active: bool = True) -> str:
        layer_id = self.add_layer(name, rect, pixels)
        if active:
            self.active_id = layer_id
        return layer_id

    def select(self, rect: Rect, mask: bytes | None = None) -> None:
        self.selection = (rect, mask if mask is not None else b"\xff" * (rect.width * rect.height))

    def layer(self, layer_id: str) -> MockLayer:
        return next(layer for layer in self.layers if layer.layer_id == layer_id)

    # -- Document ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.doc_name

    @property
    def bounds(self) -> Rect:
        return Rect(0, 0, self.width, self.height)

    @property
    def color_model(self) -> str:
        return self.model

    @property
    def color_depth(self) -> str:
        return self.depth

    def _info(self, layer: MockLayer) -> LayerInfo:
        return LayerInfo(layer.layer_id, layer.name, layer.kind, layer.rect)

    def active_layer(self) -> LayerInfo | None:
        return self._info(self.layer(self.active_id)) if self.active_id else None

    def find_layer(self, name: str) -> LayerInfo | None:
        return next((self._info(layer) for layer in self.layers if layer.name == name), None)

    def layer_pixels(self, layer_id: str, rect: Rect) -> bytes:
        return self._read(self.layer(layer_id), rect, bytearray(rect.width * rect.height * self.pixel_bytes))

    def _read(self, layer: MockLayer, rect: Rect, out: bytearray) -> bytes:
        px = self.pixel_bytes
        overlap = layer.rect.intersect(rect)
        for row in range(overlap.y, overlap.bottom):
            src = ((row - layer.rect.y) * layer.rect.width + overlap.x - layer.rect.x) * px
            dst = ((row - rect.y) * rect.width + overlap.x - rect.x) * px
            out[dst : dst + overlap.width * px] = layer.pixels[src : src + overlap.width * px]
        return bytes(out)

    def projection_pixels(self, rect: Rect) -> bytes:
        out = bytearray(rect.width * rect.height * self.pixel_bytes)
        for layer in self.layers:
            if layer.kind == "paintlayer":
                self._read(layer, rect, out)
        return bytes(out)

    def selection_bounds(self) -> Rect | None:
        return self.selection[0] if self.selection else None

    def selection_mask(self, rect: Rect) -> bytes:
        if self.selection is None:
            return bytes(rect.width * rect.height)
        return crop_mask(self.selection[1], self.selection[0], rect)

    def _new_id(self) -> str:
        return f"layer-{next(self._ids)}"

    def _insert(self, layer: MockLayer, above: str | None) -> None:
        if above is None:
            self.layers.append(layer)
        else:
            index = next(i for i, other in enumerate(self.layers) if other.layer_id == above)
            self.layers.insert(index + 1, layer)

    def add_group(self, name: str, above: str | None = None) -> str:
        layer = MockLayer(self._new_id(), name, "grouplayer", Rect(0, 0, 0, 0), b"")
        self._insert(layer, above)
        return layer.layer_id

    def add_layer(
        self, name: str, rect: Rect, pixels: bytes, parent: str | None = None, above: str | None = None
    ) -> str:
        if len(pixels) != rect.width * rect.height * self.pixel_bytes:
            raise ValueError(f"{len(pixels)} bytes do not fill {rect}")
        layer = MockLayer(self._new_id(), name, "paintlayer", rect, pixels, parent)
        self._insert(layer, above)
        return layer.layer_id

    def children(self, group_id: str | None = None) -> list[LayerInfo]:
        return [self._info(layer) for layer in self.layers if layer.parent == group_id]

    def read_annotation(self, key: str) -> bytes | None:
        return self.annotations.get(key)

    def write_annotation(self, key: str, description: str, data: bytes) -> None:
        self.annotations[key] = data

    def new_document(self, name: str, width: int, height: int, pixels: bytes, layer_name: str) -> Document:
        doc = MockDocument(doc_name=name, width=width, height=height, model=self.model, depth=self.depth)
        doc.add_layer(layer_name, Rect(0, 0, width, height), pixels)
        self.opened.append(doc)
        return doc
