"""EstimateTraining through a real server: the figure before any training (a device default, said so),
then measured from this server's own finished training; the model id and memory it reports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from host_plugin.client import Client, ClientError, RawImage
from inference_server.server import build_server
from inference_server.training_rates import RATES_FILE
from singan_core.budget import training_peak_bytes
from singan_core.config import get_preset, with_overrides
from singan_core.fingerprint import model_id
from singan_core.pyramid import plan_pyramid

QUICK = {"train.iterations": 6, "train.lr_decay_iteration": 5, "train.d_steps": 1, "train.g_steps": 1}
W, H = 40, 30


def test_estimate_before_and_after_a_training(tmp_path) -> None:
    arr = np.random.default_rng(5).integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    raw = RawImage(W, H, 3, arr.tobytes())
    config = with_overrides(get_preset("tiny"), {k: str(v) for k, v in QUICK.items()})
    with build_server(port=0, models_dir=tmp_path) as srv, Client(address=srv.address) as client:
        first = client.estimate_training(raw, preset="tiny", overrides=QUICK)
        assert first.basis.startswith("a default for this device (cpu)"), first.basis
        assert not first.measured and not first.already_trained
        assert 0 < first.low < first.seconds < first.high
        shapes = plan_pyramid(H, W, config.pyramid).shapes
        assert first.scale_sizes == tuple((w, h) for h, w in shapes)
        assert first.iterations == QUICK["train.iterations"]
        assert first.peak_memory_bytes == training_peak_bytes(config, H, W, 3)
        assert first.model_id == model_id(arr, config)

        done = client.train(raw, preset="tiny", overrides=QUICK)
        assert done.state == "SUCCEEDED" and done.model_id == first.model_id
        records = json.loads((tmp_path / "models" / RATES_FILE).read_text())
        assert [r["model_id"] for r in records] == [done.model_id]
        took = records[0]["seconds"]

        again = client.estimate_training(raw, preset="tiny", overrides=QUICK)
        assert again.basis == "measured on this server (1 training)" and again.measured
        assert again.already_trained and again.model_id == done.model_id
        # the law fitted to that very training gives its time back (a line through its scales' points)
        assert again.seconds == pytest.approx(took, rel=0.3)
        assert again.low <= took <= again.high

        bigger = client.estimate_training(raw, preset="tiny", overrides={**QUICK, "train.iterations": 60})
        assert bigger.seconds == pytest.approx(10 * again.seconds, rel=0.01)  # 10x the iterations
        assert not bigger.already_trained


def test_estimate_of_bad_input_is_one_clear_line(tmp_path) -> None:
    tiny = RawImage(8, 8, 3, bytes(8 * 8 * 3))
    with build_server(port=0, models_dir=tmp_path) as srv, Client(address=srv.address) as client:
        with pytest.raises(ClientError) as err:
            client.estimate_training(tiny, preset="fast")
        assert err.value.code == "INVALID_ARGUMENT" and "shorter side" in str(err.value)
        assert "\n" not in str(err.value) and "Traceback" not in str(err.value)
        with pytest.raises(ClientError, match="unknown preset"):
            client.estimate_training(RawImage(W, H, 3, bytes(W * H * 3)), preset="nope")
