"""MATLAB ``imresize`` semantics in numpy: bicubic (a = -0.5), antialiased when shrinking.

NIQE's reference values were produced by MATLAB, whose resize differs from PIL's and torch's:
the kernel is widened by ``1/scale`` when shrinking (antialiasing), out-of-range taps mirror the
image symmetrically (edge sample repeated), and the output length is ``ceil(length * scale)``.
Only what NIQE needs is implemented: float input, one scale factor for both axes.
"""

from __future__ import annotations

import math

import numpy as np


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    near = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))
    return near + far


def _contributions(in_len: int, out_len: int, scale: float, antialias: bool) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``[out_len, taps]`` and 0-based source indices ``[out_len, taps]`` for one axis."""
    kernel_width = 4.0
    shrink_aa = antialias and scale < 1
    if shrink_aa:
        kernel_width /= scale
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)  # output pixel centre in input coordinates (1-based)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]  # 1-based
    distance = u[:, None] - indices
    weights = scale * _cubic(distance * scale) if shrink_aa else _cubic(distance)
    weights = weights / weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    idx = mirror[np.mod(indices.astype(np.int64) - 1, 2 * in_len)]
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], idx[:, keep]


def _resize_axis(arr: np.ndarray, axis: int, out_len: int, scale: float, antialias: bool) -> np.ndarray:
    weights, idx = _contributions(arr.shape[axis], out_len, scale, antialias)
    moved = np.moveaxis(arr, axis, 0)  # [L, ...]
    gathered = moved[idx]  # [out_len, taps, ...]
    w = weights.reshape(weights.shape + (1,) * (moved.ndim - 1))
    return np.moveaxis((gathered * w).sum(axis=1), 0, axis)


def imresize(img: np.ndarray, scale: float, *, antialias: bool = True) -> np.ndarray:
    """Resize a float HxW or HxWxC array by ``scale`` like MATLAB's ``imresize(img, scale)``.

    Returns float64 of shape ``(ceil(H*scale), ceil(W*scale)[, C])``; no rounding or clipping
    (MATLAB does none for double input). Rows are resized first, as MATLAB does for equal scales.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out = np.asarray(img, dtype=np.float64)
    for axis in (0, 1):
        out_len = int(math.ceil(out.shape[axis] * scale))
        out = _resize_axis(out, axis, out_len, scale, antialias)
    return out
