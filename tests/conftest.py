"""Shared fixtures: a tiny training image and a tiny trained model (trained once per session)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
ASSET = REPO / "singan_core" / "assets" / "balloons.png"


def tiny_image() -> np.ndarray:
    from singan_core.imageio import load_image
    from singan_core.pyramid import resize
    from singan_core.tensors import to_array, to_tensor

    img = load_image(ASSET)
    return to_array(resize(to_tensor(img), (24, 32)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``gpu`` need CUDA: they run only when ``-m`` names them (``bench/gpu.sh`` runs
    ``-m gpu``); otherwise they are deselected, and pytest's summary counts them as deselected."""
    if "gpu" in (config.getoption("markexpr") or ""):
        return
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if gpu:
        config.hook.pytest_deselected(items=gpu)
        items[:] = [item for item in items if not item.get_closest_marker("gpu")]


@pytest.fixture(scope="session")
def tiny_rgb() -> np.ndarray:
    return tiny_image()


@pytest.fixture(scope="session")
def tiny_model(tiny_rgb):
    from singan_core.config import get_preset
    from singan_core.train import train

    return train(tiny_rgb, get_preset("tiny"), device="cpu")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Files the tests read, shipped in the repository (origins and licences: tests/data/README.md)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def balloons_path() -> Path:
    """The paper's balloons.png (248x186), which ships with the package as its demo image."""
    return ASSET
