"""Selection geometry and result placement (host_plugin.gimp.regions / placement); no GIMP needed."""

from __future__ import annotations

import pytest

from host_plugin.client import RawImage
from host_plugin.gimp import placement
from host_plugin.gimp.regions import Rect, RegionError, mask_coverage, require_mask, work_area


def test_rect_geometry() -> None:
    a = Rect(10, 20, 30, 40)
    assert (a.right, a.bottom) == (40, 60)
    assert Rect.from_corners(10, 20, 40, 60) == a
    assert a.intersect(Rect(30, 50, 100, 100)) == Rect(30, 50, 10, 10)
    assert a.intersect(Rect(40, 20, 5, 5)) is None  # touching edges do not overlap
    assert Rect(15, 25, 5, 5).local_to(a) == Rect(5, 5, 5, 5)
    assert a.scaled(2) == Rect(20, 40, 60, 80)
    with pytest.raises(RegionError):
        Rect(0, 0, 0, 5)


def test_work_area_is_the_layer_without_selection() -> None:
    layer = Rect(5, 3, 32, 24)
    assert work_area(layer, None) == layer


def test_work_area_clips_the_selection_to_the_layer() -> None:
    assert work_area(Rect(5, 3, 32, 24), Rect(0, 0, 10, 10)) == Rect(5, 3, 5, 7)


def test_selection_outside_the_layer_is_an_error() -> None:
    with pytest.raises(RegionError, match="does not overlap"):
        work_area(Rect(0, 0, 10, 10), Rect(50, 50, 5, 5))


def test_masks() -> None:
    assert mask_coverage(b"\x00\xff\x80\x10") == 0.5
    assert require_mask(b"\x00\xff", "Harmonize") == b"\x00\xff"
    with pytest.raises(RegionError, match="select the pasted object"):
        require_mask(None, "Harmonize")
    with pytest.raises(RegionError, match="select the edited region"):
        require_mask(b"\x00\x00", "Edit")
    with pytest.raises(RegionError, match="smaller than the layer"):
        require_mask(b"\xff\xff", "Edit")


def test_sample_layers_sit_at_the_work_area() -> None:
    images = [RawImage(4, 2, 3, bytes(24)), RawImage(4, 2, 3, bytes(24))]
    places = placement.sample_layers(images, 7, Rect(5, 3, 2, 2))
    assert [(p.x, p.y) for p in places] == [(5, 3), (5, 3)]
    assert places[0].name == "SinGAN sample 1 (seed 7, 4x2)" and places[1].name.startswith("SinGAN sample 2")


def test_in_place_and_frames() -> None:
    result = RawImage(2, 2, 3, bytes(12))
    assert placement.in_place("edited", result, Rect(1, 1, 2, 2)) == placement.Placement(
        "SinGAN edited", 1, 1
    )
    assert "2x2" in placement.in_place("edited", result, Rect(1, 1, 3, 3)).name
    assert placement.super_resolved_size(Rect(0, 0, 3, 5), 4) == (12, 20)
    assert placement.frame_layers(2, 80) == ["Frame 1 (80ms) (replace)", "Frame 2 (80ms) (replace)"]
