"""NIQE (Mittal, Soundararajan, Bovik 2013): a no-reference naturalness score, lower is better.

A faithful re-implementation of MATLAB's ``niqe`` with the official pristine-model parameters
(``data/niqe_pris_params.npz``, see ``data/NOTICE``): MATLAB ``rgb2gray`` rounded to integers,
96x96 blocks without overlap, MSCN coefficients from a 7x7 Gaussian window with replicated borders,
18 AGGD/GGD features per block at full size and at half size (MATLAB's antialiased bicubic
``imresize``), and the Mahalanobis-like distance between the fitted and the pristine Gaussians.
It reproduces MATLAB's values on the usual calibration images to about 0.01.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np

from ..errors import ImageError
from ..imageio import as_hwc, max_value
from .matlab_resize import imresize

BLOCK = 96

# MATLAB rgb2gray: the first row of inv([1 .956 .621; 1 -.272 -.647; 1 -1.106 1.703]).
_RGB2GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])
# MATLAB rgb2ycbcr, luma row, for RGB in [0, 1] giving Y in [16, 235].
_RGB2Y = np.array([65.481, 128.553, 24.966])

# Shape parameters searched when fitting a (asymmetric) generalised Gaussian, as in MATLAB.
_GAM = np.arange(0.2, 10.001, 0.001)


@dataclass(frozen=True)
class PristineModel:
    """The multivariate Gaussian fitted to features of pristine images, plus the MSCN window."""

    mean: np.ndarray  # [36]
    cov: np.ndarray  # [36, 36]
    window: np.ndarray  # [7, 7]


@lru_cache(maxsize=1)
def pristine_model() -> PristineModel:
    """Load the official parameters shipped with the package."""
    ref = resources.files("singan_core.metrics").joinpath("data/niqe_pris_params.npz")
    with ref.open("rb") as fh, np.load(fh) as data:
        return PristineModel(
            mean=np.asarray(data["mu_pris_param"], dtype=np.float64).reshape(-1),
            cov=np.asarray(data["cov_pris_param"], dtype=np.float64),
            window=np.asarray(data["gaussian_window"], dtype=np.float64),
        )


@lru_cache(maxsize=1)
def _gamma_ratio_table() -> np.ndarray:
    """r(g) = Gamma(2/g)^2 / (Gamma(1/g) Gamma(3/g)) for every candidate shape g."""
    lg = np.vectorize(math.lgamma)
    return np.exp(2 * lg(2 / _GAM) - lg(1 / _GAM) - lg(3 / _GAM))


def to_grey(image: np.ndarray, mode: Literal["gray", "y"] = "gray") -> np.ndarray:
    """uint8/uint16 HxW[xC] image -> float64 HxW grey levels on a 0..255 scale, rounded like MATLAB.

    ``mode="gray"`` is MATLAB's ``rgb2gray`` (what ``niqe`` applies to RGB input); ``"y"`` is the
    luma of ``rgb2ycbcr``. Alpha is ignored; single-channel images are used as they are.
    """
    arr = as_hwc(np.asarray(image))
    levels = arr.astype(np.float64) * (255.0 / max_value(arr.dtype))
    if arr.shape[2] < 3:
        return np.round(levels[:, :, 0])
    rgb = levels[:, :, :3]
    if mode == "gray":
        grey = rgb @ _RGB2GRAY
    elif mode == "y":
        grey = 16.0 + (rgb / 255.0) @ _RGB2Y
    else:
        raise ValueError(f"unknown grey mode {mode!r}: use 'gray' or 'y'")
    return np.round(grey)


def _filter_replicate(img: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Correlate with ``window`` using replicated borders (MATLAB ``imfilter(..., 'replicate')``)."""
    kh, kw = window.shape
    padded = np.pad(img, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2)), mode="edge")
    views = np.lib.stride_tricks.sliding_window_view(padded, window.shape)  # [H, W, kh, kw]
    return np.einsum("ijkl,kl->ij", views, window)


def _mscn(img: np.ndarray, window: np.ndarray) -> np.ndarray:
    mu = _filter_replicate(img, window)
    sigma = np.sqrt(np.abs(_filter_replicate(img * img, window) - mu * mu))
    return (img - mu) / (sigma + 1.0)


def _aggd(x: np.ndarray) -> tuple[float, float, float]:
    """Fit an asymmetric generalised Gaussian: (shape alpha, left scale, right scale)."""
    x = x.reshape(-1)
    left_std = math.sqrt(float(np.mean(x[x < 0] ** 2)))
    right_std = math.sqrt(float(np.mean(x[x > 0] ** 2)))
    gammahat = left_std / right_std
    rhat = float(np.mean(np.abs(x))) ** 2 / float(np.mean(x * x))
    rhatnorm = rhat * (gammahat**3 + 1) * (gammahat + 1) / (gammahat**2 + 1) ** 2
    alpha = float(_GAM[np.argmin((_gamma_ratio_table() - rhatnorm) ** 2)])
    factor = math.sqrt(math.gamma(1 / alpha) / math.gamma(3 / alpha))
    return alpha, left_std * factor, right_std * factor


def _block_features(block: np.ndarray) -> list[float]:
    """The 18 NIQE features of one block of MSCN coefficients."""
    alpha, bl, br = _aggd(block)
    feats = [alpha, (bl + br) / 2]
    for shift in ((0, 1), (1, 0), (1, 1), (1, -1)):
        pair = block * np.roll(block, shift, axis=(0, 1))
        alpha, bl, br = _aggd(pair)
        mean = (br - bl) * math.gamma(2 / alpha) / math.gamma(1 / alpha)
        feats += [alpha, mean, bl, br]
    return feats


def niqe_grey(grey: np.ndarray, model: PristineModel | None = None) -> float:
    """NIQE of a float HxW grey image on a 0..255 scale (already rounded if you want MATLAB's value)."""
    model = model or pristine_model()
    h, w = grey.shape
    nh, nw = h // BLOCK, w // BLOCK
    if nh * nw < 2:
        raise ImageError(
            f"NIQE needs at least two {BLOCK}x{BLOCK} blocks; a {w}x{h} image is too small "
            f"(use at least {2 * BLOCK}x{BLOCK} pixels)"
        )
    img = np.asarray(grey, dtype=np.float64)[: nh * BLOCK, : nw * BLOCK]
    per_scale = []
    for scale in (1, 2):
        mscn = _mscn(img, model.window)
        size = BLOCK // scale
        feats = [
            _block_features(mscn[by * size : (by + 1) * size, bx * size : (bx + 1) * size])
            for bx in range(nw)
            for by in range(nh)
        ]
        per_scale.append(np.array(feats))
        if scale == 1:
            img = imresize(img / 255.0, 0.5) * 255.0
    dist = np.concatenate(per_scale, axis=1)  # [blocks, 36]
    mu = np.nanmean(dist, axis=0)
    finite = dist[~np.isnan(dist).any(axis=1)]
    cov = np.cov(finite, rowvar=False)
    diff = model.mean - mu
    quality = diff @ np.linalg.pinv((model.cov + cov) / 2) @ diff
    return float(math.sqrt(max(float(quality), 0.0)))


def niqe(image: np.ndarray, *, grey_mode: Literal["gray", "y"] = "gray") -> float:
    """NIQE of a uint8/uint16 HxW[xC] image (lower is more natural)."""
    return niqe_grey(to_grey(image, grey_mode))
