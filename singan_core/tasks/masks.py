"""Blend masks for harmonization and editing: threshold, disk dilation, Gaussian blur, normalisation.

As in the reference code: the binary mask is dilated with a disk (radius 7 for harmonization, 20 for
editing), blurred with a Gaussian (sigma 5, truncated at 4 sigma like ``skimage.filters.gaussian``, edge
pixels replicated) and min-max normalised to [0, 1]. The blend weight is therefore exactly zero at a
chessboard distance of more than ``radius + int(4 * sigma + 0.5)`` px from the mask (the separable
kernel's support is a square; see :func:`support_radius`): pixels there are copied unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ImageError
from .stop import StopFn, check_stop

HARMONIZE_DILATION = 7
EDIT_DILATION = 20
BLUR_SIGMA = 5.0
TRUNCATE = 4.0


def binary_mask(mask: np.ndarray, shape: tuple[int, int]) -> torch.Tensor:
    """HxW (or HxWxC) ``uint8``/``uint16`` mask -> ``[1, 1, H', W']`` float {0, 1} at ``shape`` (nearest).

    A pixel is selected when it is at least half of full scale (so JPEG noise near black is ignored).
    """
    m = np.asarray(mask)
    if m.ndim == 3:
        m = m.max(axis=2)
    if m.ndim != 2 or m.size == 0:
        raise ImageError(f"a mask must be an HxW image, got shape {np.asarray(mask).shape}")
    top = 65535 if m.dtype == np.uint16 else 255
    t = torch.from_numpy((m.astype(np.float32) >= top / 2).astype(np.float32))[None, None]
    if tuple(t.shape[-2:]) != tuple(shape):
        t = F.interpolate(t, size=tuple(shape), mode="nearest")
    if not bool(t.any()):
        raise ImageError("the mask is empty: paint the region to change in white on black")
    return t


def disk(radius: int) -> torch.Tensor:
    """A ``[2r+1, 2r+1]`` disk structuring element like ``skimage.morphology.disk``."""
    r = torch.arange(-radius, radius + 1, dtype=torch.float32)
    return ((r[:, None] ** 2 + r[None, :] ** 2) <= radius**2).float()


def dilate(m: torch.Tensor, radius: int) -> torch.Tensor:
    """Binary dilation of ``[1, 1, H, W]`` {0, 1} by a disk of ``radius`` px."""
    if radius <= 0:
        return m
    k = disk(radius)[None, None]
    return (F.conv2d(F.pad(m, [radius] * 4), k) > 0.5).float()


def gaussian_blur(
    m: torch.Tensor, sigma: float, truncate: float = TRUNCATE, should_stop: StopFn | None = None
) -> torch.Tensor:
    """Separable Gaussian blur of ``[1, 1, H, W]`` with replicated edges, kernel radius
    ``int(truncate * sigma + 0.5)`` (scipy's rule), weights summing to one. ``should_stop`` is checked
    between the two passes (each is seconds on a document-sized mask)."""
    if sigma <= 0:
        return m
    r = int(truncate * sigma + 0.5)
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    g = torch.exp(-0.5 * (x / sigma) ** 2)
    g = g / g.sum()
    out = F.conv2d(F.pad(m, [r, r, 0, 0], mode="replicate"), g.view(1, 1, 1, -1))
    check_stop(should_stop, "blending")
    return F.conv2d(F.pad(out, [0, 0, r, r], mode="replicate"), g.view(1, 1, -1, 1))


def support_radius(radius: int, sigma: float, truncate: float = TRUNCATE) -> int:
    """How far (px, chessboard distance) from the mask the blend weight can be non-zero."""
    return max(radius, 0) + (int(truncate * sigma + 0.5) if sigma > 0 else 0)


def soft_mask(
    mask: np.ndarray, shape: tuple[int, int], radius: int, sigma: float = BLUR_SIGMA
) -> torch.Tensor:
    """The blend weight at ``shape``: ``[1, 1, H, W]`` in [0, 1], exactly 0 beyond :func:`support_radius`."""
    if radius < 0 or sigma < 0 or not math.isfinite(sigma):
        raise ImageError("mask dilation radius and blur sigma must be >= 0")
    m = gaussian_blur(dilate(binary_mask(mask, shape), radius), sigma)
    lo, hi = float(m.min()), float(m.max())
    if hi - lo < 1e-12:  # the mask covers everything
        return torch.ones_like(m)
    m = ((m - lo) / (hi - lo)).clamp(0, 1)
    # the blur's float arithmetic leaves ~1e-9 where it should be 0: snap it so the outside stays exact
    return torch.where(m < 1e-6, torch.zeros_like(m), m)


def resize_weight(m: torch.Tensor, shape: tuple[int, int]) -> np.ndarray:
    """A ``[1, 1, H, W]`` weight resized (bilinear, zeros stay zeros) to an HxWx1 float32 array."""
    if tuple(m.shape[-2:]) != tuple(shape):
        m = F.interpolate(m, size=tuple(shape), mode="bilinear", align_corners=False).clamp(0, 1)
    return m[0].permute(1, 2, 0).cpu().numpy().astype(np.float32)


def blend(original: np.ndarray, generated: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """out = (1 - w) * original + w * generated, rounded; where w == 0 the original is copied exactly.

    ``original`` and ``generated``: HxWxC of the same dtype; ``weight``: HxWx1 float in [0, 1].
    """
    o = original.astype(np.float32)
    out = np.rint((1.0 - weight) * o + weight * generated.astype(np.float32))
    out = np.where(weight > 0, out, o)
    top = 65535 if original.dtype == np.uint16 else 255
    return np.clip(out, 0, top).astype(original.dtype)
