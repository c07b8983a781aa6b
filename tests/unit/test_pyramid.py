import math

import pytest
import torch

from singan_core.config import PRESETS, NetworkConfig, PyramidConfig, channels_at
from singan_core.errors import ImageError
from singan_core.pyramid import build_pyramid, plan_pyramid, resize, scaled_shapes


def test_250x188_gets_10_scales_at_recomputed_factor():
    plan = plan_pyramid(188, 250, PyramidConfig())
    assert plan.num_scales == 10
    assert plan.scale_factor == pytest.approx((25 / 188) ** (1 / 9), rel=1e-9)
    assert round(plan.scale_factor, 3) == 0.799
    assert plan.shapes[-1] == (188, 250)
    assert min(plan.shapes[0]) == 25


def test_248x186_gets_9_scales():
    plan = plan_pyramid(186, 248, PyramidConfig())
    assert plan.num_scales == 9
    assert round(plan.scale_factor, 3) == 0.778
    assert min(plan.shapes[0]) == 25


def test_portrait_is_the_transpose_of_landscape():
    land = plan_pyramid(188, 250, PyramidConfig())
    port = plan_pyramid(250, 188, PyramidConfig())
    assert port.num_scales == 10
    assert [s[::-1] for s in port.shapes] == list(land.shapes)


def test_large_image_is_capped_at_max_size():
    plan = plan_pyramid(1536, 2048, PyramidConfig())
    assert plan.shapes[-1] == (188, 250)
    assert plan.num_scales == 9
    sizes = [h for h, _ in plan.shapes]
    assert sizes == sorted(sizes)


def test_tiny_preset_gives_3_scales_on_32px():
    assert plan_pyramid(32, 32, PRESETS["tiny"].pyramid).num_scales == 3
    assert plan_pyramid(24, 32, PRESETS["tiny"].pyramid).num_scales == 3


def test_too_small_image_is_refused():
    with pytest.raises(ImageError, match="at least 25 px"):
        plan_pyramid(20, 300, PyramidConfig())


def test_channel_schedule_doubles_every_4_scales_capped_at_128():
    net = NetworkConfig()
    assert [channels_at(net, s) for s in range(12)] == [32] * 4 + [64] * 4 + [128] * 4
    assert channels_at(net, 40) == 128


def test_build_pyramid_shapes_and_range():
    plan = plan_pyramid(188, 250, PyramidConfig())
    img = torch.rand(1, 3, 188, 250) * 2 - 1
    reals = build_pyramid(img, plan)
    assert [tuple(r.shape[-2:]) for r in reals] == list(plan.shapes)
    assert all(r.min() >= -1 and r.max() <= 1 for r in reals)
    # antialiased downscale of a constant image stays constant
    flat = build_pyramid(torch.full((1, 3, 188, 250), 0.25), plan)
    assert all(torch.allclose(r, torch.tensor(0.25), atol=1e-5) for r in flat)
    assert resize(img, (188, 250)) is img


def test_scaled_shapes_exact_size_and_factors():
    shapes = ((25, 34), (50, 67), (100, 133))
    assert scaled_shapes(shapes, 1.0, 2.0)[-1] == (100, 266)
    out = scaled_shapes(shapes, 1.0, 1.0, size=(77, 301))
    assert out[-1] == (77, 301)
    assert out[0] == (round(25 * 0.77), round(34 * 301 / 133))
    assert math.isclose(out[1][1] / 67, 301 / 133, rel_tol=0.02)
