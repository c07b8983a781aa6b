"""What the plugin needs from an open document: the one protocol every host implements
(krita-ai-diffusion style). ``host_plugin/krita/singan_studio/krita_document.py`` implements it over
Krita's API, ``host_plugin/gimp/gimp_document.py`` over libgimp, :mod:`.mock_document` in memory for tests.

Pixels cross this boundary as the API's :class:`~host_plugin.client.RawImage` (straight alpha, 16-bit
samples little-endian, offset = where the pixels sit in the image): each adapter converts from and to
its host's own layout in one place. Every method must be called on the host's UI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from host_plugin.client import RawImage

from .geometry import Rect
from .models import DocumentModels


class UnsupportedFormat(ValueError):
    """The document's colour model or depth cannot be sent to the server; the message says what to do."""


@dataclass(frozen=True)
class LayerInfo:
    """A node of the layer stack; ``layer_id`` is stable for the document's lifetime."""

    layer_id: str
    name: str
    kind: str  # e.g. "paintlayer", "grouplayer"
    bounds: Rect


@dataclass(frozen=True)
class NewLayer:
    """A result to add: ``image`` with its top-left corner at ``x, y`` (image pixels)."""

    name: str
    image: RawImage
    x: int = 0
    y: int = 0

    @property
    def rect(self) -> Rect:
        return Rect(self.x, self.y, self.image.width, self.image.height)


@dataclass(frozen=True)
class Placed:
    """Where a result went: a layer in ``document`` (this one, or a new one)."""

    document: Document
    layer_id: str
    name: str
    rect: Rect
    new_document: bool = False


class Document(Protocol):
    """One open image."""

    @property
    def name(self) -> str:
        """The document's name (its file name, or what the host calls an unsaved one)."""
        ...

    @property
    def bounds(self) -> Rect:
        """The canvas, ``Rect(0, 0, width, height)``."""
        ...

    def check_format(self) -> None:
        """Raise :class:`UnsupportedFormat` when this document's pixels cannot be sent to the server."""

    def active_layer(self) -> LayerInfo | None: ...

    def find_layer(self, name: str) -> LayerInfo | None:
        """The first layer with this name, searching the whole tree."""

    def selection_bounds(self) -> Rect | None:
        """The bounding box of the selection, or ``None`` when nothing is selected."""

    def read_layer(self, layer: LayerInfo, area: Rect, *, with_mask: bool = False) -> RawImage:
        """One layer's pixels over ``area`` (transparent where the layer has none), with the selection's
        coverage over ``area`` as the mask when asked."""

    def read_image(self, area: Rect, *, with_mask: bool = False) -> RawImage:
        """The image as the artist composed it, over ``area`` (at most: a host may clip it to what it
        can read; the offset says where the pixels are). Krita: all visible layers merged; GIMP: the
        active layer, since GIMP pastes into it."""

    def models(self) -> DocumentModels:
        """The models stored with this document."""

    def save_models(self, models: DocumentModels) -> None:
        """Store ``models`` with the document (saved in its file)."""

    def add_layers(self, layers: Sequence[NewLayer], group: str | None = None) -> list[Placed]:
        """New layers (never a change to existing pixels), inside a new group ``group`` if given. A name
        that is taken is made unique the host's way; :class:`Placed` holds the name used."""

    def extend_canvas(
        self, left: int, top: int, right: int, bottom: int, layers: Sequence[NewLayer]
    ) -> list[Placed]:
        """Grow the canvas by the borders (px; existing layers keep their pixels and move with the picture,
        so the old canvas' origin is at ``(left, top)`` after it) and add ``layers`` (in the new canvas'
        coordinates), as one undo step."""

    def new_document(self, name: str, layers: Sequence[NewLayer]) -> Document:
        """A new document the size of the first layer, holding ``layers`` (the first at the bottom),
        shown to the artist."""


def unique_name(taken: Callable[[str], bool], base: str) -> str:
    """``base``, or ``base 2``, ``base 3``... so repeated actions stay tellable apart in the layer stack."""
    if not taken(base):
        return base
    index = 2
    while taken(f"{base} {index}"):
        index += 1
    return f"{base} {index}"
