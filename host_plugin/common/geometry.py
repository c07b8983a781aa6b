"""Rectangles in image pixels: the area an action reads, and where an enlarged result goes."""

from __future__ import annotations

from dataclasses import dataclass


class RegionError(ValueError):
    """The layer and the selection leave nothing to work on; the message says what to select."""


@dataclass(frozen=True)
class Rect:
    """An axis-aligned pixel rectangle; ``x, y`` is the top-left corner in image coordinates.

    The one rule for empty rectangles: ``width`` and ``height`` are never negative, and a rectangle
    with no area is *empty* (hosts report empty layers and groups that way). Operations never fail on
    an empty rectangle; :meth:`intersect` returns an empty one when nothing overlaps (edges that only
    touch do not overlap). Code that needs pixels checks :attr:`is_empty` and says what to do.
    """

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width < 0 or self.height < 0:
            raise ValueError(f"a rectangle cannot have a negative size, got {self.width}x{self.height}")

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def is_empty(self) -> bool:
        return self.width == 0 or self.height == 0

    @classmethod
    def from_corners(cls, x1: int, y1: int, x2: int, y2: int) -> Rect:
        return cls(x1, y1, max(0, x2 - x1), max(0, y2 - y1))

    def intersect(self, other: Rect) -> Rect:
        x, y = max(self.x, other.x), max(self.y, other.y)
        return Rect.from_corners(x, y, min(self.right, other.right), min(self.bottom, other.bottom))

    def local_to(self, outer: Rect) -> Rect:
        """This rectangle in ``outer``'s own coordinates (e.g. image -> layer coordinates)."""
        return Rect(self.x - outer.x, self.y - outer.y, self.width, self.height)

    def scaled(self, factor: int) -> Rect:
        return Rect(self.x * factor, self.y * factor, self.width * factor, self.height * factor)

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Rect:
        return cls(int(data["x"]), int(data["y"]), int(data["width"]), int(data["height"]))


def work_area(layer: Rect, selection: Rect | None, *, on_layer: bool = True) -> Rect:
    """The area an action reads: the selection's bounding box (clipped to the layer when the pixels come
    from the layer itself, ``on_layer``), or the whole layer. Clipping to what a host can read (Krita's
    canvas, GIMP's layer) is the host's :meth:`~.document.Document.read_image`."""
    if selection is None:
        if layer.is_empty:
            raise RegionError("the active layer is empty; pick a layer with pixels or select a region")
        return layer
    area = selection.intersect(layer) if on_layer else selection
    if area.is_empty:
        raise RegionError(
            "the selection does not overlap the active layer; select part of the layer or clear the selection"
        )
    return area


def clip_to(area: Rect, readable: Rect, what: str) -> Rect:
    """``area`` on what a host can read (``what``: "canvas", "active layer"), or a RegionError."""
    clipped = area.intersect(readable)
    if clipped.is_empty:
        raise RegionError(f"the area to work on lies outside the {what}; select part of the {what}")
    return clipped


#: Context around a selection sent with it (harmonize, edit): this fraction of its longer side per
#: side, at least CONTEXT_MIN px, so the model sees the surroundings it blends into.
CONTEXT_FRACTION = 0.5
CONTEXT_MIN = 32


def with_context(selection: Rect, canvas: Rect, fraction: float = CONTEXT_FRACTION) -> Rect:
    """The selection's bounding box grown by its context (``fraction`` of its longer side, at least
    CONTEXT_MIN px) on each side, clipped to the canvas (never the whole layer when the selection is small:
    fewer pixels to send, a model scale closer to the document)."""
    margin = max(CONTEXT_MIN, round(max(selection.width, selection.height) * fraction))
    grown = Rect(
        selection.x - margin,
        selection.y - margin,
        selection.width + 2 * margin,
        selection.height + 2 * margin,
    )
    return grown.intersect(canvas)


def scaled_placement(source: Rect, width: int, height: int, canvas: Rect) -> Rect | None:
    """Where a result of ``width x height`` computed from ``source`` goes: centred on the source and
    shifted to stay on the canvas; ``None`` when it is larger than the canvas (open a new document)."""
    if width > canvas.width or height > canvas.height:
        return None
    cx, cy = source.x + source.width // 2, source.y + source.height // 2
    x = min(max(cx - width // 2, canvas.x), canvas.right - width)
    y = min(max(cy - height // 2, canvas.y), canvas.bottom - height)
    return Rect(x, y, width, height)
