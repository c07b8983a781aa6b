"""Harmonization and editing at the input's own resolution: the model decides what changes, the input
keeps its detail.

The model works at its own size (160-250 px); a document is 2000-8000 px. Resizing the model's result
back to the document (the paper's way, :mod:`singan_core.tasks.inject` with ``resolution="model"``)
gives a soft blob at 100% zoom. Here only the *change* crosses the scales:

- ``delta`` (the baseline): ``delta = generated - input`` at the work size, upsampled (bicubic) to the
  input's size and added to the full-resolution input inside the blurred mask:
  ``out = input + m * up(delta)``. That is a two-band Laplacian blend: the model's bands below its
  finest scale, the input's bands above it.
- ``ladder``: the generated image itself brought to the input's size through the finest generator
  (:mod:`.upscale`, refined only around the mask), blended in: the model's own synthesized detail
  instead of the input's (for edits that change content, where the input's detail would ghost).
- ``bands``: the same as ``delta``, plus a per-band texture statistic transfer: the input's octave bands above the
  model's scale (differences of Gaussians at sigma 1, 2, 4 ... up to the scale ratio / 2) get, per
  channel, the gain that brings their median magnitude inside the mask to the one in a ring around it
  (clamped to [1/2, 2]), so a pasted object's grain and sharpness follow its new surroundings.

The blend weight is the task's own recipe (disk dilation, Gaussian blur, normalisation) computed at the
input's resolution, on the mask's bounding box only: pixels where it is zero are copied bit for bit.
Every full-resolution step runs in strips of :data:`STRIP` rows, so memory is bounded by the work size,
the crop's weight (float32) and one strip, not by the input's size. The result is a :class:`Region`:
the changed rectangle and its offset, which a host places as a cropped layer; :meth:`Region.paste`
gives the full image. The output keeps the input's channels, bit depth and alpha (the model sees the
input converted to its own channels; its change is mapped back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError, ImageError
from ..imageio import as_hwc, max_value
from ..pyramid import resize
from ..tensors import to_tensor
from . import masks
from .progress import StepFn, Steps
from .stop import StopFn, check_stop

Resolution = Literal["auto", "native", "model"]
Method = Literal["delta", "bands", "ladder"]
RESOLUTIONS: tuple[str, ...] = ("auto", "native", "model")
METHODS: tuple[str, ...] = ("delta", "bands", "ladder")
STRIP = 256  # rows per full-resolution strip
RING = 48  # px: width of the ring around the blend region whose band statistics ``bands`` copies
GAIN_RANGE = (0.5, 2.0)
MAX_SAMPLES = 1_000_000
_LUMA = (0.299, 0.587, 0.114)


# ---- choosing the path -------------------------------------------------------------------------------
def check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ConfigError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def use_native(resolution: str, size: tuple[int, int], work: tuple[int, int]) -> bool:
    """True for ``native``; for ``auto`` when the input is larger than the work size on either side."""
    check_choice(resolution, RESOLUTIONS, "resolution")
    if resolution == "auto":
        return size[0] > work[0] or size[1] > work[1]
    return resolution == "native"


# ---- the result ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Region:
    """The changed rectangle of a result: ``pixels`` (hxwxC, the output there), ``changed`` (hxw bool:
    where the output may differ from the input), ``top``/``left`` in the input, ``size`` = input (H, W)."""

    pixels: np.ndarray
    changed: np.ndarray
    top: int
    left: int
    size: tuple[int, int]

    def paste(self, base: np.ndarray) -> np.ndarray:
        """The full output: a copy of ``base`` (the input, same format as ``pixels``) with the region in."""
        out = np.array(as_hwc(base), copy=True)
        h, w = self.changed.shape
        out[self.top : self.top + h, self.left : self.left + w] = self.pixels
        return out

    def layer(self) -> np.ndarray:
        """``pixels`` with alpha: transparent where nothing changed (a cropped layer for a host to place
        at (left, top)); grey becomes grey+alpha, RGB becomes RGBA, an existing alpha is kept inside."""
        c = self.pixels.shape[2]
        top = max_value(self.pixels.dtype)
        if c in (1, 3):
            alpha = np.full(self.changed.shape + (1,), top, self.pixels.dtype)
            px = np.concatenate([self.pixels, alpha], axis=2)
        else:
            px = self.pixels.copy()
        px[:, :, -1] = np.where(self.changed, px[:, :, -1], 0)
        return px


def region_of(original: np.ndarray, output: np.ndarray, weight: np.ndarray) -> Region:
    """The :class:`Region` of a full-size ``output`` whose HxWx1 blend ``weight`` is zero where unchanged."""
    changed = weight[:, :, 0] > 0
    if not changed.any():
        return Region(output[:0, :0], changed[:0, :0], 0, 0, output.shape[:2])
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    t, b, left, r = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return Region(output[t:b, left:r].copy(), changed[t:b, left:r], int(t), int(left), output.shape[:2])


# ---- the blend weight at full resolution ---------------------------------------------------------------
def full_binary_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """HxW bool at ``shape`` (nearest), with :func:`masks.binary_mask`'s threshold, without a float copy."""
    m = np.asarray(mask)
    if m.ndim == 3:
        m = m.max(axis=2)
    if m.ndim != 2 or m.size == 0:
        raise ImageError(f"a mask must be an HxW image, got shape {np.asarray(mask).shape}")
    b = m >= (65535 if m.dtype == np.uint16 else 255) / 2
    if b.shape != tuple(shape):  # nearest, as F.interpolate(mode="nearest"): src = floor(dst * in / out)
        rows = (np.arange(shape[0]) * b.shape[0] // shape[0]).clip(0, b.shape[0] - 1)
        cols = (np.arange(shape[1]) * b.shape[1] // shape[1]).clip(0, b.shape[1] - 1)
        b = b[rows][:, cols]
    if not b.any():
        raise ImageError("the mask is empty: paint the region to change in white on black")
    return b


def disk_dilate(m: torch.Tensor, radius: int, should_stop: StopFn | None = None) -> torch.Tensor:
    """Binary dilation of ``[H, W]`` bool by :func:`masks.disk` (exact), in O(radius) whole-array passes:
    the horizontal distance to the mask (capped), then the disk test row offset by row offset.
    ``should_stop`` is checked before every pass."""
    if radius <= 0:
        return m
    h, w = m.shape
    big = radius + 1
    dist = torch.where(m, 0, big).to(torch.int32)  # horizontal distance to the nearest masked pixel
    for d in range(1, min(radius, w - 1) + 1):
        check_stop(should_stop, "blending")
        hit = torch.zeros_like(m)
        hit[:, d:] |= m[:, :-d]
        hit[:, :-d] |= m[:, d:]
        dist = torch.where(hit & (dist > d), d, dist)
    sq = dist.to(torch.int64) ** 2
    out = sq <= radius**2
    for dy in range(1, min(radius, h - 1) + 1):
        check_stop(should_stop, "blending")
        ok = sq <= radius**2 - dy**2
        out[dy:] |= ok[:-dy]
        out[:-dy] |= ok[dy:]
    return out


@dataclass(frozen=True)
class Crop:
    """The blend weight on the crop [top:top+h, left:left+w] of the input; zero everywhere else."""

    weight: torch.Tensor  # [h, w] float32 in [0, 1]
    top: int
    left: int


def full_weight(
    mask: np.ndarray, shape: tuple[int, int], radius: int, sigma: float, should_stop: StopFn | None = None
) -> Crop:
    """:func:`masks.soft_mask` at the input's resolution, computed on the mask's bounding box plus the
    weight's reach (the same values: the blur's replicated edges see zeros there, as on the full image).
    ``should_stop`` is checked between the dilation's passes, the blur's, and after them."""
    if radius < 0 or sigma < 0 or not np.isfinite(sigma):
        raise ImageError("mask dilation radius and blur sigma must be >= 0")
    b = full_binary_mask(mask, shape)
    reach = masks.support_radius(radius, sigma) + 2
    rows, cols = np.flatnonzero(b.any(axis=1)), np.flatnonzero(b.any(axis=0))
    t, bt = max(rows[0] - reach, 0), min(rows[-1] + 1 + reach, shape[0])
    left, r = max(cols[0] - reach, 0), min(cols[-1] + 1 + reach, shape[1])
    m = disk_dilate(torch.from_numpy(np.ascontiguousarray(b[t:bt, left:r])), radius, should_stop)
    m = masks.gaussian_blur(m.float()[None, None], sigma, should_stop=should_stop)[0, 0]
    check_stop(should_stop, "blending")
    lo, hi = float(m.min()), float(m.max())
    if hi - lo < 1e-12:
        return Crop(torch.ones_like(m), int(t), int(left))
    m = ((m - lo) / (hi - lo)).clamp(0, 1)
    return Crop(torch.where(m < 1e-6, torch.zeros_like(m), m), int(t), int(left))


# ---- full resolution <-> work size ---------------------------------------------------------------------
def work_tensor(arr: np.ndarray, shape: tuple[int, int], device: torch.device | str = "cpu") -> torch.Tensor:
    """``arr`` (HxWxC, any size) at ``shape`` as ``[1, C, h, w]`` in [-1, 1], never holding the whole
    input as floats: strips are box-averaged by an integer factor first, then resized (antialiased)."""
    h, w = arr.shape[:2]
    k = max(1, min(h // (2 * shape[0]), w // (2 * shape[1])))
    if k == 1:
        return resize(to_tensor(arr), shape).clamp(-1, 1).to(device)
    hh, ww = h // k * k, w // k * k
    step = max(STRIP // k, 1) * k
    parts = []
    for y in range(0, hh, step):
        s = to_tensor(arr[y : min(y + step, hh), :ww])
        parts.append(F.avg_pool2d(s, k))
    small = torch.cat(parts, dim=2)
    return resize(small, shape).clamp(-1, 1).to(device)


def sample_window(small: torch.Tensor, size: tuple[int, int], rows: slice, cols: slice) -> torch.Tensor:
    """Rows/cols of ``small`` ([1, C, h, w]) resized (bicubic, align_corners=False, edges replicated) to
    ``size`` = (H, W), computed for that window only: the same values as ``resize(small, size)[..]``."""
    H, W = size
    dev = small.device
    ys = (torch.arange(rows.start, rows.stop, device=dev, dtype=torch.float32) + 0.5) / H * 2 - 1
    xs = (torch.arange(cols.start, cols.stop, device=dev, dtype=torch.float32) + 0.5) / W * 2 - 1
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], dim=-1)[None]
    return F.grid_sample(small, grid, mode="bicubic", padding_mode="border", align_corners=False)


def to_input_channels(delta: torch.Tensor, in_channels: int) -> torch.Tensor:
    """Map a change ``[1, Cm, h, w]`` in the model's channels to the input's ``in_channels``: colour to
    grey by luma or grey to colour by repetition; alpha kept only when both have it (else zero)."""
    cm = delta.shape[1]
    colour = delta[:, : cm - 1] if cm in (2, 4) else delta
    want = 1 if in_channels <= 2 else 3
    if colour.shape[1] == 3 and want == 1:
        colour = sum(colour[:, i : i + 1] * c for i, c in enumerate(_LUMA))
    elif colour.shape[1] == 1 and want == 3:
        colour = colour.expand(-1, 3, -1, -1)
    if in_channels in (2, 4):
        alpha = delta[:, cm - 1 :] if cm in (2, 4) else torch.zeros_like(colour[:, :1])
        return torch.cat([colour, alpha], dim=1)
    return colour


# ---- per-band statistics -------------------------------------------------------------------------------
def band_sigmas(ratio: float) -> list[float]:
    """Octave sigmas 1, 2, 4 ... below ``ratio`` / 2 (the input's bands above the model's finest scale)."""
    out, s = [], 1.0
    while s <= ratio / 2:
        out.append(s)
        s *= 2
    return out


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Per-channel separable Gaussian of ``[1, C, H, W]`` (replicated edges)."""
    c = x.shape[1]
    return masks.gaussian_blur(x.reshape(c, 1, *x.shape[-2:]), sigma).reshape(x.shape)


def bands_of(x: torch.Tensor, sigmas: list[float]) -> list[torch.Tensor]:
    """Differences of Gaussians: band k = blur(sigma_{k-1}) - blur(sigma_k), sigma_{-1} = 0."""
    out, prev = [], x
    for s in sigmas:
        low = _blur(x, s)
        out.append(prev - low)
        prev = low
    return out


def _halo(sigmas: list[float]) -> int:
    return int(masks.TRUNCATE * sigmas[-1] + 0.5) + 1 if sigmas else 0


def _strip(arr: np.ndarray, rows: slice, cols: slice, halo: int) -> tuple[torch.Tensor, int, int]:
    """Input rows/cols with ``halo`` px more on each side (clipped to the image) as [1, C, h, w] floats in
    the input's units; returns the tensor and the offsets of the window inside it."""
    t0, l0 = max(rows.start - halo, 0), max(cols.start - halo, 0)
    t1, l1 = min(rows.stop + halo, arr.shape[0]), min(cols.stop + halo, arr.shape[1])
    x = torch.from_numpy(arr[t0:t1, l0:l1].astype(np.float32)).permute(2, 0, 1)[None]
    return x, rows.start - t0, cols.start - l0


def band_gains(arr: np.ndarray, crop: Crop, sigmas: list[float]) -> torch.Tensor:
    """``[K, C]`` gains: per band and channel, the median |band| in the ring around the blend region over
    the same inside the region's core (weight > 0.99), clamped to :data:`GAIN_RANGE`; 1 where either is
    too small. Medians, so that the pasted object's own outline does not count as grain; on a strided
    subset of at most ~:data:`MAX_SAMPLES` pixels per region."""
    h, w = crop.weight.shape
    t, left = max(crop.top - RING, 0), max(crop.left - RING, 0)
    b, r = min(crop.top + h + RING, arr.shape[0]), min(crop.left + w + RING, arr.shape[1])
    halo = _halo(sigmas)
    stride = max(1, int(np.sqrt((b - t) * (r - left) / MAX_SAMPLES)))
    found: list[list[list[torch.Tensor]]] = [[[] for _ in sigmas] for _ in range(2)]  # [core/ring][K]
    for y in range(t, b, STRIP):
        rows, cols = slice(y, min(y + STRIP, b)), slice(left, r)
        x, oy, ox = _strip(arr, rows, cols, halo)
        wgt = torch.zeros(rows.stop - rows.start, r - left)
        ys = slice(max(rows.start, crop.top), min(rows.stop, crop.top + h))
        if ys.start < ys.stop:
            src = crop.weight[ys.start - crop.top : ys.stop - crop.top]
            wgt[ys.start - rows.start : ys.stop - rows.start, crop.left - left : crop.left - left + w] = src
        keep = torch.zeros_like(wgt, dtype=torch.bool)
        keep[(stride - (y - t) % stride) % stride :: stride, ::stride] = True
        parts = ((wgt > 0.99) & keep, (wgt == 0) & keep)
        for k, band in enumerate(bands_of(x, sigmas)):
            v = band[0, :, oy : oy + wgt.shape[0], ox : ox + wgt.shape[1]].abs()  # [C, h, w]
            for j, part in enumerate(parts):
                found[j][k].append(v[:, part])
    gains = torch.ones(len(sigmas), arr.shape[2])
    for k in range(len(sigmas)):
        core, ring = torch.cat(found[0][k], dim=1), torch.cat(found[1][k], dim=1)  # [C, n]
        if core.shape[1] < 16 or ring.shape[1] < 16:
            continue
        inside, around = core.median(dim=1).values, ring.median(dim=1).values
        ok = (inside > 0.25) & (around > 0.25)
        gains[k] = torch.where(ok, around / inside.clamp_min(1e-6), gains[k])
    return gains.clamp(*GAIN_RANGE)


# ---- composition ---------------------------------------------------------------------------------------
def compose(
    image: np.ndarray,
    work_input: torch.Tensor,
    generated: torch.Tensor,
    crop: Crop,
    *,
    method: str = "delta",
    alpha_from_model: bool = False,
    detail: tuple[np.ndarray, np.ndarray] | None = None,
    should_stop: StopFn | None = None,
    progress: StepFn | None = None,
) -> Region:
    """Carry the change ``generated - work_input`` (both ``[1, Cm, h, w]`` at the work size) to ``image``
    (HxWxC, the input at full resolution, any channels and bit depth) inside ``crop``'s weight.
    ``method="ladder"`` takes the change at full resolution instead: ``detail`` = (the generated image
    brought to the input's size by :func:`singan_core.tasks.upscale.upscale`, the input in the model's
    format), both HxWxCm arrays. ``should_stop`` is checked before every strip (:mod:`.stop`);
    ``progress`` gets a :class:`~.progress.StepProgress` after each strip."""
    check_choice(method, METHODS, "method")
    arr = as_hwc(image)
    H, W, c = arr.shape
    top = float(max_value(arr.dtype))
    delta = to_input_channels((generated - work_input).float().cpu(), c) * (top / 2)
    if not alpha_from_model and c in (2, 4):
        delta[:, -1] = 0
    ratio = max(H / work_input.shape[-2], W / work_input.shape[-1])
    sigmas = band_sigmas(ratio) if method == "bands" else []
    gains = band_gains(arr, crop, sigmas) if sigmas else None
    h, w = crop.weight.shape
    cols = slice(crop.left, crop.left + w)
    out = np.empty((h, w, c), arr.dtype)
    strips = Steps(progress, "composition", -(-h // STRIP))
    for y in range(0, h, STRIP):
        check_stop(should_stop, "composition")
        rows = slice(crop.top + y, crop.top + min(y + STRIP, h))
        wgt = crop.weight[y : y + STRIP][None, None]  # [1, 1, s, w]
        if method == "ladder":
            if detail is None:
                raise ConfigError("method ladder needs the generated image at full resolution")
            ours, theirs = (to_tensor(np.ascontiguousarray(d[rows, cols])) for d in detail)
            change = to_input_channels(ours - theirs, c) * (top / 2)
            if not alpha_from_model and c in (2, 4):
                change[:, -1] = 0
        else:
            change = sample_window(delta, (H, W), rows, cols)
        x, oy, ox = _strip(arr, rows, cols, _halo(sigmas))
        if gains is not None:
            for g, band in zip(gains, bands_of(x, sigmas), strict=True):
                change += (g - 1).view(1, -1, 1, 1) * band[:, :, oy : oy + wgt.shape[2], ox : ox + w]
        x = x[:, :, oy : oy + wgt.shape[2], ox : ox + w]
        res = (x + wgt * change).round().clamp(0, top)
        res = torch.where(wgt > 0, res, x)
        out[y : y + wgt.shape[2]] = res[0].permute(1, 2, 0).numpy().astype(arr.dtype)
        strips.step()
    return Region(out, (crop.weight > 0).numpy(), crop.top, crop.left, (H, W))
