"""The :class:`~host_plugin.common.document.Document` of an open Krita document (UI thread only).

Krita's pixels are native BGRA (see ``pixels``); the conversion to and from the API's images happens
here and nowhere else. Models are a JSON annotation saved inside the .kra.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from krita import Krita, Node

from host_plugin.client import RawImage
from host_plugin.common.document import LayerInfo, NewLayer, Placed, unique_name
from host_plugin.common.geometry import Rect, clip_to
from host_plugin.common.models import DocumentModels

from .pixels import bit_depth_for, krita_to_rgba, to_native
from .qt import QByteArray

SETTINGS_GROUP = "SinGAN Studio"
ANNOTATION_KEY = "singan_studio"
ANNOTATION_DESCRIPTION = "SinGAN Studio: models trained for this document"


class KritaDocument:
    def __init__(self, doc: object) -> None:
        self.doc = doc

    @classmethod
    def active(cls) -> KritaDocument | None:
        doc = Krita.instance().activeDocument()
        return cls(doc) if doc is not None else None

    # -- properties -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The file's name ("photo.kra", "photo.png"), else the document's title, else "Untitled"
        (``Document.name()`` is the title field: empty for an opened PNG or JPEG)."""
        path = self.doc.fileName().replace("\\", "/")
        return path.rsplit("/", 1)[-1] or self.doc.name() or "Untitled"

    @property
    def bounds(self) -> Rect:
        return Rect(0, 0, self.doc.width(), self.doc.height())

    @property
    def bit_depth(self) -> int:
        return bit_depth_for(self.doc.colorModel(), self.doc.colorDepth())

    def check_format(self) -> None:
        self.bit_depth  # noqa: B018 - raises UnsupportedFormat for float, CMYK, Lab, grayscale documents

    # -- layers -----------------------------------------------------------------------------------
    def _walk(self, node: Node | None = None) -> Iterator[Node]:
        for child in (node or self.doc.rootNode()).childNodes():
            yield child
            yield from self._walk(child)

    def _node(self, layer_id: str) -> Node:
        for node in self._walk():
            if node.uniqueId().toString() == layer_id:
                return node
        raise KeyError(f"layer {layer_id} no longer exists")

    @staticmethod
    def _info(node: Node) -> LayerInfo:
        b = node.bounds()
        return LayerInfo(
            node.uniqueId().toString(), node.name(), node.type(), Rect(b.x(), b.y(), b.width(), b.height())
        )

    def active_layer(self) -> LayerInfo | None:
        node = self.doc.activeNode()
        return self._info(node) if node is not None else None

    def find_layer(self, name: str) -> LayerInfo | None:
        return next((self._info(n) for n in self._walk() if n.name() == name), None)

    def selection_bounds(self) -> Rect | None:
        sel = self.doc.selection()
        if sel is None or sel.width() <= 0 or sel.height() <= 0:
            return None
        return Rect(sel.x(), sel.y(), sel.width(), sel.height())

    # -- reading ----------------------------------------------------------------------------------
    def _raw(self, native: bytes, area: Rect, with_mask: bool) -> RawImage:
        bit_depth = self.bit_depth
        mask = None
        if with_mask:
            sel = self.doc.selection()
            size = area.width * area.height
            mask = bytes(sel.pixelData(area.x, area.y, area.width, area.height)) if sel else bytes(size)
        pixels = krita_to_rgba(native, bit_depth)
        return RawImage(area.width, area.height, 4, pixels, bit_depth, mask, area.x, area.y)

    def read_layer(self, layer: LayerInfo, area: Rect, *, with_mask: bool = False) -> RawImage:
        node = self._node(layer.layer_id)
        read = node.pixelData if node.type() == "paintlayer" else node.projectionPixelData
        return self._raw(bytes(read(area.x, area.y, area.width, area.height)), area, with_mask)

    def read_image(self, area: Rect, *, with_mask: bool = False) -> RawImage:
        """All visible layers merged, over ``area`` on the canvas."""
        area = clip_to(area, self.bounds, "canvas")
        self.doc.refreshProjection()
        self.doc.waitForDone()
        return self._raw(bytes(self.doc.pixelData(area.x, area.y, area.width, area.height)), area, with_mask)

    # -- models (saved with the .kra) -------------------------------------------------------------
    def models(self) -> DocumentModels:
        if ANNOTATION_KEY not in self.doc.annotationTypes():
            return DocumentModels()
        return DocumentModels.from_json(bytes(self.doc.annotation(ANNOTATION_KEY)))

    def save_models(self, models: DocumentModels) -> None:
        self.doc.setAnnotation(ANNOTATION_KEY, ANNOTATION_DESCRIPTION, QByteArray(models.to_json()))
        self.doc.setModified(True)

    # -- writing (always new nodes, on top) -------------------------------------------------------
    def _taken(self, name: str) -> bool:
        return self.find_layer(name) is not None

    def add_layers(self, layers: Sequence[NewLayer], group: str | None = None) -> list[Placed]:
        """One undo step per group: the group is filled while detached and added to the document once
        (adding each child to an attached group is one undo step per layer); each node gets its pixels
        before it is added."""
        bit_depth = self.bit_depth
        root = self.doc.rootNode()
        parent = root if group is None else self.doc.createGroupLayer(unique_name(self._taken, group))
        placed = []
        for new in layers:
            name = new.name if group is not None else unique_name(self._taken, new.name)
            node = self.doc.createNode(name, "paintlayer")
            node.setPixelData(
                QByteArray(to_native(new.image, bit_depth)), new.x, new.y, new.image.width, new.image.height
            )
            parent.addChildNode(node, None)
            placed.append(Placed(self, node.uniqueId().toString(), name, new.rect))
        if parent is not root:
            root.addChildNode(parent, None)
        self.doc.refreshProjection()
        return placed

    def extend_canvas(
        self, left: int, top: int, right: int, bottom: int, layers: Sequence[NewLayer]
    ) -> list[Placed]:
        """The canvas grows (Krita's Resize Canvas: layers keep their pixels and move with the picture),
        then the layers are added. Krita's scripting API has no way to join the two into one undo step:
        Undo removes the layers first, then the canvas size."""
        self.doc.resizeImage(-left, -top, self.doc.width() + left + right, self.doc.height() + top + bottom)
        self.doc.waitForDone()
        return self.add_layers(layers)

    def new_document(self, name: str, layers: Sequence[NewLayer]) -> KritaDocument:
        first = layers[0].image
        app = Krita.instance()
        doc = app.createDocument(
            first.width,
            first.height,
            name,
            self.doc.colorModel(),
            self.doc.colorDepth(),
            self.doc.colorProfile(),
            self.doc.resolution(),
        )
        new = KritaDocument(doc)
        background = doc.rootNode().childNodes()[0]
        background.setName(layers[0].name)
        background.setPixelData(QByteArray(to_native(first, self.bit_depth)), 0, 0, first.width, first.height)
        new.add_layers(layers[1:])
        doc.refreshProjection()
        window = app.activeWindow()
        if window is not None:
            window.addView(doc)
        return new


class KritaSettingsStore:
    """Settings in kritarc, group ``[SinGAN Studio]``."""

    def read(self, key: str, default: str) -> str:
        return Krita.instance().readSetting(SETTINGS_GROUP, key, default)

    def write(self, key: str, value: str) -> None:
        Krita.instance().writeSetting(SETTINGS_GROUP, key, value)
