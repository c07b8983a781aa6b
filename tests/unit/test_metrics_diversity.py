"""Diversity: the paper's per-pixel std over samples, normalised by the training image's std."""

from __future__ import annotations

import numpy as np
import pytest

from singan_core.errors import ImageError
from singan_core.metrics.diversity import diversity
from singan_core.tasks.sample import generate


def test_identical_samples_have_zero_diversity(tiny_rgb):
    assert diversity([tiny_rgb] * 5, tiny_rgb) == 0.0


def test_diversity_known_value():
    black, white = np.zeros((4, 6, 3), np.uint8), np.full((4, 6, 3), 255, np.uint8)
    half = np.concatenate([black[:2], white[:2]])  # training image: std 0.5 (in [0, 1] units)
    # per-pixel std over {black, white} is 0.5 everywhere -> 0.5 / 0.5
    assert diversity([black, white], half) == pytest.approx(1.0)
    # a quarter as much spread per pixel -> a quarter of the diversity
    grey = np.full((4, 6, 3), 64, np.uint8)
    assert diversity([black, grey], half) == pytest.approx(64 / 255 / 2 / 0.5)


def test_diversity_ignores_alpha_and_bit_depth():
    rng = np.random.default_rng(0)
    samples = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(4)]
    ref = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    base = diversity(samples, ref)
    opaque = [np.concatenate([s, rng.integers(0, 256, (8, 8, 1), dtype=np.uint8)], axis=2) for s in samples]
    assert diversity(opaque, ref) == pytest.approx(base)
    wide = [s.astype(np.uint16) * 257 for s in samples]
    assert diversity(wide, ref.astype(np.uint16) * 257) == pytest.approx(base)


@pytest.mark.parametrize(
    ("samples", "match"),
    [
        ([np.zeros((4, 4, 3), np.uint8)], "at least 2 samples"),
        ([np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8)], "differ in shape"),
        ([np.zeros((4, 4, 1), np.uint8)] * 2, "colour channel"),
    ],
)
def test_diversity_rejects_bad_input(samples, match):
    ref = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    with pytest.raises(ImageError, match=match):
        diversity(samples, ref)


def test_diversity_of_a_flat_training_image_is_undefined():
    with pytest.raises(ImageError, match="flat"):
        diversity([np.zeros((4, 4, 3), np.uint8)] * 2, np.full((4, 4, 3), 9, np.uint8))


def test_samples_from_scale_n_are_more_diverse_than_from_n_minus_1(tiny_model):
    from_n = generate(tiny_model, n=8, seed=0, start_scale=0)
    from_n1 = generate(tiny_model, n=8, seed=0, start_scale=1)
    d_n, d_n1 = diversity(from_n, tiny_model.image), diversity(from_n1, tiny_model.image)
    assert d_n > d_n1 > 0.0
