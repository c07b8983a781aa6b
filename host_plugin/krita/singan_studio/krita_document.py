"""The :class:`~.document.Document` interface over Krita's Python API (UI thread only)."""

from __future__ import annotations

from collections.abc import Iterator

from krita import Krita, Node
from PyQt5.QtCore import QByteArray

from .document import Document, LayerInfo
from .geometry import Rect

SETTINGS_GROUP = "SinGAN Studio"


class KritaDocument(Document):
    def __init__(self, doc: object) -> None:
        self.doc = doc

    @classmethod
    def active(cls) -> KritaDocument | None:
        doc = Krita.instance().activeDocument()
        return cls(doc) if doc is not None else None

    # -- properties -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.doc.name() or "Untitled"

    @property
    def bounds(self) -> Rect:
        return Rect(0, 0, self.doc.width(), self.doc.height())

    @property
    def color_model(self) -> str:
        return self.doc.colorModel()

    @property
    def color_depth(self) -> str:
        return self.doc.colorDepth()

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

    def children(self, group_id: str | None = None) -> list[LayerInfo]:
        parent = self._node(group_id) if group_id else self.doc.rootNode()
        return [self._info(n) for n in parent.childNodes()]

    def layer_pixels(self, layer_id: str, rect: Rect) -> bytes:
        node = self._node(layer_id)
        read = node.pixelData if node.type() == "paintlayer" else node.projectionPixelData
        return bytes(read(rect.x, rect.y, rect.width, rect.height))

    def projection_pixels(self, rect: Rect) -> bytes:
        self.doc.refreshProjection()
        self.doc.waitForDone()
        return bytes(self.doc.pixelData(rect.x, rect.y, rect.width, rect.height))

    # -- selection --------------------------------------------------------------------------------
    def selection_bounds(self) -> Rect | None:
        sel = self.doc.selection()
        if sel is None or sel.width() <= 0 or sel.height() <= 0:
            return None
        return Rect(sel.x(), sel.y(), sel.width(), sel.height())

    def selection_mask(self, rect: Rect) -> bytes:
        sel = self.doc.selection()
        if sel is None:
            return bytes(rect.width * rect.height)
        return bytes(sel.pixelData(rect.x, rect.y, rect.width, rect.height))

    # -- writing (always new nodes) ---------------------------------------------------------------
    def _place(self, node: Node, parent: str | None, above: str | None) -> None:
        parent_node = self._node(parent) if parent else self.doc.rootNode()
        above_node = self._node(above) if above else None
        parent_node.addChildNode(node, above_node)

    def add_group(self, name: str, above: str | None = None) -> str:
        group = self.doc.createGroupLayer(name)
        self._place(group, None, above)
        return group.uniqueId().toString()

    def add_layer(
        self, name: str, rect: Rect, pixels: bytes, parent: str | None = None, above: str | None = None
    ) -> str:
        node = self.doc.createNode(name, "paintlayer")
        self._place(node, parent, above)
        node.setPixelData(QByteArray(pixels), rect.x, rect.y, rect.width, rect.height)
        self.doc.refreshProjection()
        return node.uniqueId().toString()

    # -- data saved with the .kra -----------------------------------------------------------------
    def read_annotation(self, key: str) -> bytes | None:
        if key not in self.doc.annotationTypes():
            return None
        return bytes(self.doc.annotation(key))

    def write_annotation(self, key: str, description: str, data: bytes) -> None:
        self.doc.setAnnotation(key, description, QByteArray(data))
        self.doc.setModified(True)

    def new_document(self, name: str, width: int, height: int, pixels: bytes, layer_name: str) -> Document:
        app = Krita.instance()
        doc = app.createDocument(
            width,
            height,
            name,
            self.doc.colorModel(),
            self.doc.colorDepth(),
            self.doc.colorProfile(),
            self.doc.resolution(),
        )
        background = doc.rootNode().childNodes()[0]
        background.setName(layer_name)
        background.setPixelData(QByteArray(pixels), 0, 0, width, height)
        doc.refreshProjection()
        window = app.activeWindow()
        if window is not None:
            window.addView(doc)
        return KritaDocument(doc)


class KritaSettingsStore:
    """Settings in kritarc, group ``[SinGAN Studio]``."""

    def read(self, key: str, default: str) -> str:
        return Krita.instance().readSetting(SETTINGS_GROUP, key, default)

    def write(self, key: str, value: str) -> None:
        Krita.instance().writeSetting(SETTINGS_GROUP, key, value)
