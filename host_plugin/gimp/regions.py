"""Rectangles in image coordinates: the layer, the selection's bounding box, and the area to work on."""

from __future__ import annotations

from dataclasses import dataclass


class RegionError(ValueError):
    """The selection and the layer leave nothing to work on."""


@dataclass(frozen=True)
class Rect:
    """``x, y`` top-left in image coordinates; ``width, height`` > 0."""

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise RegionError(f"empty rectangle {self.width}x{self.height}")

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @classmethod
    def from_corners(cls, x1: int, y1: int, x2: int, y2: int) -> Rect:
        return cls(x1, y1, x2 - x1, y2 - y1)

    def intersect(self, other: Rect) -> Rect | None:
        x1, y1 = max(self.x, other.x), max(self.y, other.y)
        x2, y2 = min(self.right, other.right), min(self.bottom, other.bottom)
        if x2 <= x1 or y2 <= y1:
            return None
        return Rect.from_corners(x1, y1, x2, y2)

    def local_to(self, outer: Rect) -> Rect:
        """This rectangle in ``outer``'s own coordinates (e.g. image -> layer coordinates)."""
        return Rect(self.x - outer.x, self.y - outer.y, self.width, self.height)

    def scaled(self, factor: int) -> Rect:
        return Rect(self.x * factor, self.y * factor, self.width * factor, self.height * factor)


def work_area(layer: Rect, selection: Rect | None) -> Rect:
    """The part of ``layer`` to read: the selection's bounding box clipped to the layer, or the layer."""
    if selection is None:
        return layer
    area = layer.intersect(selection)
    if area is None:
        raise RegionError(
            "the selection does not overlap the active layer; select part of the layer or Select > None"
        )
    return area


def mask_coverage(mask: bytes) -> float:
    """Fraction of mask pixels that are selected (> 127)."""
    if not mask:
        return 0.0
    return sum(1 for value in mask if value > 127) / len(mask)


def require_mask(mask: bytes | None, what: str) -> bytes:
    """A usable selection mask for harmonize/edit, or a RegionError telling the artist what to select."""
    if mask is None or mask_coverage(mask) == 0.0:
        raise RegionError(f"{what} needs a selection: select the {_MASK_MEANING.get(what, 'region')} first")
    if mask_coverage(mask) == 1.0:
        raise RegionError(
            f"{what} needs a selection smaller than the layer: select only the {_MASK_MEANING.get(what, 'region')}"
        )
    return mask


_MASK_MEANING = {"Harmonize": "pasted object", "Edit": "edited region"}
