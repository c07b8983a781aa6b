"""The server's heartbeat: a running job publishes at least every second, even while training reports
nothing (its set-up, a long scale), and the shown fraction never goes back."""

from __future__ import annotations

import time

import numpy as np
import pytest

from host_plugin.client import Client, RawImage
from inference_server import jobs
from inference_server.server import build_server
from singan_core.train import TrainProgress


def test_updates_keep_coming_while_training_is_silent(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    def silent_train(image, config, *, progress, should_stop, **_kw):
        progress(TrainProgress(scale=0, num_scales=3, iteration=10, iterations=100, elapsed_s=1.0, eta_s=9.0))
        time.sleep(4.5)  # a long stretch without a report
        progress(TrainProgress(scale=1, num_scales=3, iteration=0, iterations=100, elapsed_s=5.5, eta_s=30.0))
        raise RuntimeError("stop here")

    monkeypatch.setattr(jobs, "train", silent_train)
    server = build_server(port=0, models_dir=tmp_path)
    try:
        pixels = np.random.default_rng(0).integers(0, 255, (24, 32, 3), dtype=np.uint8).tobytes()
        updates = []
        with Client(address=server.address) as client:
            client.train(RawImage(32, 24, 3, pixels), preset="tiny", on_update=updates.append)
    finally:
        server.stop()
    running = [u for u in updates if u.state == "RUNNING" and u.num_scales]
    quiet = [u for u in running if u.scale == 0]
    assert len(quiet) >= 4, [(u.elapsed_s, u.eta_s) for u in running]  # the report, then >= 3 beats
    assert all(b.elapsed_s > a.elapsed_s for a, b in zip(quiet, quiet[1:], strict=False))  # time moves on
    assert all(b.eta_s < a.eta_s for a, b in zip(quiet, quiet[1:], strict=False))  # and the ETA counts down
    fractions = [u.fraction for u in running]
    assert fractions == sorted(fractions)  # the ETA jump 4 s -> 30 s at scale 2 does not pull it back
    assert updates[-1].state == "FAILED" and updates[-1].error == "stop here"
