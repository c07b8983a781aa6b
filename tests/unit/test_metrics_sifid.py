"""SIFID: the Frechet distance, the Inception stem, and the metric on real images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from singan_core.errors import ImageError
from singan_core.imageio import load_image
from singan_core.metrics.inception import InceptionStem, random_stem
from singan_core.metrics.sifid import (
    FeatureStats,
    feature_stats,
    frechet_distance,
    image_to_input,
    sifid,
    sifid_many,
)

BLUR_RADII = (0.5, 1.0, 2.0, 4.0)


def _stats(x: np.ndarray) -> FeatureStats:
    return FeatureStats(mean=x.mean(axis=0), cov=np.cov(x, rowvar=False), n=x.shape[0])


def _frechet_via_samples(xa: np.ndarray, xb: np.ndarray) -> float:
    """An independent route: tr sqrt(Sa Sb) is the nuclear norm of Xa Xb^T / sqrt((na-1)(nb-1))."""
    ca, cb = xa - xa.mean(axis=0), xb - xb.mean(axis=0)
    nuclear = np.linalg.svd(ca @ cb.T, compute_uv=False).sum()
    tr = nuclear / np.sqrt((len(xa) - 1) * (len(xb) - 1))
    diff = xa.mean(axis=0) - xb.mean(axis=0)
    return float(
        diff @ diff + np.trace(np.cov(xa, rowvar=False)) + np.trace(np.cov(xb, rowvar=False)) - 2 * tr
    )


def _blurred(img: np.ndarray, radius: float) -> np.ndarray:
    return np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(radius)))


@pytest.fixture(scope="module")
def balloons(balloons_path) -> np.ndarray:
    return load_image(balloons_path)


def test_frechet_distance_of_diagonal_gaussians_has_closed_form():
    a = FeatureStats(mean=np.array([0.0, 1.0, 2.0]), cov=np.diag([1.0, 4.0, 9.0]), n=10)
    b = FeatureStats(mean=np.array([1.0, 1.0, 0.0]), cov=np.diag([4.0, 1.0, 1.0]), n=10)
    # |dmu|^2 = 1 + 0 + 4; sum (sqrt(a_i) - sqrt(b_i))^2 = 1 + 1 + 4
    assert frechet_distance(a, b) == pytest.approx(11.0, abs=1e-9)


@pytest.mark.parametrize(("n_a", "n_b"), [(400, 300), (40, 25)])  # full-rank and rank-deficient
def test_frechet_distance_matches_an_independent_computation(n_a, n_b):
    rng = np.random.default_rng(n_a)
    mix = rng.normal(size=(64, 64)) * 0.3
    xa = rng.normal(size=(n_a, 64))
    xb = rng.normal(size=(n_b, 64)) @ mix + 0.5
    expected = _frechet_via_samples(xa, xb)
    assert frechet_distance(_stats(xa), _stats(xb)) == pytest.approx(expected, rel=1e-9)


def test_stem_shapes_and_input_scaling():
    x = image_to_input(np.full((40, 50, 4), 255, np.uint8))  # RGBA: alpha dropped
    assert x.shape == (1, 3, 40, 50) and float(x.min()) == 1.0
    grey = image_to_input(np.zeros((40, 50, 1), np.uint16))
    assert grey.shape == (1, 3, 40, 50) and float(grey.max()) == -1.0
    stem = random_stem()
    assert stem(x, dims=192).shape == (1, 192, 6, 8)
    assert stem(x, dims=64).shape == (1, 64, 17, 22)
    assert not stem.pretrained and "NOT comparable" in stem.source


def test_random_stem_is_deterministic():
    a, b = random_stem(3), random_stem(3)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and bool((va == vb).all())
    assert not bool((random_stem(4).conv.weight == a.conv.weight).all())


@pytest.mark.parametrize("dims", [192, 64])
def test_sifid_of_an_image_with_itself_is_zero(balloons, dims):
    assert abs(sifid(balloons, balloons, stem=random_stem(), dims=dims)) < 1e-6


def test_sifid_of_a_small_image_with_itself_is_zero(balloons):
    small = balloons[:40, :40]  # 36 positions in the 192-d map: singular covariances
    assert feature_stats(small, random_stem()).n < 192
    assert abs(sifid(small, small, stem=random_stem())) < 1e-6


def test_sifid_grows_with_blur_strength_on_a_random_stem(balloons):
    result = sifid_many(balloons, [_blurred(balloons, r) for r in BLUR_RADII], stem=random_stem())
    assert all(b > a for a, b in zip(result.values, result.values[1:], strict=False)), result.values
    assert result.values[0] > 0
    assert not result.pretrained and "NOT comparable" in result.weights


def test_sifid_many_equals_pairwise_sifid(balloons):
    stem = random_stem()
    fakes = [_blurred(balloons, 1.0), balloons[::-1].copy()]
    result = sifid_many(balloons, fakes, stem=stem)
    assert result.values == pytest.approx([sifid(balloons, f, stem=stem) for f in fakes], rel=1e-12)
    assert result.mean == pytest.approx(np.mean(result.values))


def test_sifid_is_independent_of_bit_depth(balloons):
    stem = random_stem()
    fake = _blurred(balloons, 2.0)
    wide = sifid(balloons.astype(np.uint16) * 257, fake.astype(np.uint16) * 257, stem=stem)
    assert wide == pytest.approx(sifid(balloons, fake, stem=stem), rel=1e-5)


def test_sifid_rejects_images_too_small_for_the_feature_map():
    tiny = np.zeros((20, 20, 3), np.uint8)
    with pytest.raises(ImageError, match="too small for SIFID"):
        sifid(tiny, tiny, stem=InceptionStem())


def test_sifid_rejects_float_images():
    with pytest.raises(ImageError):
        sifid(np.zeros((64, 64, 3), np.float32), np.zeros((64, 64, 3), np.float32), stem=random_stem())
