"""Issue 18, finding 4 (and the request bounds of finding 1): every bad input gets INVALID_ARGUMENT or
RESOURCE_EXHAUSTED with a message, never INTERNAL; SIGTERM answers every waiting client with a status."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from host_plugin.client import Client, RawImage
from inference_server.server import build_server
from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc
from singan_core.config import config_to_dict, get_preset

QUICK = {"train.iterations": 4, "train.lr_decay_iteration": 3, "train.d_steps": 1, "train.g_steps": 1}
SLOW = {"train.iterations": 3000, "train.lr_decay_iteration": 2400}
W, H = 32, 24
INVALID, EXHAUSTED = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED


def make_image(seed: int) -> RawImage:
    arr = np.random.default_rng(seed).integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    return RawImage(W, H, 3, arr.tobytes())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[singan_pb2_grpc.SinGANStub, str]]:
    with (
        build_server(port=0, models_dir=tmp_path_factory.mktemp("models")) as srv,
        Client(address=srv.address) as client,
        grpc.insecure_channel(srv.address) as channel,
    ):
        done = client.train(make_image(1), preset="tiny", overrides=QUICK)
        assert done.state == "SUCCEEDED", done.error
        yield singan_pb2_grpc.SinGANStub(channel), done.model_id


def status_of(call, request) -> tuple[grpc.StatusCode, str]:  # noqa: ANN001
    try:
        call(request, timeout=60)
    except grpc.RpcError as exc:
        return exc.code(), exc.details()
    return grpc.StatusCode.OK, ""


def rgb(width: int, height: int, **fields: int) -> pb.Image:
    return pb.Image(
        width=width, height=height, channels=3, bit_depth=8, pixels=bytes(width * height * 3), **fields
    )


@pytest.mark.parametrize(
    ("scale", "code", "words"),
    [
        (float("nan"), INVALID, "finite"),
        (float("inf"), INVALID, "finite"),
        (-float("inf"), INVALID, "finite"),
        (-2.0, INVALID, "positive"),
        (1e308, EXHAUSTED, "limit"),
        (1e-308, INVALID, "positive"),
    ],
)
def test_generate_scale_out_of_range(served, scale: float, code: grpc.StatusCode, words: str) -> None:
    stub, model_id = served
    for field in ("scale_h", "scale_v"):
        got, message = status_of(stub.Generate, pb.GenerateRequest(model_id=model_id, **{field: scale}))
        assert got == code and words in message, (field, got, message)


def test_generate_n_times_pixels_is_bounded(served) -> None:
    stub, model_id = served
    request = pb.GenerateRequest(model_id=model_id, n=64, size=pb.Size(width=4000, height=4000))
    code, message = status_of(stub.Generate, request)
    assert code == EXHAUSTED and "64 samples of 4000x4000" in message
    ok, _ = status_of(stub.Generate, pb.GenerateRequest(model_id=model_id, n=2))
    assert ok == grpc.StatusCode.OK


@pytest.mark.parametrize("offset", [2**31 - 1, -(2**31), 2**30])
def test_super_resolve_offset_near_int32_limits(served, offset: int) -> None:
    stub, model_id = served
    request = pb.SuperResolveRequest(
        model_id=model_id, factor=2, image=rgb(W, H, offset_x=offset, offset_y=1)
    )
    code, message = status_of(stub.SuperResolve, request)
    assert code == INVALID and "offset" in message


@pytest.mark.parametrize("size", [(1, 3000), (3000, 1), (400, 3)])
def test_harmonize_fine_tune_on_an_elongated_image(served, size: tuple[int, int]) -> None:
    stub, model_id = served
    w, h = size
    request = pb.HarmonizeRequest(
        model_id=model_id, fine_tune=True, composite=rgb(w, h, mask=b"\xff" * (w * h))
    )
    code, message = status_of(stub.Harmonize, request)
    assert code == INVALID and "fine-tun" in message


def test_harmonize_fine_tune_on_another_aspect_than_the_model(served) -> None:
    """The fuzz's seed 17 case 1216: a 79x79 composite (the model's 32x24) answered INTERNAL."""
    stub, model_id = served
    request = pb.HarmonizeRequest(
        model_id=model_id, fine_tune=True, injection_scale=2, composite=rgb(79, 79, mask=b"\xff" * 79 * 79)
    )
    reply = stub.Harmonize(request, timeout=120)
    assert (reply.image.width, reply.image.height) == (79, 79)


def test_train_overrides_out_of_range(served) -> None:
    stub, _ = served
    image = rgb(W, H)
    for overrides in (
        {"network.base_channels": "16384", "network.max_channels": "16384"},
        {"train.iterations": "1e12"},
        {"train.lr_g": "nan"},
        {"pyramid.max_size": "100000"},
    ):
        request = pb.TrainRequest(image=image, preset="tiny", overrides=overrides)
        code, message = status_of(lambda r, timeout: list(stub.Train(r, timeout=timeout)), request)
        assert code == INVALID and message, (overrides, code)


def test_malformed_imports(served) -> None:
    stub, model_id = served
    good = b"".join(chunk.data for chunk in stub.ExportModel(pb.ExportModelRequest(model_id=model_id)))
    for data in (b"", b"hello" * 30, good[: len(good) // 2], good[:8] + b"\xff" * 64, bytes(8)):
        chunks = [pb.FileChunk(data=data[i : i + 7]) for i in range(0, max(1, len(data)), 7)]
        code, message = status_of(stub.ImportModel, iter(chunks))
        assert code == INVALID and ".tmp" not in message, (data[:16], code, message)


def test_sigterm_answers_running_and_queued_watchers(tmp_path: Path) -> None:
    srv = build_server(port=0, models_dir=tmp_path)
    results: dict[int, object] = {}

    def watch(seed: int) -> None:
        with Client(address=srv.address) as client:
            try:
                results[seed] = client.train(make_image(seed), preset="tiny", overrides=SLOW).state
            except Exception as exc:  # noqa: BLE001 - recorded, asserted below
                results[seed] = exc

    threads = [threading.Thread(target=watch, args=(seed,)) for seed in (2, 3, 4)]
    for thread in threads:
        thread.start()
        time.sleep(0.3)
    deadline = time.monotonic() + 30
    while srv.jobs.queue_length < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.jobs.queue_length == 3
    srv.stop()
    for thread in threads:
        thread.join(30)
    assert results == {2: "INTERRUPTED", 3: "INTERRUPTED", 4: "INTERRUPTED"}


def write_job(root: Path, config: dict) -> None:
    """A job record left RUNNING by a server that died, with its image."""
    jobs = root / "jobs"
    jobs.mkdir(parents=True)
    record = {
        "job_id": "ab" * 16,
        "model_id": "cd" * 16,
        "name": "left over",
        "preset": "tiny",
        "config": config,
        "sr_factor": 0,
        "created": time.time(),
        "state": "RUNNING",
    }
    (jobs / f"{'ab' * 16}.json").write_text(json.dumps(record))
    np.save(jobs / f"{'ab' * 16}.npy", np.zeros((H, W, 3), np.uint8))


@pytest.mark.parametrize(
    ("config", "budget", "reason"),
    [
        (
            {"preset": "tiny", "network": {"base_channels": 16384, "max_channels": 16384}},
            None,
            "max_channels",
        ),
        (config_to_dict(get_preset("tiny")), 1 << 20, "budget"),  # valid, but over this server's budget
    ],
    ids=["16384-channels", "over-budget"],
)
def test_a_job_that_cannot_fit_fails_instead_of_resuming(
    tmp_path: Path, config: dict, budget: int | None, reason: str
) -> None:
    write_job(tmp_path, config)
    with (
        build_server(port=0, models_dir=tmp_path, max_memory_bytes=budget) as srv,
        Client(address=srv.address) as client,
    ):
        assert srv.jobs.queue_length == 0
        (job,) = client.list_jobs()
        assert job.state == pb.JOB_STATE_FAILED and reason in job.error
    with build_server(port=0, models_dir=tmp_path) as srv:  # and it stays failed
        assert srv.jobs.queue_length == 0


def test_requests_over_the_memory_budget_are_refused_before_work(tmp_path: Path) -> None:
    with (
        build_server(port=0, models_dir=tmp_path, max_memory_bytes=400 << 20) as srv,
        Client(address=srv.address) as client,
        grpc.insecure_channel(srv.address) as channel,
    ):
        done = client.train(make_image(5), preset="tiny", overrides=QUICK)
        assert done.state == "SUCCEEDED", done.error
        stub = singan_pb2_grpc.SinGANStub(channel)
        big = pb.GenerateRequest(model_id=done.model_id, size=pb.Size(width=4000, height=3000))
        code, message = status_of(stub.Generate, big)
        assert code == EXHAUSTED and "--max-memory-gb" in message, message
        overrides = {
            "pyramid.max_size": "1024",
            "network.base_channels": "256",
            "network.max_channels": "256",
        }
        train = pb.TrainRequest(image=rgb(1024, 768), preset="tiny", overrides=overrides)
        code, message = status_of(lambda r, timeout: list(stub.Train(r, timeout=timeout)), train)
        assert code == EXHAUSTED and "budget" in message, message
        assert srv.jobs.queue_length == 0 and not client.list_jobs(active_only=True)
        assert (
            status_of(stub.Generate, pb.GenerateRequest(model_id=done.model_id, n=2))[0] == grpc.StatusCode.OK
        )
