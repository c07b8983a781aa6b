"""The instant (training-free) patch engine: usage normalisation, fills that keep the outside bit for bit,
seeds, sizes, progress/cancel and the memory budget."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from PIL import Image

from singan_core.errors import ImageError
from singan_core.instant import (
    InstantCancelled,
    InstantConfig,
    edit,
    extend,
    fill,
    variation,
    variation_with_field,
)
from singan_core.instant.search import exact_nn

SMALL = InstantConfig(coarsest=14)


@pytest.fixture(scope="module")
def balloons_small(balloons_path) -> np.ndarray:
    return np.asarray(Image.open(balloons_path).convert("RGB").resize((64, 48), Image.BICUBIC))


def _used_fraction(image: np.ndarray, alpha: float | None, seed: int) -> float:
    cfg = InstantConfig(alpha=alpha, coarsest=14, exact_pairs=10**9, em_iterations=5)  # all levels exact
    _, field = variation_with_field(image, seed=seed, config=cfg)
    used = torch.unique(field.ky * 10_000 + field.kx).numel()
    return used / field.ky.numel()


def test_usage_normalisation_uses_most_source_patches(balloons_small):
    # balloons is mostly sky: plain nearest neighbours copy the same few sky patches over and over
    small = np.asarray(Image.fromarray(balloons_small).resize((48, 36), Image.BICUBIC))
    with_alpha = np.mean([_used_fraction(small, 0.005, s) for s in range(3)])
    plain = np.mean([_used_fraction(small, None, s) for s in range(3)])
    assert with_alpha >= 0.8, with_alpha
    assert with_alpha >= plain + 0.1, (with_alpha, plain)


@pytest.mark.parametrize("budget", [2**14, 2**30])
def test_exact_search_in_blocks_matches_one_block(budget):
    gen = torch.Generator().manual_seed(1)
    q, k = torch.randn(300, 6, generator=gen), torch.randn(250, 6, generator=gen)
    ref = (torch.cdist(q, k) ** 2 / (0.01 + (torch.cdist(q, k) ** 2).amin(0))).argmin(1)
    assert torch.equal(exact_nn(q, k, 0.01, budget), ref)


def test_same_seed_same_image_other_seed_other_image(balloons_small):
    a = variation(balloons_small, seed=3, config=SMALL)
    b = variation(balloons_small, seed=3, config=SMALL)
    c = variation(balloons_small, seed=4, config=SMALL)
    assert a.shape == balloons_small.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_any_size_and_aspect(balloons_small):
    out = variation(balloons_small, size=(40, 120), seed=0, config=SMALL)
    assert out.shape == (40, 120, 3)


def test_detail_levels_above_the_working_size(balloons_small):
    cfg = InstantConfig(coarsest=14, working_size=32)  # 64 px: one x2 refinement level at full size
    out = variation(balloons_small, seed=0, config=cfg)
    assert out.shape == balloons_small.shape
    assert np.abs(out.astype(int) - balloons_small.astype(int)).mean() < 60  # a picture, not noise


def _mask(hw, box):
    m = np.zeros(hw, np.uint8)
    r0, r1, c0, c1 = box
    m[r0:r1, c0:c1] = 255
    return m


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_fill_keeps_every_pixel_outside_the_mask(dtype, channels):
    rng = np.random.default_rng(0)
    top = np.iinfo(dtype).max
    img = rng.integers(0, top, size=(40, 56, channels), endpoint=True).astype(dtype)
    if channels == 4:
        img[:, :, 3] = np.where(np.arange(56) < 40, top, top // 2)
    mask = _mask((40, 56), (10, 22, 20, 35))
    out = fill(img, mask, seed=1, config=SMALL)
    assert out.dtype == img.dtype and out.shape == img.shape
    outside = mask == 0
    assert np.array_equal(out[outside], img[outside])
    assert not np.array_equal(out[~outside], img[~outside])


def test_fill_from_a_source_copies_the_source_look():
    img = np.zeros((48, 48, 3), np.uint8)
    img[:, :, 0] = 200  # red image
    source = np.zeros((32, 40, 3), np.uint8)
    source[:, :, 2] = 220  # blue source
    mask = _mask((48, 48), (12, 36, 12, 36))
    out = fill(img, mask, source=source, seed=0, config=SMALL)
    inner = out[18:30, 18:30].astype(int)
    assert inner[:, :, 2].mean() > 150 and inner[:, :, 0].mean() < 60
    assert np.array_equal(out[mask == 0], img[mask == 0])


def test_fill_continues_a_texture_without_a_seam():
    y, x = np.mgrid[0:64, 0:64]
    img = (127 + 100 * np.sin(x / 2.0))[:, :, None].repeat(3, 2).astype(np.uint8)  # vertical stripes
    mask = _mask((64, 64), (20, 44, 20, 44))
    out = fill(img, mask, seed=0, config=SMALL)
    err = np.abs(out.astype(int) - img.astype(int))[20:44, 20:44].mean()
    assert err < 25, err  # the stripes continue through the hole


def test_extend_keeps_the_image_and_outpaints_the_border(balloons_small):
    out = extend(balloons_small, left=8, top=0, right=16, bottom=4, seed=0, config=SMALL)
    assert out.shape == (52, 88, 3)
    assert np.array_equal(out[0:48, 8:72], balloons_small)
    border = out[:, 72:].astype(float)
    assert border.std() > 1  # not a flat colour
    assert abs(border.mean() - balloons_small[:, 48:].mean()) < 40  # continues the image, not washed out


def test_extend_of_a_thin_strip_starts_at_full_resolution():
    """A 400x10 strip grown to 400x610: no coarser level keeps a patch of the strip to copy, so the fill
    starts at the full-resolution level, which then searches globally (it had no field to refine and
    failed with AttributeError, found by bench/fuzz_server.py through ExtendCanvas)."""
    strip = np.random.default_rng(0).integers(0, 256, (10, 400, 3), dtype=np.uint8)
    out = extend(strip, 0, 300, 0, 300, seed=0)
    assert out.shape == (610, 400, 3)
    assert np.array_equal(out[300:310], strip)


def test_edit_with_mask_changes_only_the_mask(balloons_small):
    edited = balloons_small.copy()
    edited[10:20, 10:30] = balloons_small[30:40, 30:50]  # a pasted piece
    mask = _mask((48, 64), (8, 22, 8, 32))
    out = edit(balloons_small, edited, mask, seed=0, config=SMALL)
    assert np.array_equal(out[mask == 0], edited[mask == 0])


def test_progress_and_cancel(balloons_small):
    seen = []
    variation(balloons_small, seed=0, config=SMALL, progress=seen.append)
    assert seen[-1].level == seen[-1].num_levels - 1 and seen[-1].shape == (48, 64)
    with pytest.raises(InstantCancelled):
        variation(balloons_small, seed=0, config=SMALL, should_stop=lambda: True)


def test_bad_input_is_a_one_line_error(balloons_small):
    with pytest.raises(ImageError, match="mask is 10x10"):
        fill(balloons_small, np.zeros((10, 10), np.uint8))
    with pytest.raises(ImageError, match="mask is empty"):
        fill(balloons_small, np.zeros((48, 64), np.uint8))
    with pytest.raises(ImageError, match="no 7x7 patch"):
        fill(balloons_small, np.full((48, 64), 255, np.uint8))
    with pytest.raises(ImageError, match="at least 7x7"):
        variation(balloons_small[:5], seed=0)
    hole = np.zeros((48, 64), np.uint8)
    hole[20:30, 20:30] = 255
    with pytest.raises(ImageError, match="source must be at least 7x7 px, got 40x3"):
        fill(balloons_small, hole, source=balloons_small[:3, :40])


MEMORY_SCRIPT = textwrap.dedent(
    """
    import numpy as np, torch
    from singan_core.instant import InstantConfig, variation
    from singan_core.instant.search import exact_nn
    def peak():
        # This process's own high-water mark (VmHWM starts anew at exec). getrusage's ru_maxrss would also
        # count what the forking parent (a pytest process of a GiB, late in the suite) held before exec.
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    q, k = torch.randn(6000, 16), torch.randn(6000, 16)
    exact_nn(q, k, 0.005, 16 * 2**20)  # warm up kernels and thread pools
    base = peak()
    exact_nn(q, k, 0.005, 16 * 2**20)  # 16 MiB blocks
    small = peak() - base
    img = np.random.default_rng(0).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    variation(img, seed=0, config=InstantConfig(memory_mb=16, exact_pairs=36_000_000))
    variation_mb = peak() - base
    exact_nn(q, k, 0.005, 2**30)  # the whole 6000 x 6000 matrix (137 MiB) and its normalised copy
    print(small, peak() - base, variation_mb)
    """
)


def test_memory_stays_under_a_small_budget():
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT], capture_output=True, text=True, timeout=300, check=True
    )
    small, whole, variation_mb = (float(v) for v in run.stdout.split())
    assert whole > 130, whole  # the measure sees a big matrix...
    assert small < 50, small  # ...and the budgeted search does not make one
    assert variation_mb < 150, variation_mb  # a whole 320x240 variation (exact search up to 36M pairs)
