"""Detail above the model's scale from a full-resolution exemplar (singan_core.tasks.detail) and the
progress of the full-resolution steps (singan_core.tasks.progress), on the tiny model (24x32).

The exemplar is the training image at K x with grain in the green channel only (+-20 grey levels of
seeded noise): detail the model cannot know. Wherever the output's fine detail comes from, it must be
that green-only grain: the red and blue channels stay smooth."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from singan_core.errors import Cancelled, ConfigError
from singan_core.pyramid import resize
from singan_core.tasks import detail, inject, native, upscale
from singan_core.tensors import to_array, to_tensor

K = 6


def lap(a: np.ndarray) -> np.ndarray:
    """|4-neighbour Laplacian| per channel, (H-2)x(W-2)xC."""
    t = torch.from_numpy(a.astype(np.float32)).permute(2, 0, 1)[:, None]
    kernel = torch.tensor([[0.0, -1, 0], [-1, 4, -1], [0, -1, 0]])[None, None]
    return F.conv2d(t, kernel).abs()[:, 0].permute(1, 2, 0).numpy()


@pytest.fixture(scope="module")
def grainy(tiny_rgb):
    h, w = tiny_rgb.shape[:2]
    up = to_array(resize(to_tensor(tiny_rgb), (h * K, w * K))).astype(np.int32)
    grain = np.random.default_rng(5).integers(-20, 21, (h * K, w * K))
    up[:, :, 1] += grain
    return np.clip(up, 0, 255).astype(np.uint8)


def test_detail_is_the_exemplars_grain_over_the_models_colours(tiny_model, tiny_rgb, grainy):
    generated = to_tensor(tiny_rgb)  # stands for the model's output at the work size
    size = grainy.shape[:2]
    out = detail.with_detail(generated, size, grainy, seed=1)
    assert out.shape == grainy.shape and out.dtype == np.uint8
    # below 1/LOW_SCALE of the work size: the model's colours (back-projected), within a few grey levels
    low = tuple(round(n / detail.LOW_SCALE) for n in tiny_rgb.shape[:2])
    down = to_array(resize(to_tensor(out), low)).astype(np.float64)
    assert np.abs(down - to_array(resize(to_tensor(tiny_rgb), low))).mean() < 3
    # above it: the exemplar's grain, green only, about as strong as the exemplar's own
    detail_lap, exemplar_lap = lap(out).mean(axis=(0, 1)), lap(grainy).mean(axis=(0, 1))
    assert detail_lap[1] > 0.4 * exemplar_lap[1]  # 0.52 measured: votes of overlapping patches average
    assert max(detail_lap[0], detail_lap[2]) < 0.25 * detail_lap[1]
    plain = upscale.upscale(tiny_model, generated, size, method="plain")
    assert lap(plain).mean(axis=(0, 1))[1] < 0.2 * detail_lap[1]
    assert np.array_equal(out, detail.with_detail(generated, size, grainy, seed=1))  # seeded


def test_flat_exemplars_and_missing_ones_are_one_line_errors(tiny_model, tiny_rgb):
    x = to_tensor(tiny_rgb)
    flat = np.full((144, 192, 3), 90, np.uint8)
    with pytest.raises(detail.NoTexture, match="no textured area"):
        detail.with_detail(x, (144, 192), flat)
    with pytest.raises(detail.NoTexture, match="limited to 8 MP"):
        detail.with_detail(x, (3000, 3000), flat)
    with pytest.raises(ConfigError, match="needs an exemplar"):
        upscale.upscale(tiny_model, x, (144, 192), method="detail")
    # auto: the ladder when there is nothing to copy from
    ladder = upscale.upscale(tiny_model, x, (144, 192), seed=2, method="ladder")
    assert np.array_equal(upscale.upscale(tiny_model, x, (144, 192), seed=2, exemplar=flat), ladder)
    assert np.array_equal(upscale.upscale(tiny_model, x, (144, 192), seed=2), ladder)


def test_paint_to_image_takes_its_detail_from_the_paints_own_pixels(tiny_model, grainy):
    paint = grainy.copy()
    stroke = (slice(40, 100), slice(60, 140))
    paint[stroke] = grainy[stroke].reshape(-1, 3).mean(axis=0).round()  # a crude flat stroke, no grain
    out = inject.paint_to_image(tiny_model, paint, injection_scale=1)  # auto: detail from the paint
    ladder = inject.paint_to_image(tiny_model, paint, injection_scale=1, upscaler="ladder")
    assert out.shape == paint.shape
    inside = (slice(44, 96), slice(64, 136))
    grain = lap(out[inside]).mean(axis=(0, 1))[1]
    assert grain > 0.3 * lap(grainy).mean(axis=(0, 1))[1]  # the paint's grain
    assert grain > 2 * lap(ladder[inside]).mean(axis=(0, 1))[1]
    whole = lap(out).mean(axis=(0, 1))
    assert max(whole[0], whole[2]) < 0.5 * whole[1]  # green-dominated, as the paint's own grain


def _recorder():
    seen = []
    return seen, seen.append


def _check(seen, what):
    assert seen and all(p.what == what for p in seen)
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == seen[-1].total and seen[-1].fraction == 1.0


def test_full_resolution_steps_report_progress(tiny_model, tiny_rgb, grainy):
    x = to_tensor(tiny_rgb)
    seen, record = _recorder()
    upscale.upscale(tiny_model, x, (400, 520), progress=record)  # ladder: 2 x 2 tiles at the last step
    _check(seen, "upscaling")
    assert seen[-1].total == len(seen) >= 4
    seen, record = _recorder()
    detail.with_detail(x, grainy.shape[:2], grainy, progress=record)
    _check(seen, "detail")
    # one unit per EM round of the global levels and per refinement round above; done only at the end
    cfg, levels = (
        detail.CONFIG,
        detail.plan(tiny_rgb.shape[:2], grainy.shape[:2], grainy.shape[:2], detail.CONFIG),
    )
    assert seen[-1].total == sum(cfg.refine_iterations if lv.detail else cfg.em_iterations for lv in levels)
    assert all(p.done < p.total for p in seen[:-1])
    mask = np.zeros(grainy.shape[:2], np.uint8)
    mask[10:130, 20:170] = 255
    crop = native.full_weight(mask, mask.shape, 3, 2.0)
    seen, record = _recorder()
    work = resize(to_tensor(grainy), tiny_rgb.shape[:2])
    native.compose(grainy, work, work * 0.9, crop, progress=record)
    _check(seen, "composition")
    assert seen[-1].total == -(-crop.weight.shape[0] // native.STRIP)
    with pytest.raises(Cancelled, match="detail synthesis cancelled"):
        detail.with_detail(x, grainy.shape[:2], grainy, should_stop=lambda: True)


def test_stroke_edges_are_not_copied_near_full_size():
    img = torch.rand(3, 120, 160, generator=torch.Generator().manual_seed(1))
    img[:, 40:80, 50:110] = 0.5  # a flat stroke in a textured exemplar
    flat = detail.flat_areas(img)
    assert flat[42:78, 52:108].all() and not flat[:30].any() and not flat[:, :40].any()
    k = 7
    ok = detail.textured(img, k)
    assert not ok[45:70, 55:100].any()  # the stroke's inside: flat, never copied
    full = detail.Level(1.0, (120, 160), (120, 160), True)
    kept = detail.without_edges(ok, flat, full, k)
    # patches reaching into the stroke (or within 2 px of it) are dropped; those further away are kept
    assert not kept[36:80, 46:110].any() and kept[:30].all() and kept[:, :40].all()
    assert ok[36:40, 60:100].all()  # textured: only the new rule drops them
    coarse = detail.Level(0.2, (24, 32), (24, 32), False)
    small = detail.textured(resize(img[None], (24, 32))[0], k)
    assert torch.equal(detail.without_edges(small, flat, coarse, k), small)  # too coarse: unchanged


def test_levels_up_to_the_global_side_are_searched_globally():
    levels = detail.plan((107, 160), (1600, 2400), (1600, 2400), detail.CONFIG)
    assert levels[0].out_hw == (107, 160) and levels[-1].out_hw == (1600, 2400)
    for lv in levels:
        assert lv.detail == (lv is levels[-1] or max(lv.out_hw) > detail.GLOBAL_SIDE), lv
    assert [lv.detail for lv in levels] == [False, False, False, True, True]
