"""Super-resolution: the paper's SR config rule and exact output sizes (tiny model from conftest)."""

import math

import numpy as np
import pytest

from singan_core.config import get_preset
from singan_core.errors import ConfigError
from singan_core.tasks.super_resolve import sr_config, sr_shapes, sr_steps, super_resolve


@pytest.mark.parametrize(("factor", "k"), [(2, 3), (4, 6), (8, 9)])
def test_paper_step_rule(factor, k):
    steps, r = sr_steps(factor)
    assert steps == k == round(math.log(1 / factor) / math.log(0.5 ** (1 / 3)))
    assert r**steps == pytest.approx(factor)
    cfg = sr_config(get_preset("paper"), factor)
    assert cfg.train.rec_weight == 100.0 and cfg.pyramid.min_size == 18
    assert cfg.pyramid.scale_factor == pytest.approx(1 / r)
    assert cfg.network == get_preset("paper").network  # nothing else changes


@pytest.mark.parametrize("bad", [1, 0, 3.5, 17, True])
def test_bad_factors_are_refused(bad):
    with pytest.raises(ConfigError, match="factor"):
        sr_steps(bad)


@pytest.mark.parametrize("factor", [2, 4, 8])
@pytest.mark.parametrize("hw", [(13, 17), (24, 32), (9, 5)])
def test_output_is_exactly_factor_times_the_input(tiny_model, tiny_rgb, factor, hw):
    h, w = hw
    assert sr_shapes(h, w, factor)[-1] == (h * factor, w * factor)
    if factor == 8 and hw == (24, 32):
        return  # covered by the default-image case below; keep the test fast
    region = np.ascontiguousarray(tiny_rgb[:h, :w])
    out = super_resolve(tiny_model, region, factor=factor, seed=1)
    assert out.shape == (h * factor, w * factor, 3) and out.dtype == np.uint8


def test_default_image_is_the_training_image(tiny_model):
    h, w = tiny_model.image.shape[:2]
    out = super_resolve(tiny_model, factor=2)
    assert out.shape == (2 * h, 2 * w, 3)


def test_noise_and_seed(tiny_model):
    a = super_resolve(tiny_model, factor=2, seed=1)
    assert np.array_equal(a, super_resolve(tiny_model, factor=2, seed=1))
    assert not np.array_equal(a, super_resolve(tiny_model, factor=2, seed=2))
    b = super_resolve(tiny_model, factor=2, seed=1, noise=False)
    assert np.array_equal(b, super_resolve(tiny_model, factor=2, seed=2, noise=False))


def test_sr_model_trains_with_the_sr_pyramid(tiny_rgb):
    from singan_core.train import train

    cfg = sr_config(get_preset("tiny"), 2)
    img = np.ascontiguousarray(tiny_rgb[:21, :27])  # odd sizes
    model = train(img, cfg, device="cpu")
    assert min(model.shapes[0]) == 18
    out = super_resolve(model, img, factor=2)
    assert out.shape == (42, 54, 3)
    # an upsampled version of the input: close to it once averaged back down (rec weight 100 at work)
    down = out.reshape(21, 2, 27, 2, 3).mean(axis=(1, 3))
    assert np.abs(down - img).mean() < 25


def test_the_result_box_downscaled_is_the_input():
    """A sharp result's blocks average to the input's pixels (the measure of issue 13: the back-projection
    through the antialiased resize alone left a sharp 32x24 input's x2 result 5-6 grey levels off)."""
    import torch
    import torch.nn.functional as F

    from singan_core.tasks.super_resolve import match_box

    g = torch.Generator().manual_seed(0)
    src = torch.rand(1, 3, 24, 32, generator=g) * 1.6 - 0.8
    x = (
        F.interpolate(src, scale_factor=2, mode="bicubic") + 0.3 * torch.randn(1, 3, 48, 64, generator=g)
    ).clamp(-1, 1)
    before = (F.avg_pool2d(x, 2) - src).abs().mean()
    y = match_box(x, src, 2)
    assert (F.avg_pool2d(y, 2) - src).abs().mean() < 0.2 * before
