"""A real server on a free loopback port with one tiny model trained on a random 32x24 image, for the
integration tests of the applications (one module-scoped fixture each, built here once)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from host_plugin.client import Client, RawImage
from inference_server.server import build_server

QUICK = {"train.iterations": 4, "train.lr_decay_iteration": 3, "train.d_steps": 1, "train.g_steps": 1}
W, H = 32, 24


@contextmanager
def tiny_trained_server(
    tmp_path_factory: pytest.TempPathFactory, seed: int
) -> Iterator[tuple[Client, str, np.ndarray]]:
    """(client, model id, training image [H, W, 3] uint8); the server stops on exit."""
    arr = np.random.default_rng(seed).integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    with (
        build_server(port=0, models_dir=tmp_path_factory.mktemp("models")) as srv,
        Client(address=srv.address) as c,
    ):
        done = c.train(RawImage(W, H, 3, arr.tobytes()), preset="tiny", overrides=QUICK)
        assert done.state == "SUCCEEDED", done.error
        yield c, done.model_id, arr
