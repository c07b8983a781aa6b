"""The native-resolution harmonize checked the same way in Krita and GIMP: the result layer is cropped
(smaller than the canvas, transparent outside the dilated selection), the artist's layer is untouched, and
inside the selection the result is as sharp as the input there (mean |Laplacian| ratio >= 0.8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SHARPNESS_GOAL = 0.8


def read_rgba(path: str | Path, width: int, height: int) -> np.ndarray:
    """Four 8-bit channels per pixel (RGBA or BGRA: grey and alpha do not care)."""
    return np.frombuffer(Path(path).read_bytes(), np.uint8).reshape(height, width, 4)


def mean_abs_laplacian(rgb: np.ndarray, inside: np.ndarray) -> float:
    g = rgb[:, :, :3].astype(np.float64).mean(axis=2)
    lap = np.abs(4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:])
    return float(lap[inside[1:-1, 1:-1]].mean())


def on_canvas(layer: np.ndarray, x: int, y: int, width: int, height: int) -> np.ndarray:
    """A layer's own pixels (hxwx4 at x, y) on a transparent canvas of width x height."""
    canvas = np.zeros((height, width, 4), np.uint8)
    h, w = layer.shape[:2]
    canvas[y : y + h, x : x + w] = layer
    return canvas


def check_native_harmonize(value: dict, before: np.ndarray, after: np.ndarray, result: np.ndarray) -> float:
    """Asserts the guarantees on the source layer before/after and the result layer (all HxWx4 over the
    canvas); returns the sharpness ratio."""
    h, w = before.shape[:2]
    assert max(w, h) >= 1600 and after.shape == result.shape == before.shape
    assert np.array_equal(before, after), "the artist's layer changed"
    x, y, sw, sh = value["selection"]
    opaque = result[:, :, 3] > 0
    rows, cols = np.flatnonzero(opaque.any(axis=1)), np.flatnonzero(opaque.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    # cropped: the changed region only, around the selection (dilated), far smaller than the canvas
    assert (right - left) * (bottom - top) < w * h / 8, (left, top, right, bottom)
    assert left <= x and top <= y and right >= x + sw and bottom >= y + sh
    assert left >= x - sw and top >= y - sh and right <= x + 2 * sw and bottom <= y + 2 * sh
    rect = value["rect"]
    assert rect["width"] < w and rect["height"] < h, rect  # placed as a cropped layer
    selected = np.zeros((h, w), bool)
    selected[y : y + sh, x : x + sw] = True
    assert opaque[selected].all(), "the result is not opaque over the whole selection"
    ratio = mean_abs_laplacian(result, selected) / mean_abs_laplacian(before, selected)
    assert ratio >= SHARPNESS_GOAL, f"sharpness ratio {ratio:.3f} < {SHARPNESS_GOAL}"
    return ratio
