"""The native-resolution harmonize checked the same way in Krita and GIMP: the result layer is cropped
(smaller than the canvas, transparent outside the dilated selection), the artist's layer is untouched, and
inside the selection the result is as sharp as the input there (mean |Laplacian| ratio >= 0.8)."""

from __future__ import annotations

import os
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


def block_contrast(rgba: np.ndarray, block: int = 16) -> float:
    """The spread of the image's ``block`` x ``block`` mean colours (std per channel, averaged): its
    large-scale colour structure, what a grey mush with copied grain lacks."""
    h, w = (rgba.shape[0] // block) * block, (rgba.shape[1] // block) * block
    rgb = rgba[:h, :w, :3].astype(np.float64).reshape(h // block, block, w // block, block, 3)
    return float(rgb.mean(axis=(1, 3)).std(axis=(0, 1)).mean())


def check_native_variations(
    region: tuple[int, int, int, int], before: np.ndarray, after: np.ndarray, variations: list[np.ndarray]
) -> list[float]:
    """Generate variations at document size (issue 13), the same checks in Krita and GIMP: ``before`` and
    ``after`` are the source layer over the canvas (HxWx4), ``variations`` each variation layer's pixels
    over the trained ``region`` (x, y, w, h). The source is untouched; each variation is opaque over the
    region, a new image (not the source, not the other variation), as sharp as the source there (mean
    |Laplacian| ratio >= SHARPNESS_GOAL) and keeps at least half its large-scale colour structure
    (:func:`block_contrast`: a model trained too briefly gave grey mush with sharp grain, 0.15 of the
    source's). Returns the sharpness ratios."""
    assert max(before.shape[:2]) >= 1600 and after.shape == before.shape
    assert np.array_equal(before, after), "the artist's layer changed"
    x, y, w, h = region
    source = before[y : y + h, x : x + w]
    everywhere = np.ones((h, w), bool)
    ratios, greys = [], []
    for image in variations:
        assert image.shape == source.shape, (image.shape, source.shape)
        assert (image[:, :, 3] == 255).all(), "a variation is not opaque over the trained region"
        grey = image[:, :, :3].astype(np.float64).mean(axis=2)
        change = np.abs(grey - source[:, :, :3].astype(np.float64).mean(axis=2)).mean()
        assert change > 4.0, f"a variation is (nearly) the source: mean |difference| {change:.2f} grey levels"
        greys.append(grey)
        contrast = block_contrast(image) / block_contrast(source)
        assert contrast >= 0.5, (
            f"a variation lost the source's colour structure: block contrast {contrast:.2f}"
        )
        ratios.append(mean_abs_laplacian(image, everywhere) / mean_abs_laplacian(source, everywhere))
    for i, a in enumerate(greys):
        for b in greys[i + 1 :]:
            assert np.abs(a - b).mean() > 4.0, "two variations are (nearly) the same image"
    assert min(ratios) >= SHARPNESS_GOAL, f"sharpness ratios {ratios} < {SHARPNESS_GOAL}"
    return ratios


def save_strip(
    name: str, region: tuple[int, int, int, int], source: np.ndarray, variations: list[np.ndarray]
) -> None:
    """With ``SINGAN_SHOTS`` set (a folder), a PNG to look at: the source over ``region`` (from the canvas,
    RGBA) and each variation (RGBA), side by side at 100%; nothing otherwise."""
    folder = os.environ.get("SINGAN_SHOTS")
    if not folder:
        return
    from PIL import Image

    x, y, w, h = region
    strip = np.concatenate([source[y : y + h, x : x + w, :3], *(v[:, :, :3] for v in variations)], axis=1)
    Path(folder).mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(strip)).save(Path(folder) / name)
