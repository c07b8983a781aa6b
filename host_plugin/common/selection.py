"""Selection masks: 8-bit coverage, one byte per pixel (0 = outside, 255 = inside)."""

from __future__ import annotations

from .geometry import Rect, RegionError

_MASK_MEANING = {"Harmonize": "pasted object", "Edit": "edited region"}


def crop_mask(mask: bytes, mask_rect: Rect, region: Rect) -> bytes:
    """The part of ``mask`` (covering ``mask_rect``) that lies over ``region``; 0 outside it."""
    out = bytearray(region.width * region.height)
    overlap = mask_rect.intersect(region)
    for row in range(overlap.y, overlap.bottom):
        src = (row - mask_rect.y) * mask_rect.width + (overlap.x - mask_rect.x)
        dst = (row - region.y) * region.width + (overlap.x - region.x)
        out[dst : dst + overlap.width] = mask[src : src + overlap.width]
    return bytes(out)


def mask_coverage(mask: bytes) -> float:
    """Fraction of mask pixels that are selected (> 127)."""
    if not mask:
        return 0.0
    return sum(1 for value in mask if value > 127) / len(mask)


def require_mask(mask: bytes | None, what: str) -> bytes:
    """A usable selection mask for harmonize/edit, or a RegionError telling the artist what to select."""
    meaning = _MASK_MEANING.get(what, "region")
    coverage = mask_coverage(mask) if mask is not None else 0.0
    if coverage == 0.0:
        raise RegionError(f"{what} needs a selection: select the {meaning} first")
    if coverage == 1.0:
        raise RegionError(f"{what} needs a selection smaller than the layer: select only the {meaning}")
    assert mask is not None
    return mask
