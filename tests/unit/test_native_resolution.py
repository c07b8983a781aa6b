"""Results at the input's resolution (singan_core.tasks.native / upscale) on the tiny model (24x32).

The inputs are 8x the model's size with a fine checkerboard added, detail the model cannot see: the
native path must keep it inside the mask (it comes from the input), the paper's path loses it."""

import numpy as np
import pytest
import torch

from singan_core.errors import ConfigError
from singan_core.pyramid import resize
from singan_core.tasks import inject, masks, native, upscale
from singan_core.tasks.super_resolve import super_resolve
from singan_core.tensors import to_array, to_tensor

K = 8  # input = K x the model's size


def lap(a: np.ndarray) -> np.ndarray:
    """|4-neighbour Laplacian| of the channel mean, same size (zero border)."""
    g = a.astype(np.float64).mean(axis=2)
    out = np.zeros_like(g)
    out[1:-1, 1:-1] = np.abs(4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:])
    return out


@pytest.fixture(scope="module")
def big(tiny_rgb):
    """The training image at K x with a +-12 grey-level checkerboard of 2 px cells, and a mask."""
    h, w = tiny_rgb.shape[:2]
    up = to_array(resize(to_tensor(tiny_rgb), (h * K, w * K)))
    yy, xx = np.mgrid[: h * K, : w * K]
    checker = np.where((yy // 2 + xx // 2) % 2 == 0, 12, -12)[:, :, None]
    img = np.clip(up.astype(np.int32) + checker, 0, 255).astype(np.uint8)
    img[40:80, 60:110] = np.clip(img[40:80, 60:110].astype(np.int32) + (60, -40, -40), 0, 255)  # pasted
    mask = np.zeros((h * K, w * K), np.uint8)
    mask[40:80, 60:110] = 255
    return img, mask


def far_from(mask: np.ndarray, reach: int) -> np.ndarray:
    m = torch.from_numpy((mask > 127).astype(np.float32))[None, None]
    near = torch.nn.functional.max_pool2d(m, 2 * reach + 1, stride=1, padding=reach)[0, 0].numpy()
    return near == 0


@pytest.mark.parametrize("task", ["harmonize", "edit"])
def test_native_keeps_the_input_detail_inside_and_every_pixel_outside(tiny_model, big, task):
    img, mask = big
    fn = getattr(inject, task)
    out = fn(tiny_model, img, mask, injection_scale=1, dilation=3, blur_sigma=2.0)  # auto: native here
    assert out.shape == img.shape and out.dtype == np.uint8
    far = far_from(mask, masks.support_radius(3, 2.0))
    assert np.array_equal(out[far], img[far])
    inside = mask > 0
    assert not np.array_equal(out[inside], img[inside])  # the model did change it
    # the change is smooth (upsampled from the work size): the checkerboard inside is the input's
    change = out.astype(np.int32) - img
    assert lap(change)[inside].mean() < 0.2 * lap(img)[inside].mean()
    assert lap(out)[inside].mean() > 0.8 * lap(img)[inside].mean()
    # the paper's path (work at 24x32, resize back) loses it: that is what native fixes
    model_path = fn(tiny_model, img, mask, injection_scale=1, dilation=3, blur_sigma=2.0, resolution="model")
    assert lap(model_path)[inside].mean() < 0.5 * lap(img)[inside].mean()


def test_region_is_the_changed_rectangle_and_pastes_back(tiny_model, big):
    img, mask = big
    kw = dict(injection_scale=1, dilation=3, blur_sigma=2.0)
    region = inject.harmonize(tiny_model, img, mask, as_region=True, **kw)
    reach = masks.support_radius(3, 2.0) + 2
    assert (region.top, region.left) == (40 - reach, 60 - reach)
    assert region.pixels.shape[:2] == (40 + 2 * reach, 50 + 2 * reach) == region.changed.shape
    assert np.array_equal(region.paste(img), inject.harmonize(tiny_model, img, mask, **kw))
    layer = region.layer()
    assert layer.shape[2] == 4 and np.all(layer[~region.changed, 3] == 0)
    assert np.all(layer[region.changed, 3] == 255) and region.changed[reach:-reach, reach:-reach].all()
    # the paper's path gives a region too (the resized weight's bounds)
    model_region = inject.edit(tiny_model, img, mask, resolution="model", as_region=True, **kw)
    assert model_region.changed.any() and model_region.pixels.shape[0] < img.shape[0]


def test_sixteen_bit_rgba_keeps_its_depth_alpha_and_outside(tiny_model, big):
    img, mask = big
    alpha = np.full(img.shape[:2] + (1,), 40000, np.uint16)
    alpha[:, :30] = 0
    rgba16 = np.concatenate([img.astype(np.uint16) * 257 + 100, alpha], axis=2)
    out = inject.edit(tiny_model, rgba16, mask, injection_scale=1, dilation=3, blur_sigma=2.0)
    assert out.dtype == np.uint16 and out.shape == rgba16.shape
    assert np.array_equal(out[:, :, 3], rgba16[:, :, 3])  # an RGB model does not touch alpha
    far = far_from(mask, masks.support_radius(3, 2.0))
    assert np.array_equal(out[far], rgba16[far])
    # 16-bit detail below 8-bit steps survives inside (the +100 offset is not a multiple of 257)
    assert np.any(out[mask > 0, :3] % 257 != 0)


def test_bands_copy_the_surrounding_grain(tiny_model, big):
    img, mask = big
    rough = img.astype(np.int32)
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    inside = mask > 0
    rough[inside] += np.where((yy + xx) % 2 == 0, 30, -30)[inside][:, None]  # a too-grainy paste
    rough = np.clip(rough, 0, 255).astype(np.uint8)
    kw = dict(injection_scale=1, dilation=3, blur_sigma=2.0)
    delta = inject.harmonize(tiny_model, rough, mask, method="delta", **kw)
    bands = inject.harmonize(tiny_model, rough, mask, method="bands", **kw)
    ring = far_from(mask, masks.support_radius(3, 2.0)) & ~far_from(mask, 40)
    core = np.zeros_like(inside)
    core[50:70, 70:100] = True
    before = lap(delta)[core].mean() / lap(rough)[ring].mean()
    after = lap(bands)[core].mean() / lap(rough)[ring].mean()
    assert before > 2.0 and after < 0.75 * before  # closer to the ring's grain (gain clamped at 1/2)
    far = far_from(mask, masks.support_radius(3, 2.0))
    assert np.array_equal(bands[far], rough[far])


def test_full_resolution_weight_is_the_recipe_at_full_size():
    rng = np.random.default_rng(1)
    mask = np.zeros((70, 90), np.uint8)
    for _ in range(4):
        y, x = rng.integers(0, 64), rng.integers(0, 84)
        mask[y : y + 6, x : x + 5] = 255
    for radius, sigma in ((7, 5.0), (20, 5.0), (0, 1.0), (3, 0.0)):
        ref = masks.soft_mask(mask, (70, 90), radius, sigma)[0, 0]
        crop = native.full_weight(mask, (70, 90), radius, sigma)
        full = torch.zeros(70, 90)
        h, w = crop.weight.shape
        full[crop.top : crop.top + h, crop.left : crop.left + w] = crop.weight
        assert torch.allclose(full, ref, atol=1e-6) and torch.equal(full > 0, ref > 0)
        d = native.disk_dilate(torch.from_numpy(mask > 0), radius)
        assert torch.equal(
            d, masks.dilate(torch.from_numpy((mask > 0).astype(np.float32))[None, None], radius)[0, 0] > 0
        )


def test_work_tensor_in_strips_matches_one_resize(tiny_rgb):
    img = np.repeat(np.repeat(tiny_rgb, 30, 0), 30, 1)  # 720x960: box-averaged in strips first
    a = native.work_tensor(img, (24, 32))
    b = resize(to_tensor(img), (24, 32))
    assert a.shape == b.shape and float((a - b).abs().mean()) < 0.004  # half a grey level
    assert float((a - b).abs().max()) < 0.05  # box then bicubic: not the same filter


def test_upscale_tiles_are_one_pass_and_add_detail(tiny_model, tiny_rgb):
    x = to_tensor(tiny_rgb)
    scale, size = tiny_model.num_trained - 1, (70, 90)
    noise = upscale.tile_noise([0, 0], tiny_model.noise_channels(scale), size, upscale.TILE)
    tiled = torch.empty(1, 3, *size)

    def write(rows, cols, t):
        tiled[:, :, rows, cols] = t

    upscale.refine_tiles(tiny_model, scale, x, size, noise, write, tile=17)
    whole = tiny_model.step(scale, noise(slice(0, 70), slice(0, 90)), resize(x, size)).clamp(-1, 1)
    assert float((whole - tiled).abs().max()) < 1e-4
    shapes = upscale.ladder_shapes((24, 32), (240, 320), 1 / tiny_model.scale_factor)
    assert shapes[-1] == (240, 320) and all(
        b[0] / a[0] < 1.2 for a, b in zip(shapes, shapes[1:], strict=False)
    )
    ladder = upscale.upscale(tiny_model, x, (240, 320), seed=3)
    plain = upscale.upscale(tiny_model, x, (240, 320), method="plain")
    assert ladder.shape == plain.shape == (240, 320, 3)
    assert np.array_equal(ladder, upscale.upscale(tiny_model, x, (240, 320), seed=3))
    assert lap(ladder).mean() > 3 * lap(plain).mean()  # new detail, not a blur
    down = to_array(resize(to_tensor(ladder), (24, 32))).astype(np.float64)
    assert np.abs(down - tiny_rgb).mean() < 4  # colours kept (one back-projection after the last step)
    with pytest.raises(ConfigError, match="upscaler"):
        upscale.upscale(tiny_model, x, (240, 320), method="lanczos")


def test_paint_and_samples_at_document_size(tiny_model):
    paint = np.zeros((120, 160, 3), np.uint8)
    paint[:60] = (90, 140, 220)
    paint[60:] = (60, 120, 40)
    native_out = inject.paint_to_image(tiny_model, paint, injection_scale=1)  # auto: ladder
    model_out = inject.paint_to_image(tiny_model, paint, injection_scale=1, resolution="model")
    assert native_out.shape == model_out.shape == (120, 160, 3)
    assert lap(native_out).mean() > 2 * lap(model_out).mean()
    samples = upscale.generate_at_size(tiny_model, (96, 128), n=2, seed=1)
    assert [s.shape for s in samples] == [(96, 128, 3)] * 2 and not np.array_equal(*samples)


def test_super_resolution_keeps_the_input_colours(tiny_model, tiny_rgb):
    for factor in (2, 4):
        out = super_resolve(tiny_model, tiny_rgb, factor=factor)
        down = to_array(resize(to_tensor(out), tiny_rgb.shape[:2])).astype(np.float64)
        assert np.abs(down - tiny_rgb).mean() < 2  # grey levels


def test_bad_choices_are_one_line_errors(tiny_model, big):
    img, mask = big
    with pytest.raises(ConfigError, match="resolution must be one of"):
        inject.harmonize(tiny_model, img, mask, resolution="full")
    with pytest.raises(ConfigError, match="method must be one of"):
        inject.edit(tiny_model, img, mask, method="poisson")


def test_cli_resolution_method_and_region(tiny_model, big, tmp_path, capsys):
    from singan_core.checkpoint import save_checkpoint
    from singan_core.cli import main
    from singan_core.imageio import load_image, save_image

    img, mask = big
    save_checkpoint(tiny_model, tmp_path / "m.singan")
    save_image(img, tmp_path / "big.png")
    save_image(mask, tmp_path / "mask.png")
    base = ["harmonize", tmp_path / "m.singan", tmp_path / "big.png", tmp_path / "mask.png", "--dilation", "3",
            "--blur", "2", "--injection-scale", "1", "--device", "cpu"]  # fmt: skip
    assert main([str(a) for a in base + ["--method", "bands", "--out", tmp_path / "full.png"]]) == 0
    full = load_image(tmp_path / "full.png")
    assert full.shape == img.shape and lap(full)[mask > 0].mean() > 0.8 * lap(img)[mask > 0].mean()
    assert main([str(a) for a in base + ["--method", "bands", "--region", "--out", tmp_path / "r.png"]]) == 0
    err = capsys.readouterr().err
    reach = masks.support_radius(3, 2.0) + 2
    assert f"at x={60 - reach}, y={40 - reach} of 256x192" in err
    layer = load_image(tmp_path / "r.png")
    assert layer.shape == (40 + 2 * reach, 50 + 2 * reach, 4)
    inside = layer[:, :, 3] > 0
    rows, cols = slice(40 - reach, 40 + reach + 40), slice(60 - reach, 60 + reach + 50)
    assert np.array_equal(layer[inside][:, :3], full[rows, cols][inside])
    assert main([str(a) for a in base + ["--resolution", "model", "--out", tmp_path / "m.png"]]) == 0
    assert lap(load_image(tmp_path / "m.png"))[mask > 0].mean() < 0.5 * lap(img)[mask > 0].mean()
    assert main(["paint2image", str(tmp_path / "m.singan"), str(tmp_path / "big.png"), "--upscaler", "plain",
                 "--out", str(tmp_path / "p.png")]) == 0  # fmt: skip
    assert load_image(tmp_path / "p.png").shape == img.shape
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([str(a) for a in base + ["--resolution", "huge"]])
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_ladder_method_synthesizes_detail_only_around_the_mask(tiny_model, big):
    img, mask = big
    kw = dict(injection_scale=1, dilation=3, blur_sigma=2.0)
    out = inject.edit(tiny_model, img, mask, method="ladder", **kw)
    far = far_from(mask, masks.support_radius(3, 2.0))
    assert out.shape == img.shape and np.array_equal(out[far], img[far])
    inside = mask > 0
    change = out.astype(np.int32) - img
    # the high frequencies inside are the model's (the change is not smooth), unlike ``delta``'s
    assert lap(change)[inside].mean() > 0.5 * lap(img)[inside].mean()
    x = to_tensor(img[:24, :32])
    roi = (slice(700, 740), slice(900, 950))  # tiles are 384 px: the top-left one misses it
    part = upscale.upscale(tiny_model, x, (768, 1024), roi=roi)
    plain = upscale.upscale(tiny_model, x, (768, 1024), method="plain")
    assert lap(part[roi]).mean() > 2 * lap(plain[roi]).mean()
    assert part.shape == (768, 1024, 3)
