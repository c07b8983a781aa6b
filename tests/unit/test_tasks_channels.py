"""One channel-matching rule and one alpha round trip, in the core (singan_core.tasks.channels)."""

from __future__ import annotations

import numpy as np
import pytest

from singan_core.tasks.channels import match_channels, restore_alpha, split_for_model, unlearned_alpha


def rgba(h: int = 6, w: int = 8, dtype: type = np.uint8) -> np.ndarray:
    rng = np.random.default_rng(0)
    top = np.iinfo(dtype).max
    return rng.integers(0, top, (h, w, 4), endpoint=True).astype(dtype)


@pytest.mark.parametrize(
    ("channels", "dtype", "shape_c"),
    [(1, np.uint8, 1), (2, np.uint8, 2), (3, np.uint16, 3), (4, np.uint16, 4)],
)
def test_match_channels_layout_and_depth(channels: int, dtype: type, shape_c: int) -> None:
    out = match_channels(rgba(), channels, dtype)
    assert out.shape == (6, 8, shape_c) and out.dtype == dtype and out.flags.c_contiguous


def test_grey_is_bt601_luma_rounded_and_opaque_alpha_is_added() -> None:
    img = np.zeros((1, 2, 3), np.uint8)
    img[0, 0] = (255, 0, 0)
    img[0, 1] = (10, 200, 30)
    grey = match_channels(img, 1, np.uint8)[:, :, 0]
    assert grey.tolist() == [[76, 124]]  # rint(0.299*255), rint(0.299*10 + 0.587*200 + 0.114*30)
    with_alpha = match_channels(img, 4, np.uint16)
    assert (with_alpha[:, :, 3] == 65535).all() and with_alpha[0, 1, 1] == 200 * 257


def test_unlearned_alpha_only_when_the_model_has_none() -> None:
    img = rgba()
    assert np.array_equal(unlearned_alpha(img, 3), img[:, :, 3:])
    assert unlearned_alpha(img, 4) is None  # learned: the task's result carries it
    assert unlearned_alpha(img[:, :, :3], 3) is None


def test_restore_alpha_same_size_converts_bit_depth() -> None:
    result = np.zeros((6, 8, 3), np.uint16)
    alpha = rgba()[:, :, 3:]
    out = restore_alpha(result, alpha)
    assert out.shape == (6, 8, 4) and out.dtype == np.uint16
    assert np.array_equal(out[:, :, 3:], alpha.astype(np.uint16) * 257)
    assert restore_alpha(result, None) is result


def test_restore_alpha_resizes_to_a_larger_result() -> None:
    alpha = np.zeros((4, 6, 1), np.uint8)
    alpha[:, 3:] = 255  # right half opaque
    out = restore_alpha(np.zeros((12, 18, 3), np.uint8), alpha)
    assert out.shape == (12, 18, 4)
    assert (out[:, :7, 3] == 0).all() and (out[:, 11:, 3] == 255).all()
    assert np.array_equal(out[:, :, 3], out[:1, :, 3].repeat(12, axis=0))  # rows stay identical


def test_split_for_model_keeps_the_bit_depth_and_takes_the_unlearned_alpha() -> None:
    img = rgba(dtype=np.uint16)
    arr, alpha = split_for_model(img, 1)
    assert arr.shape == (6, 8, 1) and arr.dtype == np.uint16
    assert np.array_equal(alpha, img[:, :, 3:])
    arr, alpha = split_for_model(img, 4)
    assert np.array_equal(arr, img) and alpha is None
