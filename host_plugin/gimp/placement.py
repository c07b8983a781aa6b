"""Where results go: names, offsets and sizes of the new layers and images."""

from __future__ import annotations

from dataclasses import dataclass

from host_plugin.client import RawImage

from .regions import Rect


@dataclass(frozen=True)
class Placement:
    """A result layer: its name and its top-left in image coordinates."""

    name: str
    x: int
    y: int


def sample_layers(images: list[RawImage], seed: int, area: Rect) -> list[Placement]:
    """Random samples: one layer each, named with the seed that reproduces it, at the work area's corner."""
    return [
        Placement(f"SinGAN sample {i + 1} (seed {seed}, {img.width}x{img.height})", area.x, area.y)
        for i, img in enumerate(images)
    ]


def in_place(task: str, result: RawImage, area: Rect) -> Placement:
    """Harmonize/edit/paint results cover the area they came from (their size must match it)."""
    if (result.width, result.height) != (area.width, area.height):
        return Placement(f"SinGAN {task} ({result.width}x{result.height})", area.x, area.y)
    return Placement(f"SinGAN {task}", area.x, area.y)


def super_resolved_size(area: Rect, factor: int) -> tuple[int, int]:
    return area.width * factor, area.height * factor


def frame_layers(count: int, frame_ms: int) -> list[str]:
    """Layer names GIMP's GIF export reads as frame timing: ``Frame 3 (100ms) (replace)``."""
    return [f"Frame {i + 1} ({frame_ms}ms) (replace)" for i in range(count)]
