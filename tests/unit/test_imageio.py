import subprocess
import sys

import numpy as np
import pytest

from singan_core.config import get_preset
from singan_core.errors import CheckpointError, ImageError
from singan_core.imageio import decode_image, encode_png, load_image, prepare_training_image, save_image
from singan_core.tasks.sample import generate
from singan_core.train import train


def test_png16_round_trip_all_channel_counts(tmp_path):
    rng = np.random.default_rng(0)
    for c in (1, 2, 3, 4):
        a = rng.integers(0, 65536, (7, 9, c), dtype=np.uint16)
        path = tmp_path / f"x{c}.png"
        save_image(a, path)
        b = load_image(path)
        assert b.dtype == np.uint16 and np.array_equal(a, b)


def test_formats_round_trip(tmp_path, tiny_rgb):
    for ext in (".png", ".webp", ".tif", ".jpg"):
        save_image(tiny_rgb, tmp_path / f"a{ext}")
        back = load_image(tmp_path / f"a{ext}")
        assert back.shape == tiny_rgb.shape and back.dtype == np.uint8
    assert np.array_equal(load_image(tmp_path / "a.png"), tiny_rgb)


def test_unreadable_and_truncated_files(tmp_path, tiny_rgb):
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(ImageError, match="not a readable image"):
        load_image(tmp_path / "junk.png")
    data = encode_png(tiny_rgb)
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated"):
        load_image(tmp_path / "cut.png")
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="empty"):
        decode_image(b"")


def test_pixel_limit_and_transparency_policy(tiny_rgb):
    with pytest.raises(ImageError, match="over the limit"):
        prepare_training_image(tiny_rgb, max_pixels=100)
    rgba = np.dstack([tiny_rgb, np.zeros(tiny_rgb.shape[:2], np.uint8)])
    with pytest.raises(ImageError, match="fully transparent"):
        prepare_training_image(rgba)
    rgba[..., 3] = 255
    assert prepare_training_image(rgba).shape[2] == 3  # opaque alpha is dropped
    rgba[:, :10, 3] = 0
    kept = prepare_training_image(rgba)
    assert kept.shape[2] == 4
    assert len(np.unique(kept[:, :10, :3].reshape(-1, 3), axis=0)) == 1  # hidden colour flattened


def test_too_small_image_error(tmp_path):
    with pytest.raises(ImageError, match="shorter side"):
        train(np.zeros((10, 40, 3), np.uint8), get_preset("tiny"), device="cpu")


def test_grayscale_stays_grayscale_and_16_bit_stays_16_bit(tiny_rgb):
    grey = tiny_rgb.mean(axis=2, keepdims=True).astype(np.uint8)
    model = train(grey, get_preset("tiny"), device="cpu")
    out = generate(model)[0]
    assert out.shape == (*grey.shape[:2], 1) and out.dtype == np.uint8
    deep = tiny_rgb.astype(np.uint16) * 257
    model16 = train(deep, get_preset("tiny"), device="cpu")
    out16 = generate(model16)[0]
    assert out16.dtype == np.uint16 and out16.shape == deep.shape
    assert out16.max() > 255


def test_damaged_checkpoint_is_a_clear_error(tmp_path):
    from singan_core.checkpoint import load_checkpoint

    (tmp_path / "bad.singan").write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError, match="not a SinGAN Studio model file"):
        load_checkpoint(tmp_path / "bad.singan")
    with pytest.raises(CheckpointError, match="no such model file"):
        load_checkpoint(tmp_path / "none.singan")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b"garbage"), "not a readable image"),
        (lambda p: save_image(np.zeros((12, 12, 3), np.uint8), p), "shorter side"),
        (lambda p: save_image(np.zeros((40, 40, 4), np.uint8), p), "fully transparent"),
    ],
)
def test_cli_bad_input_is_one_line_without_traceback(tmp_path, make, message):
    path = tmp_path / "in.png"
    make(path)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "singan_core.cli",
            "train",
            str(path),
            "--preset",
            "tiny",
            "--out",
            str(tmp_path / "m"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert message in r.stderr and r.stderr.startswith("singan: error:")
    assert not (tmp_path / "m").exists()
