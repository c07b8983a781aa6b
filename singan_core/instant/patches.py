"""Patches without unfolding: projected features by convolution, voting by gathers, validity masks.

Images are ``[C, H, W]`` float tensors in [0, 1]. A patch is addressed by its top-left pixel; an image of
H x W has a grid of (H - k + 1) x (W - k + 1) patches. Nothing here materialises all patches of an image
(C*k*k floats per pixel), so memory stays proportional to the pixels times the feature dimension.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_PCA_SAMPLES = 8192


def grid_shape(hw: tuple[int, int], k: int) -> tuple[int, int]:
    return (hw[0] - k + 1, hw[1] - k + 1)


def sample_patches(img: torch.Tensor, k: int, n: int, gen: torch.Generator) -> torch.Tensor:
    """Up to ``n`` patches at random positions of ``img`` [C, H, W] -> [n, C*k*k]."""
    c, h, w = img.shape
    gh, gw = grid_shape((h, w), k)
    n = min(n, gh * gw)
    pos = torch.randperm(gh * gw, generator=gen)[:n].to(img.device)
    y, x = pos // gw, pos % gw
    d = torch.arange(k, device=img.device)
    rows = (y[:, None, None] + d[None, :, None]) * w + (x[:, None, None] + d[None, None, :])  # [n, k, k]
    return img.reshape(c, -1)[:, rows.reshape(-1)].reshape(c, n, k * k).permute(1, 0, 2).reshape(n, -1)


def pca_basis(img: torch.Tensor, k: int, dims: int, gen: torch.Generator) -> torch.Tensor:
    """The ``dims`` principal directions of ``img``'s k x k patches, as conv filters [dims, C, k, k]."""
    c = img.shape[0]
    full = c * k * k
    if dims >= full:
        return torch.eye(full, device=img.device).reshape(full, c, k, k)
    p = sample_patches(img, k, _PCA_SAMPLES, gen).double()
    p = p - p.mean(0, keepdim=True)
    _, vecs = torch.linalg.eigh(p.T @ p)  # ascending eigenvalues
    return vecs[:, -dims:].flip(1).T.float().reshape(dims, c, k, k).contiguous()


def features(img: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """Projected patch features of every patch position: [C, H, W] -> [dims, gh * gw] (row-major grid; one
    row per dimension, as the convolution gives them and as PatchMatch reads them)."""
    f = F.conv2d(img[None], basis)[0]  # [dims, gh, gw]
    return f.reshape(f.shape[0], -1)


def patch_footprint(mask: torch.Tensor, k: int) -> torch.Tensor:
    """For a pixel mask [H, W] (bool), which patch positions [gh, gw] touch at least one masked pixel."""
    m = mask.float()[None, None]
    return F.max_pool2d(m, k, stride=1)[0, 0] > 0


def vote_offsets(k: int, step: int) -> list[int]:
    """Offsets inside a patch whose pixels are voted: every ``step``-th, always the first and the last (so
    every pixel is still covered by some patch)."""
    return sorted(set(range(0, k, max(step, 1))) | {k - 1})


def coverage(active: torch.Tensor, k: int, offsets: list[int] | None = None) -> torch.Tensor:
    """How many active patches [gh, gw] vote for each pixel (separable sums) -> [H, W] float."""
    taps = torch.zeros(k, device=active.device)
    taps[offsets if offsets is not None else list(range(k))] = 1.0
    if bool(active.all()):  # every patch votes (a variation): the count is a product of two 1-D counts
        gh, gw = active.shape
        rows = F.conv_transpose1d(torch.ones(1, 1, gh, device=active.device), taps.view(1, 1, k))[0, 0]
        cols = F.conv_transpose1d(torch.ones(1, 1, gw, device=active.device), taps.view(1, 1, k))[0, 0]
        return rows[:, None] * cols[None, :]
    a = active.float()[None, None]
    a = F.conv_transpose2d(a, taps.view(1, 1, k, 1))
    return F.conv_transpose2d(a, taps.view(1, 1, 1, k))[0, 0]


def vote(
    values: torch.Tensor,
    ky: torch.Tensor,
    kx: torch.Tensor,
    k: int,
    out_hw: tuple[int, int],
    active: torch.Tensor | None = None,
    step: int = 1,
    count: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Average the source patches that the field picks, where they land.

    ``values`` [C, Hv, Wv]; ``ky``, ``kx`` [gh, gw] int64 top-left of the chosen source patch per output
    patch position; ``active`` [gh, gw] bool (None = all); ``step`` > 1 votes only every step-th row and
    column of each patch (:func:`vote_offsets`: less work, less averaging). Returns the sum [C, H, W] and
    the count [H, W] (zero where no active patch lands): ``count`` when given (the same ``active`` and
    ``step`` as a previous call: the count depends on nothing else), else :func:`coverage`.
    """
    offsets = vote_offsets(k, step)
    c, _, wv = values.shape
    gh, gw = ky.shape
    flat = values.reshape(c, -1).T.contiguous()  # [Hv * Wv, C]: one contiguous row per gathered pixel
    acc = torch.zeros(*out_hw, c, device=values.device, dtype=values.dtype)
    weight = None if active is None else active.to(values.dtype)[:, :, None]
    base = (ky * wv + kx).reshape(-1)
    for dy in offsets:
        for dx in offsets:
            v = flat.index_select(0, base + (dy * wv + dx)).reshape(gh, gw, c)
            if weight is not None:
                v = v * weight
            acc[dy : dy + gh, dx : dx + gw] += v
    if count is not None:
        return acc.permute(2, 0, 1), count
    if active is None:
        active = torch.ones(gh, gw, dtype=torch.bool, device=values.device)
    return acc.permute(2, 0, 1), coverage(active, k, offsets)


def smooth_fill(img: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Fill unknown pixels of ``img`` [C, H, W] by push-pull interpolation of the ``known`` [H, W] ones."""
    w = known.to(img.dtype)[None]
    levels = [(img * w, w)]
    while bool((levels[-1][1] == 0).any()) and max(levels[-1][1].shape[-2:]) > 1:
        num, den = levels[-1]
        kernel = (min(2, den.shape[-2]), min(2, den.shape[-1]))
        levels.append(tuple(F.avg_pool2d(t[None], kernel, ceil_mode=True)[0] for t in (num, den)))
    num, den = levels[-1]
    if bool((den == 0).any()):  # nothing known at all: the mean of what is known, or mid-grey
        total = w.sum()
        mean = (
            (img * w).sum((1, 2), keepdim=True) / total if total > 0 else torch.full_like(num[:, :1, :1], 0.5)
        )
        est = torch.where(den > 0, num / den.clamp_min(1e-8), mean.expand_as(num))
    else:
        est = num / den
    for num, den in reversed(levels[:-1]):
        up = F.interpolate(est[None], size=num.shape[-2:], mode="bilinear", align_corners=False)[0]
        est = torch.where(den > 0, num / den.clamp_min(1e-8), up)
    return torch.where(known[None], img, est)
