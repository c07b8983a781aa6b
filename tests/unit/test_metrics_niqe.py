"""NIQE: MATLAB's official values on the calibration images, and the MATLAB-style resize."""

from __future__ import annotations

import numpy as np
import pytest

from singan_core.errors import ImageError
from singan_core.imageio import load_image
from singan_core.metrics.matlab_resize import imresize
from singan_core.metrics.niqe import niqe, pristine_model, to_grey

# MATLAB R2021a niqe() on the calibration images (see tests/data/README.md).
OFFICIAL = {"I03": 15.7536, "I04": 3.6549, "I06": 3.2355, "I08": 3.1840}


@pytest.mark.parametrize(("name", "expected"), sorted(OFFICIAL.items()))
def test_niqe_reproduces_matlab_on_calibration_images(data_dir, name, expected):
    img = load_image(data_dir / "niqe-calibration" / f"{name}.png")
    value = niqe(img)
    print(f"NIQE {name}: ours {value:.4f}, MATLAB {expected:.4f}, diff {value - expected:+.4f}")
    assert value == pytest.approx(expected, abs=0.02)


def test_pristine_parameters_ship_with_the_package():
    model = pristine_model()
    assert model.mean.shape == (36,) and model.cov.shape == (36, 36) and model.window.shape == (7, 7)
    assert np.allclose(model.cov, model.cov.T) and model.window.sum() == pytest.approx(1.0)


def test_grey_conversion_is_matlab_rgb2gray_rounded():
    px = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 200, 30]]], np.uint8)
    # rgb2gray(uint8): round(0.298936*R + 0.587043*G + 0.114021*B) -> 76, 150, 29, 124
    assert to_grey(px).tolist() == [[76.0, 150.0, 29.0, 124.0]]
    assert to_grey(px.astype(np.uint16) * 257).tolist() == [[76.0, 150.0, 29.0, 124.0]]
    assert to_grey(np.concatenate([px, np.zeros_like(px[:, :, :1])], axis=2)).tolist() == to_grey(px).tolist()


def test_niqe_of_grey_and_rgb_versions_agree(data_dir):
    img = load_image(data_dir / "niqe-calibration" / "I04.png")
    grey = to_grey(img).astype(np.uint8)
    assert niqe(grey) == pytest.approx(niqe(img), abs=1e-9)
    assert niqe(grey[:, :, None].astype(np.uint16) * 257) == pytest.approx(niqe(img), abs=1e-9)


def test_niqe_needs_two_blocks():
    with pytest.raises(ImageError, match="two 96x96 blocks"):
        niqe(np.zeros((100, 150, 3), np.uint8))


def test_imresize_output_size_is_matlab_ceil():
    assert imresize(np.zeros((7, 9)), 0.5).shape == (4, 5)
    assert imresize(np.zeros((96, 97, 3)), 0.5).shape == (48, 49, 3)


def test_imresize_keeps_constants_and_linear_ramps():
    assert np.allclose(imresize(np.full((20, 30), 7.0), 0.5), 7.0)
    ramp = np.tile(np.arange(40, dtype=np.float64), (16, 1))  # value = column index (0-based)
    out = imresize(ramp, 0.5)
    # output column j (0-based) is centred on input position 2j + 0.5; away from the mirrored borders
    # the normalised, symmetric kernel reproduces a linear function exactly
    centre = 2 * np.arange(out.shape[1]) + 0.5
    assert np.allclose(out[:, 4:-4], centre[4:-4], atol=1e-12)


def test_imresize_antialiasing_widens_the_kernel():
    impulse = np.zeros((1, 41))
    impulse[0, 20] = 1.0
    smooth = imresize(impulse, 0.5)[0]
    sharp = imresize(impulse, 0.5, antialias=False)[0]
    # bicubic support is +-2 input pixels; antialiased at x0.5 it is +-4 (kernel scaled by 1/scale)
    assert np.count_nonzero(np.abs(sharp) > 1e-12) == 2
    assert np.count_nonzero(np.abs(smooth) > 1e-12) == 4
    assert smooth.sum() == pytest.approx(0.5) and sharp.sum() == pytest.approx(0.5)  # every 2nd sample
