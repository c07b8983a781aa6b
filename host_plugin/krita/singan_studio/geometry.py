"""Rectangles in document pixels: which region an action reads, and where its result goes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    """An axis-aligned pixel rectangle; ``x``/``y`` is the top-left corner in document coordinates."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def is_empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def intersect(self, other: Rect) -> Rect:
        x, y = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        return Rect(x, y, max(0, right - x), max(0, bottom - y))

    def contains(self, other: Rect) -> bool:
        return (
            other.x >= self.x
            and other.y >= self.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Rect:
        return cls(int(data["x"]), int(data["y"]), int(data["width"]), int(data["height"]))


class RegionError(ValueError):
    """The layer/selection gives nothing to work on; the message says what to select."""


def source_region(layer_bounds: Rect, selection_bounds: Rect | None, document: Rect) -> Rect:
    """The region an action reads: the selection's bounding box when there is one, else the whole layer,
    always clipped to the canvas."""
    region = (selection_bounds or layer_bounds).intersect(document)
    if region.is_empty:
        if selection_bounds is not None:
            raise RegionError("the selection does not overlap the canvas; select part of the image")
        raise RegionError("the active layer is empty; pick a layer with pixels or select a region")
    return region


def crop_mask(mask: bytes, mask_rect: Rect, region: Rect) -> bytes:
    """The part of an 8-bit ``mask`` (covering ``mask_rect``) that lies over ``region``; 0 outside it."""
    out = bytearray(region.width * region.height)
    overlap = mask_rect.intersect(region)
    for row in range(overlap.y, overlap.bottom):
        src = (row - mask_rect.y) * mask_rect.width + (overlap.x - mask_rect.x)
        dst = (row - region.y) * region.width + (overlap.x - region.x)
        out[dst : dst + overlap.width] = mask[src : src + overlap.width]
    return bytes(out)


def scaled_placement(source: Rect, width: int, height: int, document: Rect) -> Rect | None:
    """Where a result of ``width x height`` computed from ``source`` goes: centred on the source and
    shifted to stay on the canvas; ``None`` when it is larger than the canvas (open a new document)."""
    if width > document.width or height > document.height:
        return None
    cx, cy = source.x + source.width // 2, source.y + source.height // 2
    x = min(max(cx - width // 2, document.x), document.right - width)
    y = min(max(cy - height // 2, document.y), document.bottom - height)
    return Rect(x, y, width, height)


def anchored_placement(source: Rect, width: int, height: int) -> Rect:
    """A result that replaces ``source`` (same origin, its own size): samples, harmonized regions."""
    return Rect(source.x, source.y, width, height)
