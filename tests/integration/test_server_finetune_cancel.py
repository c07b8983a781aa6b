"""Harmonize with fine-tuning in one call (issue 16, item 4; what old clients use, kept beside the FineTune
job of test_server_finetune_job.py): the tuning runs training's step with the call's should_stop, so a
client that cancels or whose deadline passes does not leave it running, and the log says so."""

from __future__ import annotations

import importlib
import logging
import time

import grpc
import numpy as np
import pytest

from inference_server.rpc import status_for
from inference_server.server import build_server
from inference_server.store import ModelStore
from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc
from singan_core.errors import TrainingDiverged

finetune = importlib.import_module("singan_core.tasks.finetune")


def test_fine_tuning_stops_when_the_call_is_over(tiny_model, tmp_path, monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO, logger="singan.server")
    monkeypatch.setattr(finetune, "default_iterations", lambda model: 10**6)  # hours, unless stopped
    ended: list[str] = []
    run = finetune.run_guarded

    def watched(*args, **kwargs):  # noqa: ANN002, ANN003
        try:
            return run(*args, **kwargs)
        except BaseException as exc:
            ended.append(type(exc).__name__)
            raise

    monkeypatch.setattr(finetune, "run_guarded", watched)
    model_id = ModelStore(tmp_path).save_model(tiny_model, name="m").model_id
    h, w = tiny_model.image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    mask[4:10, 6:14] = 255
    composite = pb.Image(
        width=w, height=h, channels=3, bit_depth=8, pixels=tiny_model.image.tobytes(), mask=mask.tobytes()
    )
    request = pb.HarmonizeRequest(model_id=model_id, fine_tune=True, composite=composite)
    with build_server(port=0, models_dir=tmp_path) as srv, grpc.insecure_channel(srv.address) as channel:
        stub = singan_pb2_grpc.SinGANStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.Harmonize(request, timeout=5)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        over = time.monotonic()
        while not ended and time.monotonic() - over < 60:
            time.sleep(0.1)
    assert ended == ["TrainingCancelled"]
    stopped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("harmonize stopped ")]
    assert len(stopped) == 1 and "after its call ended" in stopped[0]


def test_a_diverged_fine_tuning_is_one_line_not_internal(tiny_model) -> None:
    code, message = status_for(
        TrainingDiverged("fine-tuning diverged at scale 2 of 3, iteration 1", tiny_model)
    )
    assert code == grpc.StatusCode.ABORTED and "\n" not in message
