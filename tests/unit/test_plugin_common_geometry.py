"""Rectangles, the area an action reads, selection masks and where enlarged results go
(host_plugin.common.geometry / selection); no host needed. The Krita and GIMP plugins' former geometry
tests, on the one shared Rect."""

from __future__ import annotations

import pytest

from host_plugin.common.geometry import Rect, RegionError, clip_to, scaled_placement, work_area
from host_plugin.common.selection import crop_mask, mask_coverage, require_mask

CANVAS = Rect(0, 0, 64, 48)


def test_rect_geometry() -> None:
    a = Rect(10, 20, 30, 40)
    assert (a.right, a.bottom) == (40, 60)
    assert Rect.from_corners(10, 20, 40, 60) == a
    assert a.intersect(Rect(30, 50, 100, 100)) == Rect(30, 50, 10, 10)
    assert Rect(15, 25, 5, 5).local_to(a) == Rect(5, 5, 5, 5)
    assert a.scaled(2) == Rect(20, 40, 60, 80)
    assert Rect.from_dict(a.to_dict()) == a


def test_the_one_rule_for_empty_rectangles() -> None:
    """No area is empty, never an error; a negative size is a bug."""
    a = Rect(10, 20, 30, 40)
    assert a.intersect(Rect(40, 20, 5, 5)).is_empty  # touching edges do not overlap
    assert a.intersect(Rect(100, 100, 5, 5)).is_empty
    assert Rect(0, 0, 0, 5).is_empty and Rect(3, 3, 7, 0).is_empty and not a.is_empty
    assert Rect.from_corners(5, 5, 2, 9) == Rect(5, 5, 0, 4)
    with pytest.raises(ValueError, match="negative"):
        Rect(0, 0, -1, 5)


def test_work_area_is_the_layer_without_selection() -> None:
    layer = Rect(5, 3, 32, 24)
    assert work_area(layer, None) == layer


def test_work_area_clips_the_selection_to_the_layer() -> None:
    assert work_area(Rect(5, 3, 32, 24), Rect(0, 0, 10, 10)) == Rect(5, 3, 5, 7)
    assert work_area(Rect(10, 5, 60, 50), Rect(50, 40, 30, 30)) == Rect(50, 40, 20, 15)
    # pixels read from the whole image, not the layer: the selection may extend beyond the layer
    assert work_area(Rect(10, 5, 40, 30), Rect(50, 40, 30, 30), on_layer=False) == Rect(50, 40, 30, 30)


def test_hosts_clip_to_what_they_can_read() -> None:
    assert clip_to(Rect(50, 40, 30, 30), CANVAS, "canvas") == Rect(50, 40, 14, 8)
    with pytest.raises(RegionError, match="outside the canvas"):
        clip_to(Rect(100, 100, 5, 5), CANVAS, "canvas")


def test_selection_outside_the_layer_and_empty_layers_are_errors() -> None:
    with pytest.raises(RegionError, match="selection does not overlap"):
        work_area(Rect(0, 0, 10, 10), Rect(50, 50, 5, 5))
    with pytest.raises(RegionError, match="empty"):
        work_area(Rect(0, 0, 0, 0), None)


def test_masks() -> None:
    assert mask_coverage(b"\x00\xff\x80\x10") == 0.5
    assert require_mask(b"\x00\xff", "Harmonize") == b"\x00\xff"
    with pytest.raises(RegionError, match="select the pasted object"):
        require_mask(None, "Harmonize")
    with pytest.raises(RegionError, match="select the edited region"):
        require_mask(b"\x00\x00", "Edit")
    with pytest.raises(RegionError, match="smaller than the layer"):
        require_mask(b"\xff\xff", "Edit")


def test_crop_mask_fills_outside_with_zero() -> None:
    mask = bytes(range(1, 7))  # 3x2 at (1, 1)
    assert crop_mask(mask, Rect(1, 1, 3, 2), Rect(0, 0, 3, 3)) == bytes([0, 0, 0, 0, 1, 2, 0, 4, 5])


def test_scaled_placement_centres_then_shifts_onto_the_canvas() -> None:
    assert scaled_placement(Rect(20, 16, 16, 12), 32, 24, CANVAS) == Rect(12, 10, 32, 24)
    assert scaled_placement(Rect(0, 0, 16, 12), 32, 24, CANVAS) == Rect(0, 0, 32, 24)
    assert scaled_placement(Rect(56, 40, 8, 8), 16, 16, CANVAS) == Rect(48, 32, 16, 16)
    assert scaled_placement(Rect(0, 0, 40, 30), 80, 60, CANVAS) is None
