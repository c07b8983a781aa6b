"""Injection, harmonization, editing and paint-to-image on the tiny model (conftest's ``tiny_model``)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from singan_core.errors import ConfigError, ImageError
from singan_core.tasks import inject, masks
from singan_core.tasks.quantize import kmeans, to_centres
from singan_core.tensors import to_tensor


def corner_mask(h, w, box=(2, 6, 3, 8)):
    m = np.zeros((h, w), np.uint8)
    m[box[0] : box[1], box[2] : box[3]] = 255
    return m


def upscale(a, k):
    return np.repeat(np.repeat(a, k, axis=0), k, axis=1)


def outside(mask, reach):
    """True where the pixel is farther than ``reach`` px (chessboard distance) from every masked pixel."""
    m = torch.from_numpy((mask > 127).astype(np.float32))[None, None]
    return F.max_pool2d(m, 2 * reach + 1, stride=1, padding=reach)[0, 0].numpy() == 0


def test_injection_at_every_valid_scale(tiny_model, tiny_rgb):
    h, w = tiny_rgb.shape[:2]
    outs = [inject.inject(tiny_model, tiny_rgb, injection_scale=n) for n in range(1, tiny_model.num_trained)]
    assert [o.shape for o in outs] == [(h, w, 3)] * (tiny_model.num_trained - 1)
    assert all(o.dtype == np.uint8 for o in outs)
    assert not np.array_equal(outs[0], outs[-1])
    for bad in (0, tiny_model.num_trained, -1):
        with pytest.raises(ConfigError, match="injection scale"):
            inject.inject(tiny_model, tiny_rgb, injection_scale=bad)


def test_injection_is_seeded(tiny_model, tiny_rgb):
    a = inject.inject(tiny_model, tiny_rgb, injection_scale=1, seed=3)
    assert np.array_equal(a, inject.inject(tiny_model, tiny_rgb, injection_scale=1, seed=3))
    assert not np.array_equal(a, inject.inject(tiny_model, tiny_rgb, injection_scale=1, seed=4))


@pytest.mark.parametrize("task", ["harmonize", "edit"])
@pytest.mark.parametrize("n", [1, 2])
def test_pixels_outside_the_dilated_mask_are_unchanged(tiny_model, tiny_rgb, task, n):
    h, w = tiny_rgb.shape[:2]
    composite = tiny_rgb.copy()
    composite[3:6, 4:7] = (250, 20, 20)  # a pasted red square
    mask = corner_mask(h, w)
    fn = getattr(inject, task)
    out = fn(tiny_model, composite, mask, injection_scale=n, dilation=2, blur_sigma=1.0)
    assert out.shape == composite.shape and out.dtype == np.uint8
    far = outside(mask, masks.support_radius(2, 1.0))
    assert far.sum() > 0.5 * far.size
    assert np.array_equal(out[far], composite[far])
    assert not np.array_equal(out[mask > 0], composite[mask > 0])  # the inside did change


def test_arbitrary_size_inputs(tiny_model, tiny_rgb):
    # 3x the training size: the output is at the input's size and every pixel far from the mask is
    # copied exactly (radius and sigma are in the input's pixels; a generous bound here).
    big = upscale(tiny_rgb, 3)
    mask = np.zeros(big.shape[:2], np.uint8)
    mask[:6, :6] = 255
    out = inject.harmonize(tiny_model, big, mask, dilation=1, blur_sigma=1.0)
    assert out.shape == big.shape
    far = outside(mask, 3 * (masks.support_radius(1, 1.0) + 1))
    assert far.mean() > 0.5 and np.array_equal(out[far], big[far])
    assert not np.array_equal(out[:6, :6], big[:6, :6])
    assert inject.edit(tiny_model, big, mask).shape == big.shape


def test_soft_mask_matches_the_reference_recipe():
    mask = np.zeros((60, 60), np.uint8)
    mask[28:32, 28:32] = 255
    m = masks.soft_mask(mask, (60, 60), 7, 5.0)[0, 0]
    assert float(m.max()) == pytest.approx(1.0) and float(m.min()) == 0.0
    reach = masks.support_radius(7, 5.0)
    assert reach == 27
    support = (m > 0).numpy()
    assert not (support & outside(mask, reach)).any()  # zero beyond the reach
    assert support[~outside(mask, 7)].all()  # non-zero on the whole dilated mask
    assert (m[28:32, 28:32] > 0.95).all()
    with pytest.raises(ImageError, match="empty"):
        masks.soft_mask(np.zeros((8, 8), np.uint8), (8, 8), 7)


def test_grey_and_alpha_inputs_are_converted(tiny_model, tiny_rgb):
    grey = tiny_rgb.mean(axis=2).astype(np.uint8)[:, :, None]
    rgba16 = (
        np.concatenate([tiny_rgb, np.full(tiny_rgb.shape[:2] + (1,), 255, np.uint8)], 2).astype(np.uint16)
        * 257
    )
    for img in (grey, rgba16):
        out = inject.edit(tiny_model, img, corner_mask(*tiny_rgb.shape[:2]), dilation=1, blur_sigma=0.5)
        assert out.shape == tiny_rgb.shape and out.dtype == np.uint8


def test_paint_to_image_shapes_and_other_aspect(tiny_model, tiny_rgb):
    paint = np.zeros((30, 50, 3), np.uint8)
    paint[:15] = (90, 140, 220)
    paint[15:] = (60, 120, 40)
    for n in range(1, tiny_model.num_trained):
        assert inject.paint_to_image(tiny_model, paint, injection_scale=n).shape == (30, 50, 3)


def test_paint_quantisation_uses_at_most_5_colours(tiny_model, tiny_rgb):
    rng = np.random.default_rng(0)
    paint = rng.integers(0, 256, (20, 28, 3), dtype=np.uint8)
    q = inject.quantize_paint(tiny_model, paint, injection_scale=1)
    colours = np.unique(q.reshape(-1, 3), axis=0)
    assert 2 <= len(colours) <= 5
    # the colours are the training image's: each is near some training pixel
    train = tiny_rgb.reshape(-1, 1, 3).astype(float)
    assert np.abs(train - colours[None].astype(float)).sum(axis=2).min(axis=0).max() < 60


def test_kmeans_finds_clusters_and_maps_to_them():
    pts = torch.cat([torch.randn(50, 3) * 0.01 + c for c in (-0.8, 0.0, 0.8)])
    centres = kmeans(pts, 3, seed=1)
    assert sorted(round(float(c), 1) for c in centres[:, 0]) == [-0.8, 0.0, 0.8]
    x = torch.rand(1, 3, 5, 7) * 2 - 1
    q = to_centres(x, centres)
    assert len(torch.unique(q.flatten(2)[0].T, dim=0)) <= 3
    assert len(kmeans(torch.zeros(10, 3), 5)) == 1  # fewer distinct colours than k


def test_quantised_paint_with_brief_fine_tuning_leaves_the_model_alone(tiny_model):
    paint = np.zeros((24, 32, 3), np.uint8)
    paint[:, 16:] = 200
    before = [p.clone() for p in tiny_model.generators[1].parameters()]
    amps = list(tiny_model.noise_amps)
    out = inject.paint_to_image(tiny_model, paint, injection_scale=1, quantize=True, fine_tune_iterations=2)
    assert out.shape == (24, 32, 3)
    assert all(torch.equal(a, b) for a, b in zip(before, tiny_model.generators[1].parameters(), strict=True))
    assert tiny_model.noise_amps == amps


def test_harmonize_fine_tune_changes_the_result_not_the_model(tiny_model, tiny_rgb):
    composite = tiny_rgb.copy()
    composite[3:6, 4:7] = (250, 20, 20)
    mask = corner_mask(*tiny_rgb.shape[:2])
    before = [p.clone() for p in tiny_model.generators[-1].parameters()]
    kw = dict(injection_scale=1, dilation=2, blur_sigma=1.0)
    plain = inject.harmonize(tiny_model, composite, mask, **kw)
    tuned = inject.harmonize(tiny_model, composite, mask, fine_tune=True, fine_tune_iterations=2, **kw)
    assert tuned.shape == composite.shape and not np.array_equal(plain, tuned)
    far = outside(mask, masks.support_radius(2, 1.0))
    assert np.array_equal(tuned[far], composite[far])
    assert all(torch.equal(a, b) for a, b in zip(before, tiny_model.generators[-1].parameters(), strict=True))


def test_injected_input_is_the_composite_through_scale_n_minus_1(tiny_model, tiny_rgb):
    x = to_tensor(tiny_rgb)
    shapes = list(tiny_model.shapes)
    prev = inject.injected_input(x, shapes, 2)
    assert tuple(prev.shape[-2:]) == shapes[2]
    assert inject.work_shapes(tiny_model, (48, 64)) == shapes  # same aspect: the model's own shapes
    other = inject.work_shapes(tiny_model, (40, 40))
    assert other[-1][0] == other[-1][1] and abs(other[-1][0] ** 2 - 24 * 32) < 60
