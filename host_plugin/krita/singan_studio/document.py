"""What the plugin needs from an open document, independent of Krita (krita-ai-diffusion style).

:class:`~.krita_document.KritaDocument` implements it over Krita's API; :class:`~.mock_document.MockDocument`
implements it in memory for tests. Pixels cross this boundary in Krita's native byte order (BGRA, 16-bit
samples little-endian): conversion to the API's RGBA happens in one place, :mod:`.requests`/:mod:`.results`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from .geometry import Rect


@dataclass(frozen=True)
class LayerInfo:
    """A node of the layer stack: ``layer_id`` is stable for the document's lifetime (Krita's uniqueId)."""

    layer_id: str
    name: str
    kind: str  # Krita node type: "paintlayer", "grouplayer", ...
    bounds: Rect


class Document(ABC):
    """One open image. Every method must be called on the UI thread."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    @abstractmethod
    def bounds(self) -> Rect:
        """The canvas, ``Rect(0, 0, width, height)``."""

    @property
    @abstractmethod
    def color_model(self) -> str:
        """Krita colour model id: ``RGBA``, ``GRAYA``, ``CMYKA``, ``LABA``, ..."""

    @property
    @abstractmethod
    def color_depth(self) -> str:
        """Krita depth id: ``U8``, ``U16``, ``F16``, ``F32``."""

    @abstractmethod
    def active_layer(self) -> LayerInfo | None: ...

    @abstractmethod
    def find_layer(self, name: str) -> LayerInfo | None:
        """The first layer with this name, searching the whole tree."""

    @abstractmethod
    def layer_pixels(self, layer_id: str, rect: Rect) -> bytes:
        """Native pixels of one layer over ``rect`` (transparent where the layer has none)."""

    @abstractmethod
    def projection_pixels(self, rect: Rect) -> bytes:
        """Native pixels of the visible image (all layers merged) over ``rect``."""

    @abstractmethod
    def selection_bounds(self) -> Rect | None:
        """The bounding box of the global selection, or ``None`` when nothing is selected."""

    @abstractmethod
    def selection_mask(self, rect: Rect) -> bytes:
        """8-bit selection coverage over ``rect`` (``rect.width * rect.height`` bytes)."""

    @abstractmethod
    def add_group(self, name: str, above: str | None = None) -> str:
        """A new group layer above layer ``above`` (or on top); returns its id."""

    @abstractmethod
    def add_layer(
        self, name: str, rect: Rect, pixels: bytes, parent: str | None = None, above: str | None = None
    ) -> str:
        """A new paint layer holding native ``pixels`` at ``rect``, inside group ``parent`` (or the root)
        above layer ``above`` (or on top of its parent); returns its id. Never modifies existing pixels."""

    @abstractmethod
    def children(self, group_id: str | None = None) -> list[LayerInfo]:
        """Direct children of a group (the root when ``None``), bottom to top."""

    @abstractmethod
    def read_annotation(self, key: str) -> bytes | None:
        """Data stored with the document (saved in the .kra)."""

    @abstractmethod
    def write_annotation(self, key: str, description: str, data: bytes) -> None: ...

    @abstractmethod
    def new_document(self, name: str, width: int, height: int, pixels: bytes, layer_name: str) -> Document:
        """A new document with the same colour space, one layer holding ``pixels``; shown to the user."""
