"""Generated content at a size larger than the model: the paper's super-resolution ladder, tiled.

A result generated at the model's size (paint-to-image, a sample) is upsampled by the model's own scale
step (1 / scale_factor) and refined with noise through the finest generator, repeated until the target
size (the last step lands exactly on it); the paper's super-resolution, applied to a generated image.
``plain`` resizing (bicubic) is kept for comparison.

The finest generator is fully convolutional with a receptive field of ``2 * pad + 1`` px, so every step
runs in tiles with a ``pad`` halo and gives the same values as one pass over the whole image (the zero
padding at the image's edges included); only the noise depends on the tiling (a fixed tile size, so a
seed still gives the same result). Intermediate sizes are held as float tensors (the step below the
target has ``scale_factor**2`` of its pixels); the last step writes straight into the output array.

``detail`` copies the detail above the model's scale from a full-resolution exemplar instead
(:mod:`.detail`): the ladder runs the finest generator 7-8 times above the scale it was trained at,
and it draws its own 1-3 px strokes at every step (hatching and ripples at 100% zoom, measured in
bench/README.md). ``auto`` is ``detail`` when an exemplar with texture is given, else ``ladder``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..model import SinGANModel
from ..pyramid import resize
from ..tensors import to_array, to_tensor
from .detail import NoTexture, match_low, with_detail
from .native import check_choice, sample_window, use_native, work_tensor
from .progress import StepFn, Steps
from .sample import MAX_OUTPUT_PIXELS, generate, work_shapes
from .stop import StopFn, check_stop

Upscaler = Literal["auto", "ladder", "plain", "detail"]
UPSCALERS: tuple[str, ...] = ("auto", "ladder", "plain", "detail")
TILE = 384  # output px per tile side


def ladder_shapes(src: tuple[int, int], dst: tuple[int, int], step: float) -> list[tuple[int, int]]:
    """Sizes from ``src`` to ``dst`` growing by at most ``step`` (> 1) each time, geometrically per axis;
    the last is exactly ``dst``."""
    ratio = max(dst[0] / src[0], dst[1] / src[1])
    k = max(1, math.ceil(math.log(ratio) / math.log(step) - 1e-6)) if ratio > 1 else 1
    out = [
        tuple(max(round(s * (d / s) ** (j / k)), 1) for s, d in zip(src, dst, strict=True))
        for j in range(1, k)
    ]
    return out + [tuple(dst)]


def tile_noise(
    seeds: list[int], channels: int, size: tuple[int, int], tile: int
) -> Callable[[slice, slice], torch.Tensor]:
    """Noise of a whole ``size`` map read by windows: each ``tile`` x ``tile`` cell has its own seeded
    draw, so a window (halo included) sees the same values whichever tile asks for it."""
    cache: dict[tuple[int, int], torch.Tensor] = {}

    def cell(ty: int, tx: int) -> torch.Tensor:
        if (ty, tx) not in cache:
            if len(cache) > 16:
                cache.clear()
            h, w = min(tile, size[0] - ty * tile), min(tile, size[1] - tx * tile)
            gen = torch.Generator().manual_seed(
                int(np.random.SeedSequence([*seeds, ty, tx]).generate_state(1)[0])
            )
            cache[(ty, tx)] = torch.randn(1, channels, h, w, generator=gen)
        return cache[(ty, tx)]

    def window(rows: slice, cols: slice) -> torch.Tensor:
        bands = []
        for ty in range(rows.start // tile, (rows.stop - 1) // tile + 1):
            parts = []
            for tx in range(cols.start // tile, (cols.stop - 1) // tile + 1):
                c = cell(ty, tx)
                r0, c0 = ty * tile, tx * tile
                parts.append(
                    c[
                        :,
                        :,
                        max(rows.start - r0, 0) : rows.stop - r0,
                        max(cols.start - c0, 0) : cols.stop - c0,
                    ]
                )
            bands.append(torch.cat(parts, dim=3))
        return torch.cat(bands, dim=2)

    return window


def _meets(a: slice, b: slice) -> bool:
    return a.start < b.stop and b.start < a.stop


def _scaled_roi(
    roi: tuple[slice, slice], size: tuple[int, int], shape: tuple[int, int], margin: int
) -> tuple[slice, slice]:
    """``roi`` of an image of ``size`` in an image of ``shape``, ``margin`` px wider on each side."""
    out = []
    for sl, full, n in zip(roi, size, shape, strict=True):
        a, b = math.floor(sl.start * n / full) - margin, math.ceil(sl.stop * n / full) + margin
        out.append(slice(max(a, 0), min(b, n)))
    return out[0], out[1]


@torch.no_grad()
def refine_tiles(
    model: SinGANModel,
    scale: int,
    src: torch.Tensor,
    size: tuple[int, int],
    noise: Callable[[slice, slice], torch.Tensor],
    write: Callable[[slice, slice, torch.Tensor], None],
    tile: int = TILE,
    roi: tuple[slice, slice] | None = None,
    should_stop: StopFn | None = None,
    tiles: Steps | None = None,
) -> None:
    """One ladder step: ``G_scale(amp * z + up(src), up(src))`` at ``size``, tile by tile. ``src``
    ``[1, C, h, w]``; ``noise(rows, cols)`` gives the noise map's window; ``write(rows, cols, x)`` takes
    each finished tile ``[1, C, th, tw]`` (clamped to [-1, 1]). With ``roi`` (rows, cols), tiles that
    miss it are only upsampled (no generator). ``should_stop`` is checked before every tile; ``tiles``
    counts each finished one."""
    gen = model.generators[scale]
    pad, amp = gen.pad, model.noise_amp(scale)  # with the model's variation strength
    H, W = size
    for y in range(0, H, tile):
        for x in range(0, W, tile):
            check_stop(should_stop, "upscaling")
            rows, cols = slice(y, min(y + tile, H)), slice(x, min(x + tile, W))
            if tiles is not None and (y or x):
                tiles.step()
            if roi is not None and not (_meets(rows, roi[0]) and _meets(cols, roi[1])):
                write(rows, cols, sample_window(src, size, rows, cols).clamp(-1, 1))
                continue
            # the window with a ``pad`` halo, clipped to the image; zeros beyond it, as the generator pads
            wr = slice(max(y - pad, 0), min(rows.stop + pad, H))
            wc = slice(max(x - pad, 0), min(cols.stop + pad, W))
            prev = sample_window(src, size, wr, wc)
            z = noise(wr, wc).to(prev.device)
            if z.shape[1] != prev.shape[1]:
                z = z.expand(-1, prev.shape[1], -1, -1)
            edges = [
                pad - (x - wc.start),
                pad - (wc.stop - cols.stop),
                pad - (y - wr.start),
                pad - (wr.stop - rows.stop),
            ]
            body = gen.tail(gen.body(F.pad(amp * z + prev, edges)))  # valid convolutions eat the halo
            core = prev[:, :, y - wr.start : rows.stop - wr.start, x - wc.start : cols.stop - wc.start]
            write(rows, cols, (core + body).clamp(-1, 1))
    if tiles is not None:
        tiles.step()


@torch.no_grad()
def upscale(
    model: SinGANModel,
    image: torch.Tensor,
    size: tuple[int, int],
    *,
    seed: int = 0,
    method: str = "ladder",
    dtype: type | None = None,
    roi: tuple[slice, slice] | None = None,
    should_stop: StopFn | None = None,
    exemplar: np.ndarray | None = None,
    progress: StepFn | None = None,
) -> np.ndarray:
    """``image`` (``[1, C, h, w]`` in [-1, 1], e.g. a generated result at the model's size) at ``size``
    = (H, W) as an HxWxC array of ``dtype`` (default the model's), through the finest generator
    (``ladder``), with ``exemplar``'s detail (``detail``, see :mod:`.detail`; ``auto``: detail when
    ``exemplar`` has texture, else the ladder) or plainly resized (``plain``).
    ``roi`` (rows, cols at ``size``; ladder): refine only there (and a margin that keeps it
    exact-looking); elsewhere the result is a plain resize (for a change confined to a region of a
    large image). ``should_stop`` is checked before every tile of every step (:mod:`.stop`);
    ``progress`` gets a :class:`~.progress.StepProgress` after each tile (or search iteration)."""
    check_choice(method, UPSCALERS, "upscaler")
    H, W = size
    if H * W > MAX_OUTPUT_PIXELS and roi is None:
        raise ConfigError(f"requested output {W}x{H} is over the {MAX_OUTPUT_PIXELS / 1e6:.0f} MP limit")
    dtype = dtype or model.dtype
    if method in ("auto", "detail") and tuple(image.shape[-2:]) != tuple(size):
        if exemplar is None and method == "detail":
            raise ConfigError("the detail upscaler needs an exemplar: a full-resolution image to copy from")
        if exemplar is not None:
            try:
                return with_detail(
                    image, size, exemplar, dtype=dtype, seed=seed, progress=progress, should_stop=should_stop
                )
            except NoTexture:
                if method == "detail":
                    raise
    if method == "plain" or tuple(image.shape[-2:]) == tuple(size):
        out = np.empty((H, W, image.shape[1]), dtype)
        for y in range(0, H, TILE):
            rows = slice(y, min(y + TILE, H))
            out[rows] = to_array(sample_window(image, size, rows, slice(0, W)).clamp(-1, 1), dtype)
        return out
    scale = model.num_trained - 1
    shapes = ladder_shapes(tuple(image.shape[-2:]), size, 1.0 / model.scale_factor)
    channels = model.noise_channels(scale)
    image = image.to(model.device)
    x = image
    pad = model.generators[scale].pad

    def area(step: int) -> tuple[slice, slice] | None:  # what step ``step`` must refine for ``roi``
        margin = (pad + 3) * (len(shapes) - step) + 8
        return None if roi is None else _scaled_roi(roi, size, shapes[step], margin)

    tiles = Steps(progress, "upscaling", sum(-(-h // TILE) * -(-w // TILE) for h, w in shapes))

    for step, shape in enumerate(shapes[:-1]):
        nxt = torch.empty(1, image.shape[1], *shape, device=model.device)

        def into(rows: slice, cols: slice, t: torch.Tensor, nxt: torch.Tensor = nxt) -> None:
            nxt[:, :, rows, cols] = t

        noise = tile_noise([seed, step], channels, shape, TILE)
        refine_tiles(
            model, scale, x, shape, noise, into, roi=area(step), should_stop=should_stop, tiles=tiles
        )
        x = match_low(nxt, image)
    out = np.empty((H, W, image.shape[1]), dtype)

    def write(rows: slice, cols: slice, t: torch.Tensor) -> None:
        out[rows, cols] = to_array(t, dtype)

    noise = tile_noise([seed, len(shapes) - 1], channels, size, TILE)
    last = area(len(shapes) - 1)
    refine_tiles(model, scale, x, size, noise, write, roi=last, should_stop=should_stop, tiles=tiles)
    # the last step's drift, corrected once strip by strip (the output is never held as floats)
    err = image.cpu() - work_tensor(out, tuple(image.shape[-2:]))
    for y in range(0, H, TILE):
        rows = slice(y, min(y + TILE, H))
        out[rows] = to_array(to_tensor(out[rows]) + sample_window(err, size, rows, slice(0, W)), dtype)
    return out


def to_size(
    model: SinGANModel,
    out: torch.Tensor,
    size: tuple[int, int],
    *,
    resolution: str = "auto",
    upscaler: str = "auto",
    seed: int = 0,
    should_stop: StopFn | None = None,
    exemplar: np.ndarray | None = None,
    progress: StepFn | None = None,
) -> np.ndarray:
    """A generated ``out`` (``[1, C, h, w]`` at the work size) as an array at ``size``: resized (the
    paper's way, ``resolution="model"``) or, at ``native``/``auto`` when ``size`` is larger, through
    :func:`upscale` with ``upscaler`` (and ``exemplar``, ``progress``)."""
    check_choice(upscaler, UPSCALERS, "upscaler")
    if use_native(resolution, size, tuple(out.shape[-2:])):
        return upscale(
            model,
            out,
            size,
            seed=seed,
            method=upscaler,
            should_stop=should_stop,
            exemplar=exemplar,
            progress=progress,
        )
    return to_array(resize(out, size), model.dtype)


@torch.no_grad()
def generate_at_size(
    model: SinGANModel,
    size: tuple[int, int],
    *,
    n: int = 1,
    seed: int = 0,
    start_scale: int = 0,
    upscaler: str = "auto",
    should_stop: StopFn | None = None,
    exemplar: np.ndarray | None = None,
    progress: StepFn | None = None,
) -> list[np.ndarray]:
    """``n`` samples for a document of ``size`` = (H, W): generated at the model's size (its pixel count,
    ``size``'s aspect ratio), then brought to ``size`` by :func:`upscale` (variations placed in a
    document at its resolution, rather than a wider scene: that is :func:`sample.generate`'s ``size``);
    ``exemplar``: the trained region at the document's resolution, whose detail the samples get."""
    if size[0] < 1 or size[1] < 1:
        raise ConfigError(f"output size must be positive, got {size[1]}x{size[0]}")
    work = work_shapes(model, size)[-1]
    small = generate(model, n=n, seed=seed, size=work, start_scale=start_scale, should_stop=should_stop)
    return [
        to_size(
            model,
            to_tensor(s, model.device),
            size,
            upscaler=upscaler,
            seed=seed + k,
            should_stop=should_stop,
            exemplar=exemplar,
            progress=progress,
        )
        for k, s in enumerate(small)
    ]
