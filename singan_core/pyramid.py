"""Scale schedule and antialiased resizing (in torch: no uint8 round trips between scales).

The schedule follows the reference implementation (``adjust_scales2image``): the number of scales and
the real per-scale factor are recomputed from the image, e.g. 250x188 -> 10 scales at (25/188)^(1/9).
Scale index 0 is the coarsest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config import PyramidConfig
from .errors import ImageError

_EPS = 1e-6


def _ceil(x: float) -> int:
    return int(math.ceil(x - _EPS))


@dataclass(frozen=True)
class PyramidPlan:
    shapes: tuple[tuple[int, int], ...]  # (H, W) per scale, coarsest first
    scale_factor: float  # the real per-scale factor

    @property
    def num_scales(self) -> int:
        return len(self.shapes)

    @property
    def finest(self) -> tuple[int, int]:
        return self.shapes[-1]


def plan_pyramid(height: int, width: int, cfg: PyramidConfig) -> PyramidPlan:
    """Per-scale shapes for an image of ``height`` x ``width`` (raises ImageError if too small)."""
    short, long = min(height, width), max(height, width)
    if short < cfg.min_size:
        raise ImageError(
            f"image is {width}x{height}: its shorter side must be at least {cfg.min_size} px "
            f"(the coarsest scale); use a larger image or a smaller --min-size"
        )
    sf = cfg.scale_factor
    num = _ceil(math.log(cfg.min_size / short) / math.log(sf)) + 1
    to_stop = _ceil(math.log(min(cfg.max_size, long) / long) / math.log(sf))
    stop = max(num - to_stop, 0)
    scale1 = min(cfg.max_size / long, 1.0)
    finest = (max(_ceil(height * scale1), 1), max(_ceil(width * scale1), 1))
    if stop == 0:
        return PyramidPlan(shapes=(finest,), scale_factor=1.0)
    factor = (cfg.min_size / min(finest)) ** (1.0 / stop)
    shapes = tuple(
        (_ceil(finest[0] * factor ** (stop - i)), _ceil(finest[1] * factor ** (stop - i)))
        for i in range(stop + 1)
    )
    return PyramidPlan(shapes=shapes, scale_factor=factor)


def resize(x: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Antialiased bicubic resize of ``[N, C, H, W]`` to ``shape`` = (H', W')."""
    if tuple(x.shape[-2:]) == tuple(shape):
        return x
    down = shape[0] < x.shape[-2] or shape[1] < x.shape[-1]
    return F.interpolate(x, size=tuple(shape), mode="bicubic", align_corners=False, antialias=down)


def build_pyramid(image: torch.Tensor, plan: PyramidPlan) -> list[torch.Tensor]:
    """The training image at every scale, coarsest first. ``image``: [1, C, H, W] in [-1, 1]."""
    finest = resize(image, plan.finest).clamp(-1, 1)
    return [resize(finest, s).clamp(-1, 1) for s in plan.shapes[:-1]] + [finest]


def scaled_shapes(
    shapes: tuple[tuple[int, int], ...], scale_v: float, scale_h: float, size: tuple[int, int] | None = None
) -> list[tuple[int, int]]:
    """Shapes of every noise map for retargeted output (vertical/horizontal factors or an exact size)."""
    fh, fw = shapes[-1]
    if size is not None:
        scale_v, scale_h = size[0] / fh, size[1] / fw
    out = [(max(round(h * scale_v), 1), max(round(w * scale_h), 1)) for h, w in shapes]
    if size is not None:
        out[-1] = (int(size[0]), int(size[1]))
    return out
