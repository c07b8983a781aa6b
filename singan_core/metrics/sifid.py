"""SIFID (Shaham et al. 2019): the Frechet distance between Inception features of two single images.

Every spatial position of the Inception feature map (192 channels after ``Conv2d_4a_3x3`` by
default, 64 after ``Conv2d_2b_3x3`` as an option) is one sample; the real and the generated image
each give a Gaussian (mean, covariance) and SIFID is the Frechet distance between the two. Inputs
are scaled to [-1, 1] and not resized. Lower is better; SIFID(x, x) is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import ImageError
from ..imageio import as_hwc
from ..tensors import to_tensor
from .inception import FEATURE_DIMS, InceptionStem
from .weights import load_inception


@dataclass(frozen=True)
class FeatureStats:
    """Mean and covariance of the feature vectors of one image."""

    mean: np.ndarray  # [D] float64
    cov: np.ndarray  # [D, D] float64, unbiased (divides by n - 1) as np.cov
    n: int  # number of spatial positions (samples)


@dataclass(frozen=True)
class SIFIDResult:
    """SIFID of one real image against several generated ones."""

    values: tuple[float, ...]
    dims: int
    pretrained: bool  # False: random stem, numbers NOT comparable with anything
    weights: str  # where the stem's weights came from

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        return float(np.std(self.values))


def image_to_input(image: np.ndarray) -> torch.Tensor:
    """uint8/uint16 HxW[xC] -> [1, 3, H, W] float32 in [-1, 1]; grey repeated, alpha dropped."""
    x = to_tensor(as_hwc(np.asarray(image)))  # [1, C, H, W]
    return x[:, :3] if x.shape[1] >= 3 else x[:, :1].expand(-1, 3, -1, -1)


def feature_stats(image: np.ndarray, stem: InceptionStem, dims: int = 192) -> FeatureStats:
    """Gaussian statistics of the ``dims``-channel Inception features of one image."""
    device = next(stem.parameters()).device
    fmap = stem(image_to_input(image).to(device), dims=dims)  # [1, D, h, w]
    feats = fmap[0].reshape(dims, -1).T.double().cpu()  # [h*w, D]
    n = feats.shape[0]
    if n < 2:
        h, w = np.asarray(image).shape[:2]
        raise ImageError(
            f"image {w}x{h} is too small for SIFID: its {dims}-channel feature map has {n} position(s)"
        )
    mean = feats.mean(dim=0)
    centred = feats - mean
    cov = centred.T @ centred / (n - 1)
    return FeatureStats(mean=mean.numpy(), cov=cov.numpy(), n=n)


def _psd_sqrt(mat: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix.

    Eigenvalues at rounding level (below ``D * eps * max``; the null space of a rank-deficient
    covariance) are set to 0 rather than rooted, which would blow 1e-16 noise up to 1e-8.
    """
    vals, vecs = np.linalg.eigh((mat + mat.T) / 2)
    floor = max(float(vals.max()), 0.0) * mat.shape[0] * np.finfo(np.float64).eps
    roots = np.where(vals > floor, np.sqrt(np.clip(vals, 0.0, None)), 0.0)
    return (vecs * roots) @ vecs.T


def frechet_distance(a: FeatureStats, b: FeatureStats) -> float:
    """||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)), in float64.

    ``tr((S_a S_b)^(1/2))`` equals the sum of the singular values of ``S_a^(1/2) S_b^(1/2)``
    (the symmetric PSD roots from eigen-decompositions): no square root of a non-symmetric
    product, no complex rounding, and rank-deficient covariances (small images give fewer
    positions than channels) keep their accuracy, so SIFID(x, x) comes out at about 1e-12.
    Tiny negative rounding results are reported as 0.
    """
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"feature sizes differ: {a.mean.shape} vs {b.mean.shape}")
    diff = a.mean - b.mean
    singular = np.linalg.svd(_psd_sqrt(a.cov) @ _psd_sqrt(b.cov), compute_uv=False)
    tr_covmean = float(singular.sum())
    dist = float(diff @ diff) + float(np.trace(a.cov)) + float(np.trace(b.cov)) - 2.0 * tr_covmean
    return max(dist, 0.0)


def sifid(real: np.ndarray, fake: np.ndarray, *, stem: InceptionStem | None = None, dims: int = 192) -> float:
    """SIFID between one real and one generated image (needs the weights unless ``stem`` is given)."""
    stem = stem if stem is not None else load_inception()
    return frechet_distance(feature_stats(real, stem, dims), feature_stats(fake, stem, dims))


def sifid_many(
    real: np.ndarray,
    fakes: Sequence[np.ndarray],
    *,
    stem: InceptionStem | None = None,
    dims: int = 192,
) -> SIFIDResult:
    """SIFID of each generated image against ``real`` (the real image's statistics computed once)."""
    if dims not in FEATURE_DIMS:
        raise ValueError(f"SIFID feature dims must be one of {FEATURE_DIMS}, got {dims}")
    if not fakes:
        raise ValueError("SIFID needs at least one generated image")
    stem = stem if stem is not None else load_inception()
    ref = feature_stats(real, stem, dims)
    values = tuple(frechet_distance(ref, feature_stats(f, stem, dims)) for f in fakes)
    return SIFIDResult(values=values, dims=dims, pretrained=stem.pretrained, weights=stem.source)
