"""An in-memory :class:`~.document.Document`, for tests and scripting dry runs.

Layers are RGBA images at the document's bit depth (results are converted on the way in, as a host
converts them to its own layout); the visible image is the topmost painted pixel (no blending: enough
to test what the plugin reads and writes). Like Krita, it renames a taken layer name ``base 2``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from host_plugin.client import RawImage

from .document import LayerInfo, NewLayer, Placed, UnsupportedFormat, unique_name
from .geometry import Rect, clip_to
from .models import DocumentModels
from .pixels import to_rgba
from .selection import crop_mask


@dataclass
class MockLayer:
    layer_id: str
    name: str
    kind: str
    rect: Rect
    pixels: bytes  # RGBA at the document's bit depth over rect
    parent: str | None = None


@dataclass
class MockDocument:
    doc_name: str = "mock"
    width: int = 64
    height: int = 48
    bit_depth: int = 8
    unsupported: str = ""  # when set: check_format raises UnsupportedFormat with this message
    layers: list[MockLayer] = field(default_factory=list)
    active_id: str | None = None
    selection: tuple[Rect, bytes] | None = None
    stored_models: DocumentModels = field(default_factory=DocumentModels)
    opened: list[MockDocument] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def pixel_bytes(self) -> int:
        return 4 * self.bit_depth // 8

    # -- setup helpers for tests ------------------------------------------------------------------
    def paint(self, name: str, rect: Rect, pixels: bytes, active: bool = True) -> str:
        """A layer of RGBA ``pixels`` at the document's depth."""
        if len(pixels) != rect.width * rect.height * self.pixel_bytes:
            raise ValueError(f"{len(pixels)} bytes do not fill {rect}")
        layer = MockLayer(self._new_id(), name, "paintlayer", rect, pixels)
        self.layers.append(layer)
        if active:
            self.active_id = layer.layer_id
        return layer.layer_id

    def select(self, rect: Rect, mask: bytes | None = None) -> None:
        self.selection = (rect, mask if mask is not None else b"\xff" * (rect.width * rect.height))

    def layer(self, layer_id: str) -> MockLayer:
        return next(layer for layer in self.layers if layer.layer_id == layer_id)

    def children(self, group_id: str | None = None) -> list[LayerInfo]:
        """Direct children of a group (the root when ``None``), bottom to top."""
        return [self._info(layer) for layer in self.layers if layer.parent == group_id]

    # -- Document ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.doc_name

    @property
    def bounds(self) -> Rect:
        return Rect(0, 0, self.width, self.height)

    def check_format(self) -> None:
        if self.unsupported:
            raise UnsupportedFormat(self.unsupported)

    def _info(self, layer: MockLayer) -> LayerInfo:
        return LayerInfo(layer.layer_id, layer.name, layer.kind, layer.rect)

    def active_layer(self) -> LayerInfo | None:
        return self._info(self.layer(self.active_id)) if self.active_id else None

    def find_layer(self, name: str) -> LayerInfo | None:
        return next((self._info(layer) for layer in self.layers if layer.name == name), None)

    def selection_bounds(self) -> Rect | None:
        return self.selection[0] if self.selection else None

    def _copy(self, layer: MockLayer, area: Rect, out: bytearray) -> None:
        px = self.pixel_bytes
        overlap = layer.rect.intersect(area)
        for row in range(overlap.y, overlap.bottom):
            src = ((row - layer.rect.y) * layer.rect.width + overlap.x - layer.rect.x) * px
            dst = ((row - area.y) * area.width + overlap.x - area.x) * px
            out[dst : dst + overlap.width * px] = layer.pixels[src : src + overlap.width * px]

    def _image(self, pixels: bytearray, area: Rect, with_mask: bool) -> RawImage:
        mask = None
        if with_mask:
            sel = self.selection
            mask = crop_mask(sel[1], sel[0], area) if sel else bytes(area.width * area.height)
        return RawImage(area.width, area.height, 4, bytes(pixels), self.bit_depth, mask, area.x, area.y)

    def read_layer(self, layer: LayerInfo, area: Rect, *, with_mask: bool = False) -> RawImage:
        out = bytearray(area.width * area.height * self.pixel_bytes)
        self._copy(self.layer(layer.layer_id), area, out)
        return self._image(out, area, with_mask)

    def read_image(self, area: Rect, *, with_mask: bool = False) -> RawImage:
        area = clip_to(area, self.bounds, "canvas")
        out = bytearray(area.width * area.height * self.pixel_bytes)
        for layer in self.layers:
            if layer.kind == "paintlayer":
                self._copy(layer, area, out)
        return self._image(out, area, with_mask)

    def models(self) -> DocumentModels:
        return self.stored_models

    def save_models(self, models: DocumentModels) -> None:
        self.stored_models = models

    def _new_id(self) -> str:
        return f"layer-{next(self._ids)}"

    def _taken(self, name: str) -> bool:
        return self.find_layer(name) is not None

    def add_layers(self, layers: Sequence[NewLayer], group: str | None = None) -> list[Placed]:
        parent = None
        if group is not None:
            parent = self._new_id()
            self.layers.append(
                MockLayer(parent, unique_name(self._taken, group), "grouplayer", Rect(0, 0, 0, 0), b"")
            )
        placed = []
        for new in layers:
            name = new.name if parent else unique_name(self._taken, new.name)
            layer = MockLayer(
                self._new_id(), name, "paintlayer", new.rect, to_rgba(new.image, self.bit_depth), parent
            )
            self.layers.append(layer)
            placed.append(Placed(self, layer.layer_id, name, new.rect))
        return placed

    def extend_canvas(
        self, left: int, top: int, right: int, bottom: int, layers: Sequence[NewLayer]
    ) -> list[Placed]:
        for layer in self.layers:
            if layer.kind == "paintlayer":
                layer.rect = Rect(
                    layer.rect.x + left, layer.rect.y + top, layer.rect.width, layer.rect.height
                )
        if self.selection is not None:
            rect, mask = self.selection
            self.selection = (Rect(rect.x + left, rect.y + top, rect.width, rect.height), mask)
        self.width += left + right
        self.height += top + bottom
        return self.add_layers(layers)

    def new_document(self, name: str, layers: Sequence[NewLayer]) -> MockDocument:
        first = layers[0].image
        doc = MockDocument(doc_name=name, width=first.width, height=first.height, bit_depth=self.bit_depth)
        doc.add_layers(layers)
        self.opened.append(doc)
        return doc
