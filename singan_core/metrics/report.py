"""Evaluating a trained model the way the paper does: samples from scale N and N-1 against the image.

For each start scale (0 = the paper's N, pure noise; 1 = N-1, the coarsest layout kept) draw ``n``
samples and report SIFID against the training image (mean and spread over samples), diversity, and
the mean NIQE of the samples when they are large enough (NIQE needs two 96x96 blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from ..errors import ImageError
from ..model import SinGANModel
from ..tasks.sample import generate
from .diversity import diversity
from .inception import InceptionStem
from .niqe import niqe
from .sifid import sifid_many
from .weights import load_inception


@dataclass(frozen=True)
class ScaleReport:
    """Metrics of ``n`` samples generated from one start scale."""

    start_scale: int
    n: int
    sifid_mean: float
    sifid_std: float
    diversity: float
    niqe_mean: float | None  # None when the samples are too small for NIQE


@dataclass(frozen=True)
class ModelReport:
    """Metrics of a model, per start scale, plus what they were computed with."""

    scales: tuple[ScaleReport, ...]
    n: int
    seed: int
    sifid_dims: int
    pretrained: bool  # False: SIFID used a random Inception stem; its values are NOT comparable
    weights: str
    image_niqe: float | None  # NIQE of the training image itself, for reference

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mean_niqe(images: Sequence[np.ndarray]) -> float | None:
    """Mean NIQE over images, or None when they are too small for NIQE."""
    try:
        return float(np.mean([niqe(im) for im in images]))
    except ImageError:
        return None


def evaluate_model(
    model: SinGANModel,
    *,
    n: int = 50,
    seed: int = 0,
    start_scales: Sequence[int] = (0, 1),
    stem: InceptionStem | None = None,
    dims: int = 192,
    with_niqe: bool = True,
    device: torch.device | str | None = None,
) -> ModelReport:
    """Generate ``n`` samples per start scale (those the model has) and measure them.

    ``stem`` defaults to the pretrained Inception stem (raises ``InceptionWeightsError`` when the
    weights are not installed); pass :func:`~.inception.random_stem` to run without them.
    """
    stem = stem if stem is not None else load_inception()
    scales = [s for s in start_scales if 0 <= s < model.num_trained]
    if not scales:
        raise ImageError(f"none of the start scales {list(start_scales)} is trained in this model")
    reports = []
    for start in scales:
        samples = generate(model, n=n, seed=seed, start_scale=start, device=device)
        result = sifid_many(model.image, samples, stem=stem, dims=dims)
        reports.append(
            ScaleReport(
                start_scale=start,
                n=n,
                sifid_mean=result.mean,
                sifid_std=result.std,
                diversity=diversity(samples, model.image),
                niqe_mean=mean_niqe(samples) if with_niqe else None,
            )
        )
    return ModelReport(
        scales=tuple(reports),
        n=n,
        seed=seed,
        sifid_dims=dims,
        pretrained=stem.pretrained,
        weights=stem.source,
        image_niqe=mean_niqe([model.image]) if with_niqe else None,
    )
