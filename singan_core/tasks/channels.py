"""An input image in a model's channel layout, and the input's own transparency put back on a result.

A model learns the channels of its training image: grey, grey + alpha, RGB or RGBA. An input for a task
is converted to that layout by :func:`match_channels` (grey <-> RGB, alpha added opaque or dropped). When
the model has no alpha channel, the input's alpha is not learned but still the artist's: take it with
:func:`unlearned_alpha` (or :func:`split_for_model`) before the task and put it back with
:func:`restore_alpha` after (resized to the result when the task changes the size, as super-resolution
does).
"""

from __future__ import annotations

import numpy as np

from ..imageio import as_hwc, to_uint8
from ..pyramid import resize
from ..tensors import to_array, to_tensor

GREY_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601 luma


def has_alpha(channels: int) -> bool:
    """Whether an image of ``channels`` channels carries alpha (grey + alpha, RGBA)."""
    return channels in (2, 4)


def match_channels(arr: np.ndarray, channels: int, dtype: type) -> np.ndarray:
    """Convert an HxWxC image to ``channels`` (grey <-> RGB, alpha added opaque or dropped) and ``dtype``."""
    arr = as_hwc(arr)
    if np.dtype(dtype) == np.uint8:
        arr = to_uint8(arr)
    elif arr.dtype == np.uint8:
        arr = arr.astype(np.uint16) * 257
    top = np.iinfo(arr.dtype).max
    c = arr.shape[2]
    colour, alpha = (arr[:, :, : c - 1], arr[:, :, c - 1 :]) if has_alpha(c) else (arr, None)
    want_colour = 1 if channels <= 2 else 3
    if colour.shape[2] != want_colour:
        if want_colour == 3:
            colour = np.repeat(colour, 3, axis=2)
        else:
            grey = colour.astype(np.float32) @ GREY_WEIGHTS
            colour = np.rint(grey)[:, :, None].astype(arr.dtype)
    if has_alpha(channels):
        alpha = alpha if alpha is not None else np.full(colour.shape[:2] + (1,), top, arr.dtype)
        return np.ascontiguousarray(np.concatenate([colour, alpha], axis=2))
    return np.ascontiguousarray(colour)


def unlearned_alpha(arr: np.ndarray, channels: int) -> np.ndarray | None:
    """The input's HxWx1 alpha when a model of ``channels`` channels has none to take it, else None."""
    arr = as_hwc(arr)
    if has_alpha(arr.shape[2]) and not has_alpha(channels):
        return np.ascontiguousarray(arr[:, :, -1:])
    return None


def split_for_model(arr: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(``arr`` in the channel layout of a model of ``channels`` channels at its own bit depth, the alpha
    that model does not learn or None): what a task gets, and what :func:`restore_alpha` puts back."""
    arr = as_hwc(arr)
    return match_channels(arr, channels, arr.dtype), unlearned_alpha(arr, channels)


def restore_alpha(result: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """``result`` (HxWxC) with ``alpha`` appended as its last channel, in the result's bit depth; an
    alpha of another size is resized to the result's (the core's bicubic resize). No alpha: unchanged."""
    if alpha is None:
        return result
    alpha = as_hwc(alpha)
    if alpha.shape[:2] != result.shape[:2]:
        alpha = to_array(resize(to_tensor(alpha), result.shape[:2]), alpha.dtype)
    if alpha.dtype != result.dtype:
        alpha = match_channels(alpha, 1, result.dtype)
    return np.concatenate([result, alpha], axis=2)
