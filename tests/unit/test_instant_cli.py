"""``singan instant``, ``fill`` and ``extend``: outputs, bit depth and alpha kept, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from singan_core.cli import main
from singan_core.imageio import load_image, save_image


@pytest.fixture()
def photo(tmp_path, balloons_path):
    img = load_image(balloons_path)[:60, :80]
    path = tmp_path / "photo.png"
    save_image(img, path)
    return path, img


def test_instant_writes_a_variation_of_the_asked_size(tmp_path, photo, capsys):
    path, _ = photo
    out = tmp_path / "v.png"
    assert (
        main(["instant", str(path), "--out", str(out), "--size", "120x50", "--seed", "2", "--device", "cpu"])
        == 0
    )
    assert load_image(out).shape == (50, 120, 3)
    assert "wrote variation (120x50)" in capsys.readouterr().err


def test_fill_keeps_16_bit_alpha_and_the_outside(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 65535, size=(48, 64, 4), endpoint=True).astype(np.uint16)
    img[:, :, 3] = 40000
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 20:40] = 255
    save_image(img, tmp_path / "img.png")
    save_image(mask, tmp_path / "mask.png")
    out = tmp_path / "f.png"
    assert main(["fill", str(tmp_path / "img.png"), str(tmp_path / "mask.png"), "--out", str(out)]) == 0
    got = load_image(out)
    assert got.dtype == np.uint16 and got.shape == img.shape
    assert np.array_equal(got[mask == 0], img[mask == 0])


def test_fill_from_a_source_and_extend(tmp_path, photo):
    path, img = photo
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[20:40, 30:50] = 255
    save_image(mask, tmp_path / "mask.png")
    out = tmp_path / "f.png"
    args = ["fill", str(path), str(tmp_path / "mask.png"), "--source", str(path), "--out", str(out)]
    assert main(args) == 0
    assert load_image(out).shape == img.shape
    ext = tmp_path / "e.png"
    assert main(["extend", str(path), "--right", "20", "--top", "6", "--out", str(ext)]) == 0
    got = load_image(ext)
    assert got.shape == (66, 100, 3)
    assert np.array_equal(got[6:, :80], img)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["instant", "missing.png"], "missing.png: no such file"),
        (["fill", "{photo}", "{photo_mask_small}"], "the mask is 10x10 but the image is 80x60"),
        (["fill", "{photo}", "{black}"], "the mask is empty"),
        (["extend", "{photo}"], "at least one of them > 0"),
        (["extend", "{photo}", "--left", "-3", "--right", "4"], "borders must be >= 0"),
        (["instant", "{photo}", "--memory-mb", "1"], "memory_mb must be at least 16"),
        (["instant", "{photo}", "--size", "9000x9000", "--max-pixels", "1000000"], "over the limit"),
    ],
)
def test_one_line_errors(tmp_path, photo, capsys, argv, message):
    path, img = photo
    save_image(np.full((10, 10), 255, np.uint8), tmp_path / "small.png")
    save_image(np.zeros(img.shape[:2], np.uint8), tmp_path / "black.png")
    names = {"photo": path, "photo_mask_small": tmp_path / "small.png", "black": tmp_path / "black.png"}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("singan: error:") and len(err.splitlines()) == 1, err
    assert message in err


def test_bad_size_is_an_argparse_error(photo, capsys):
    path, _ = photo
    with pytest.raises(SystemExit) as exc:
        main(["instant", str(path), "--size", "40"])
    assert exc.value.code == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
