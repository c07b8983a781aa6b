"""The level schedule: GPNN's coarse-to-fine pyramid up to a working size, then x2 steps to full size."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ImageError
from .config import InstantConfig


@dataclass(frozen=True)
class Level:
    scale: float  # of the full-resolution source
    src_hw: tuple[int, int]
    out_hw: tuple[int, int]
    detail: bool  # above the working size: refine the upsampled field instead of searching globally


def _sized(hw: tuple[int, int], s: float, k: int) -> tuple[int, int]:
    return (max(k, round(hw[0] * s)), max(k, round(hw[1] * s)))


def plan_levels(
    src_hw: tuple[int, int],
    out_hw: tuple[int, int],
    cfg: InstantConfig,
    extra_hw: tuple[int, int] | None = None,
) -> list[Level]:
    """Levels coarsest first; the last one is at full resolution (``src_hw`` and ``out_hw`` exactly).

    ``extra_hw``: another image (a fill's canvas) whose size also bounds the working size.
    """
    k = cfg.patch_size
    if min(src_hw) < k or min(out_hw) < k:
        raise ImageError(
            f"images must be at least {k}x{k} px (source {src_hw[1]}x{src_hw[0]}, output {out_hw[1]}x{out_hw[0]})"
        )
    longest = max(*src_hw, *out_hw, *(extra_hw or (0, 0)))
    s0 = min(1.0, cfg.coarsest / min(src_hw))
    s_work = max(min(1.0, cfg.working_size / longest), s0)
    n1 = math.ceil(math.log(s_work / s0) / math.log(1 / cfg.scale_factor) - 1e-9) if s_work > s0 else 0
    scales = [s0 * (s_work / s0) ** (i / n1) for i in range(n1)] + [s_work]
    n2 = math.ceil(math.log2(1 / s_work) - 1e-9) if s_work < 1 else 0
    scales += [s_work * (1 / s_work) ** (i / n2) for i in range(1, n2 + 1)]
    levels = [
        Level(s, _sized(src_hw, s, k), _sized(out_hw, s, k), detail=i > n1) for i, s in enumerate(scales)
    ]
    last = levels[-1]
    levels[-1] = Level(last.scale, tuple(src_hw), tuple(out_hw), last.detail)
    return levels
