"""``singan eval``: output, JSON, and one-line errors (no traceback) when the weights are missing."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from singan_core.checkpoint import save_checkpoint
from singan_core.cli import main
from singan_core.imageio import save_image
from singan_core.metrics import weights
from singan_core.metrics.weights import INSTALL_COMMAND, WEIGHTS_ENV, packaged_weights_path


@pytest.fixture
def no_installed_weights(monkeypatch):
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(weights, "packaged_weights_path", lambda: None)


@pytest.fixture(scope="module")
def model_file(tiny_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("eval") / "tiny.singan"
    save_checkpoint(tiny_model, path)
    return path


@pytest.fixture(scope="module")
def pictures(balloons_path, tmp_path_factory):
    """A real 96x128 image and two altered copies."""
    from singan_core.imageio import load_image

    real = load_image(balloons_path)[:96, :128]
    folder = tmp_path_factory.mktemp("pics")
    paths = []
    for name, arr in [("real", real), ("flip", real[:, ::-1]), ("noisy", _noisy(real))]:
        save_image(np.ascontiguousarray(arr), folder / f"{name}.png")
        paths.append(str(folder / f"{name}.png"))
    return paths


def _noisy(img: np.ndarray) -> np.ndarray:
    noise = np.random.default_rng(0).normal(0, 25, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["eval", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_sifid_without_weights_says_how_to_install_them(no_installed_weights, pictures, capsys):
    rc, out, err = _run(capsys, "sifid", pictures[0], pictures[1])
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and INSTALL_COMMAND in err and "Traceback" not in err


def test_model_eval_without_weights_says_how_to_install_them(no_installed_weights, model_file, capsys):
    rc, _, err = _run(capsys, "model", str(model_file), "--n", "2")
    assert rc == 2 and INSTALL_COMMAND in err and err.count("\n") == 1


def test_sifid_with_random_weights_is_marked(no_installed_weights, pictures, capsys):
    rc, out, err = _run(capsys, "sifid", pictures[0], *pictures, "--random-weights")
    assert rc == 0 and "NOT comparable" in out and "NOT comparable" in err
    rows = [r for r in out.strip().splitlines() if not r.startswith("#")]  # header, then one row per image
    assert rows[1].endswith("0.0000")  # real vs itself
    rc, out, _ = _run(capsys, "sifid", pictures[0], *pictures, "--random-weights", "--json")
    data = json.loads(out)
    assert data["pretrained"] is False and data["sifid"][pictures[0]] == pytest.approx(0.0, abs=1e-6)


def test_sifid_with_real_weights(pictures, capsys):
    if packaged_weights_path() is None:
        message = f"FID Inception weights not installed; install them with: {INSTALL_COMMAND}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    rc, out, err = _run(capsys, "sifid", pictures[0], *pictures, "--json", "--device", "cpu")
    assert rc == 0 and err == ""
    data = json.loads(out)
    assert data["pretrained"] is True and data["dims"] == 192
    real, flip, noisy = (data["sifid"][p] for p in pictures)
    assert real == pytest.approx(0.0, abs=1e-6) and 0 < flip < noisy


def test_niqe_command(data_dir, tmp_path, capsys):
    i04 = str(data_dir / "niqe-calibration" / "I04.png")
    rc, out, _ = _run(capsys, "niqe", i04, "--json")
    assert rc == 0 and json.loads(out)["niqe"][i04] == pytest.approx(3.6549, abs=0.02)
    small = tmp_path / "small.png"
    save_image(np.zeros((50, 60, 3), np.uint8), small)
    rc, out, err = _run(capsys, "niqe", i04, str(small))
    assert rc == 2 and "3.65" in out and "n/a" in out
    assert "too small" in err and "Traceback" not in err


def test_diversity_command(model_file, capsys):
    rc, out, _ = _run(capsys, "diversity", str(model_file), "--n", "4", "--json")
    data = json.loads(out)
    assert rc == 0 and data["n"] == 4 and data["diversity"] > 0
    rc, _, err = _run(capsys, "diversity", str(model_file), "--n", "1")
    assert rc == 2 and "--n must be at least 2" in err


def test_model_command_reports_both_start_scales(model_file, capsys):
    rc, out, _ = _run(capsys, "model", str(model_file), "--n", "4", "--random-weights", "--json")
    assert rc == 0
    data = json.loads(out)
    assert [s["start_scale"] for s in data["scales"]] == [0, 1]
    for s in data["scales"]:
        assert s["n"] == 4 and s["sifid_mean"] > 0 and s["diversity"] > 0
        assert s["niqe_mean"] is None  # 32 px samples are too small for NIQE
    assert data["pretrained"] is (packaged_weights_path() is not None)
    rc, out, _ = _run(capsys, "model", str(model_file), "--n", "3", "--random-weights", "--no-niqe")
    assert rc == 0 and "| N |" in out and "| N-1 |" in out
