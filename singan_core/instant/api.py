"""Instant applications on image arrays: variations, fill, edit and extend canvas (no training, no IO).

Arrays in and out are ``uint8``/``uint16`` HxWxC as everywhere; masks are HxW (white = the region to
synthesise). Pixels outside a mask are copied from the input bit for bit.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ImageError
from ..imageio import as_hwc, prepare_training_image
from ..tasks.masks import binary_mask
from ..tensors import to_array, to_tensor
from .config import InstantConfig, ProgressFn, StopFn
from .engine import Engine, Field, Problem, cpu_threads
from .levels import Level, _sized, plan_levels
from .patches import patch_footprint, smooth_fill

DEFAULT = InstantConfig()


def _unit(arr: np.ndarray, device: torch.device | str) -> torch.Tensor:
    """HxWxC array -> [C, H, W] float in [0, 1]."""
    return (to_tensor(arr, device)[0] + 1.0) * 0.5


def _to_array(t: torch.Tensor, dtype: np.dtype) -> np.ndarray:
    return to_array((t * 2.0 - 1.0)[None], dtype)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def _pyramid(img: torch.Tensor, shapes: list[tuple[int, int]]) -> list[torch.Tensor]:
    from ..pyramid import resize

    return [resize(img[None], s)[0].clamp(0, 1) for s in shapes]


def _hole_pyramid(hole: torch.Tensor, shapes: list[tuple[int, int]]) -> list[torch.Tensor]:
    """A pixel is a hole at a level if any full-resolution hole pixel falls into it."""
    m = hole.float()[None, None]
    out = []
    for s in shapes:
        out.append(hole if tuple(s) == tuple(hole.shape) else F.interpolate(m, size=s, mode="area")[0, 0] > 0)
    return out


def _threaded(fn):
    """Run all of ``fn`` (pyramids and conversions too, not only the engine's loop) on ``config.threads``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        with cpu_threads(kw.get("config", DEFAULT), kw.get("device", "cpu")):
            return fn(*args, **kw)

    return wrapper


def _engine(cfg, seed, progress, should_stop) -> tuple[Engine, torch.Generator]:
    gen = _generator(seed)
    return Engine(cfg, gen, progress, should_stop), gen


def variation(image: np.ndarray, size: tuple[int, int] | None = None, **options: Any) -> np.ndarray:
    """A random variation of ``image`` at ``size`` = (H, W) (default: the image's own size); ``options``
    as for :func:`variation_with_field` (seed, config, device, progress, should_stop)."""
    return variation_with_field(image, size, **options)[0]


@_threaded
def variation_with_field(
    image: np.ndarray,
    size: tuple[int, int] | None = None,
    *,
    seed: int = 0,
    config: InstantConfig = DEFAULT,
    device: torch.device | str = "cpu",
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> tuple[np.ndarray, Field]:
    """:func:`variation` plus the final nearest-neighbour field (which source patch each output patch copies)."""
    arr = prepare_training_image(image)
    src_hw = arr.shape[:2]
    out_hw = tuple(int(v) for v in (size or src_hw))
    if min(out_hw) < 1:
        raise ImageError(f"output size must be positive, got {out_hw[1]}x{out_hw[0]}")
    levels = plan_levels(src_hw, out_hw, config)
    x = _unit(arr, device)
    sources = _pyramid(x, [lv.src_hw for lv in levels])
    engine, gen = _engine(config, seed, progress, should_stop)
    from ..pyramid import resize

    init = resize(sources[0][None], levels[0].out_hw)[0]
    noise = torch.randn(init.shape, generator=gen).to(init.device)
    init = init + config.noise_sigma * noise
    problem = Problem(levels, sources, [None] * len(levels), init)
    y, field = engine.run(problem)
    return _to_array(y, arr.dtype), field


def _fill_problem(
    canvas: torch.Tensor,
    hole: torch.Tensor,
    source: torch.Tensor | None,
    init: torch.Tensor | None,
    start_fraction: float,
    cfg: InstantConfig,
    gen: torch.Generator,
) -> Problem:
    """Fill/edit/extend: synthesise ``hole`` [H, W] of ``canvas`` [C, H, W] from ``source`` (or from the
    canvas outside the hole); the first level starts from ``init`` (or a smooth fill plus noise)."""
    hw = tuple(canvas.shape[-2:])
    src_full = source if source is not None else canvas
    src_hw = tuple(src_full.shape[-2:])
    levels = [
        Level(
            lv.scale,
            _sized(src_hw, lv.scale, cfg.patch_size) if source is not None else lv.src_hw,
            lv.out_hw,
            lv.detail,
        )
        for lv in plan_levels(hw, hw, cfg)
    ]
    levels[-1] = Level(levels[-1].scale, src_hw, hw, levels[-1].detail)
    fixed = _pyramid(canvas, [lv.out_hw for lv in levels])
    holes = _hole_pyramid(hole, [lv.out_hw for lv in levels])
    if source is not None:
        sources = _pyramid(source, [lv.src_hw for lv in levels])
        key_ok: list[torch.Tensor | None] = [None] * len(levels)
    else:
        sources = fixed
        key_ok = [~patch_footprint(h, cfg.patch_size) & _context(h, cfg) for h in holes]
        if not bool(key_ok[-1].any()):
            raise ImageError(
                f"the mask leaves no {cfg.patch_size}x{cfg.patch_size} patch of the image to copy from; "
                "use a smaller mask or give a --source image"
            )
    start = min(int(round(start_fraction * (len(levels) - 1))), len(levels) - 1)
    # start no coarser than where the hole leaves patches to copy (a large hole in a small image)
    start = max([start] + [i + 1 for i, ok in enumerate(key_ok) if ok is not None and not bool(ok.any())])
    if init is None:
        y0 = smooth_fill(fixed[start], ~holes[start])
        noise = torch.randn(y0.shape, generator=gen).to(y0.device)
        y0 = torch.where(holes[start][None], (y0 + 0.1 * cfg.noise_sigma * noise).clamp(0, 1), y0)
    else:
        y0 = _pyramid(init, [levels[start].out_hw])[0]
    # a second source keeps its own colours; from the image itself the border's colour is carried in
    return Problem(
        levels, sources, key_ok, y0, start, fixed, holes, seam_blend=source is None or init is not None
    )


def _coherent(cfg: InstantConfig) -> InstantConfig:
    """Fill, edit and extend use ``fill_alpha`` (default: plain nearest neighbours): with few queries (the
    hole) against many keys, GPNN's usage normalisation favours keys far from every query, i.e. content
    unrelated to the hole (grass in a bush, mountains in a forest: seen in bench/instant.py)."""
    return replace(cfg, alpha=cfg.fill_alpha)


def _context(hole: torch.Tensor, cfg: InstantConfig) -> torch.Tensor:
    """Patch positions [gh, gw] near the hole: its bounding box grown by ``fill_context`` times its size
    on every side (the whole image when ``fill_context`` is 0). Filling from the surroundings keeps
    the content plausible; far parts of a photo are often another scene (sky, grass, mountains)."""
    gh, gw = hole.shape[0] - cfg.patch_size + 1, hole.shape[1] - cfg.patch_size + 1
    ok = torch.zeros(gh, gw, dtype=torch.bool, device=hole.device)
    if cfg.fill_context <= 0:
        return ok | True
    rows = torch.nonzero(hole.any(1)).flatten()
    cols = torch.nonzero(hole.any(0)).flatten()
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    grow = int(round(cfg.fill_context * max(r1 - r0, c1 - c0)))
    ok[
        max(r0 - grow, 0) : max(r1 + grow - cfg.patch_size + 1, 1),
        max(c0 - grow, 0) : max(c1 + grow - cfg.patch_size + 1, 1),
    ] = True
    return ok


def _hole(mask: np.ndarray, hw: tuple[int, int], device) -> torch.Tensor:
    m = np.asarray(mask)
    if m.shape[:2] != tuple(hw):
        raise ImageError(f"the mask is {m.shape[1]}x{m.shape[0]} but the image is {hw[1]}x{hw[0]}")
    return binary_mask(m, tuple(hw))[0, 0].bool().to(device)


def _composite(original: np.ndarray, generated: np.ndarray, hole: torch.Tensor) -> np.ndarray:
    h = hole.cpu().numpy()[:, :, None]
    return np.where(h, generated, original)


@_threaded
def fill(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    source: np.ndarray | None = None,
    seed: int = 0,
    config: InstantConfig = DEFAULT,
    device: torch.device | str = "cpu",
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """Fill the white part of ``mask`` from the rest of ``image`` (or from ``source``); the rest is kept."""
    img = as_hwc(image)
    hole = _hole(mask, img.shape[:2], device)
    src = None
    if source is not None:
        s = as_hwc(source)
        if s.shape[2] != img.shape[2]:
            raise ImageError(f"the source has {s.shape[2]} channels but the image has {img.shape[2]}")
        if min(s.shape[:2]) < config.patch_size:
            k = config.patch_size
            raise ImageError(f"the source must be at least {k}x{k} px, got {s.shape[1]}x{s.shape[0]}")
        src = _unit(s.astype(img.dtype) if s.dtype == img.dtype else _match_depth(s, img.dtype), device)
    engine, gen = _engine(_coherent(config), seed, progress, should_stop)
    problem = _fill_problem(_unit(img, device), hole, src, None, 0.0, config, gen)
    y, _ = engine.run(problem)
    return _composite(img, _to_array(y, img.dtype), hole)


def _match_depth(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if np.dtype(dtype) == np.uint16:
        return arr.astype(np.uint16) * 257
    return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


@_threaded
def edit(
    original: np.ndarray,
    edited: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    start_fraction: float = 0.4,
    seed: int = 0,
    config: InstantConfig = DEFAULT,
    device: torch.device | str = "cpu",
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """Make a rough rearrangement (``edited``, e.g. copy-pasted pieces of ``original``) coherent.

    The edit is injected at a level ``start_fraction`` of the way from coarsest (0) to finest (1) and
    re-synthesised from ``original``'s patches; with a ``mask`` only its white part changes.
    """
    src, ed = as_hwc(original), as_hwc(edited)
    if ed.shape[2] != src.shape[2]:
        raise ImageError(f"the edited image has {ed.shape[2]} channels but the original has {src.shape[2]}")
    hw = ed.shape[:2]
    hole = _hole(mask, hw, device) if mask is not None else torch.ones(hw, dtype=torch.bool, device=device)
    engine, gen = _engine(_coherent(config), seed, progress, should_stop)
    x = _unit(ed, device)
    problem = _fill_problem(x, hole, _unit(src, device), x, start_fraction, config, gen)
    y, _ = engine.run(problem)
    return _composite(ed, _to_array(y, ed.dtype), hole)


def extend(
    image: np.ndarray,
    left: int = 0,
    top: int = 0,
    right: int = 0,
    bottom: int = 0,
    *,
    seed: int = 0,
    config: InstantConfig = DEFAULT,
    device: torch.device | str = "cpu",
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """Extend the canvas by the given borders (px) and outpaint them from the image; the image is kept."""
    img = as_hwc(image)
    pads = (left, top, right, bottom)
    if min(pads) < 0 or max(pads) == 0:
        raise ImageError("extend: borders must be >= 0 px and at least one of them > 0")
    h, w, c = img.shape
    canvas = np.zeros((h + top + bottom, w + left + right, c), img.dtype)
    canvas[top : top + h, left : left + w] = img
    mask = np.full(canvas.shape[:2], 255, np.uint8)
    mask[top : top + h, left : left + w] = 0
    return fill(
        canvas, mask, seed=seed, config=config, device=device, progress=progress, should_stop=should_stop
    )
