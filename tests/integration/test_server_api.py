"""The real server in-process on a free loopback port, driven through the pure-Python client."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from host_plugin.client import (
    AsyncClient,
    Cancelled,
    CancelToken,
    Client,
    InvalidArgument,
    NotFound,
    RawImage,
    ResourceExhausted,
    pb,
)
from host_plugin.client.errors import ClientError
from inference_server.server import build_server

# Tiny preset, cut down further so a whole training takes a few seconds on a loaded 2-core CPU.
QUICK = {"train.iterations": 4, "train.lr_decay_iteration": 3, "train.d_steps": 1, "train.g_steps": 1}
SLOW = {"train.iterations": 400, "train.lr_decay_iteration": 300, "train.d_steps": 1, "train.g_steps": 1}


def make_image(seed: int, w: int = 32, h: int = 24, channels: int = 3) -> RawImage:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)
    arr[: h // 2] //= 2  # some structure
    return RawImage(w, h, channels, arr.tobytes())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = build_server(port=0, models_dir=tmp_path_factory.mktemp("models"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    with Client(address=server.address) as c:
        yield c


@pytest.fixture(scope="module")
def trained(client):
    updates = []
    done = client.train(
        make_image(1), preset="tiny", overrides=QUICK, name="fixture", on_update=updates.append
    )
    assert done.state == "SUCCEEDED", done.error
    return done, updates


def test_server_info(client) -> None:
    info = client.server_info()
    assert info.api_version == "v1"
    assert info.device.kind == "cpu" and info.device.name
    assert {"train", "generate"} <= set(info.capabilities)
    assert "tiny" in info.presets
    assert info.limits.max_message_bytes > 4 << 20
    assert not info.auth_required


def test_train_streams_progress_previews_and_model(trained) -> None:
    done, updates = trained
    assert updates[0].job_id and updates[0].model_id == done.model_id
    running = [u for u in updates if u.state == "RUNNING"]
    assert running and running[-1].num_scales == 3
    scales = [u.scale for u in running]
    assert scales == sorted(scales) and scales[-1] == 2
    previews = [u for u in running if u.preview is not None]
    assert len(previews) == 3  # one per finished scale
    assert previews[0].preview.width < previews[-1].preview.width
    assert all(u.elapsed_s >= 0 for u in running)
    assert done.model is not None and done.model.complete and done.model.num_scales == 3
    assert done.fraction == 1.0


def test_same_image_and_config_reuses_the_model(client, trained) -> None:
    again = client.train(make_image(1), preset="tiny", overrides=QUICK)
    assert again.reused and again.state == "SUCCEEDED" and again.model_id == trained[0].model_id


def test_generate_samples_and_sizes(client, trained) -> None:
    model_id = trained[0].model_id
    samples = client.generate(model_id, n=3, seed=5)
    assert [(s.width, s.height, s.channels, s.bit_depth) for s in samples] == [(32, 24, 3, 8)] * 3
    assert samples[0].pixels != samples[1].pixels
    assert client.generate(model_id, n=1, seed=5)[0].pixels == samples[0].pixels  # reproducible
    wide = client.generate(model_id, size=(50, 20))[0]
    assert (wide.width, wide.height) == (50, 20)
    stretched = client.generate(model_id, scale_h=2.0)[0]
    assert stretched.width == 64 and stretched.height == 24
    assert client.generate(model_id, start_scale=1)[0].width == 32


def test_model_management_and_export_import(client, trained, tmp_path: Path) -> None:
    model_id = trained[0].model_id
    listed = {m.model_id: m for m in client.list_models(include_thumbnails=True)}
    info = listed[model_id]
    assert info.name == "fixture" and info.preset == "tiny" and info.complete
    assert info.thumbnail.width == 32 and len(info.thumbnail.pixels) == 32 * 24 * 3
    assert [(s.width, s.height) for s in info.scale_sizes][-1] == (32, 24)
    assert client.rename_model(model_id, "renamed\nlayer").name == "renamed layer"
    assert client.get_model(model_id).name == "renamed layer"
    size = client.export_model(model_id, str(tmp_path / "m.singan"))
    assert size == (tmp_path / "m.singan").stat().st_size > 0
    client.delete_model(model_id)
    with pytest.raises(NotFound):
        client.get_model(model_id)
    imported = client.import_model(str(tmp_path / "m.singan"), name="back again")
    assert imported.model_id == model_id and imported.name == "back again"
    assert len(client.generate(model_id, n=1)) == 1


def test_bad_inputs_get_actionable_statuses(client, trained) -> None:
    model_id = trained[0].model_id

    async def raw(method: str, request) -> None:
        async with AsyncClient(address=client.settings.address) as aio:
            stub = aio._stub
            call = getattr(stub, method)
            if method == "Train":
                async with call.open() as stream:
                    await stream.send_message(request, end=True)
                    async for _ in stream:
                        pass
            else:
                await call(request)

    def status(method: str, request) -> ClientError:
        from grpclib.exceptions import GRPCError

        try:
            asyncio.run(raw(method, request))
        except GRPCError as exc:
            return ClientError(exc.message, exc.status.name)
        raise AssertionError(f"{method} succeeded unexpectedly")

    img = pb.Image(width=4, height=4, channels=3, bit_depth=8, pixels=b"\0" * 47)
    err = status("Train", pb.TrainRequest(image=img, preset="tiny"))
    assert err.code == "INVALID_ARGUMENT" and "47 bytes" in err.message and "needs 48" in err.message
    err = status(
        "Train", pb.TrainRequest(image=pb.Image(width=0, height=4, channels=3, bit_depth=8), preset="tiny")
    )
    assert err.code == "INVALID_ARGUMENT" and "positive" in err.message
    err = status("Train", pb.TrainRequest(image=pb.Image(width=9000, height=9000, channels=4, bit_depth=8)))
    assert err.code == "RESOURCE_EXHAUSTED" and "limit" in err.message
    good = make_image(2).to_proto()
    err = status("Train", pb.TrainRequest(image=good, preset="huge"))
    assert err.code == "INVALID_ARGUMENT" and "tiny" in err.message  # lists the valid presets
    err = status("Train", pb.TrainRequest(image=good, preset="tiny", overrides={"train.nope": "1"}))
    assert err.code == "INVALID_ARGUMENT"
    bad_mask = make_image(2).to_proto()
    bad_mask.mask = b"\xff" * 10
    err = status("Harmonize", pb.HarmonizeRequest(model_id=model_id, composite=bad_mask))
    assert err.code == "INVALID_ARGUMENT" and "mask" in err.message
    err = status("Harmonize", pb.HarmonizeRequest(model_id=model_id, composite=good))
    assert err.code == "INVALID_ARGUMENT" and "mask" in err.message

    with pytest.raises(NotFound, match="no model"):
        client.generate("0123456789abcdef01234567")
    for evil in ("../../etc/passwd", "/etc/passwd", "..", "ABCDEF0123456789", "a" * 65, ""):
        with pytest.raises(InvalidArgument):
            client.get_model(evil)
        with pytest.raises(InvalidArgument):
            client.delete_model(evil)
    with pytest.raises(ResourceExhausted):
        client.generate(model_id, n=10_000)
    with pytest.raises(ResourceExhausted):
        client.generate(model_id, size=(100_000, 10))
    with pytest.raises(InvalidArgument):
        client.generate(model_id, start_scale=7)
    with pytest.raises(NotFound):
        client.cancel_job("0123456789abcdef")


def test_cancel_a_running_training_then_resume_it(client) -> None:
    image = make_image(3)
    seen: list = []
    first_scale_done = threading.Event()

    def on_update(u) -> None:
        seen.append(u)
        if u.preview is not None:
            first_scale_done.set()

    result: dict = {}
    worker = threading.Thread(
        target=lambda: result.update(
            done=client.train(
                image, preset="tiny", overrides=SLOW | {"train.iterations": 30}, on_update=on_update
            )
        )
    )
    worker.start()
    assert first_scale_done.wait(120), "no scale finished"
    job_id = seen[0].job_id
    assert client.cancel_job(job_id).job_id == job_id
    worker.join(60)
    done = result["done"]
    assert done.state == "CANCELLED" and 1 <= done.scales_done < 3
    partial = client.get_model(done.model_id)
    assert not partial.complete and partial.scales_done == done.scales_done
    from host_plugin.client import FailedPrecondition

    with pytest.raises(FailedPrecondition):
        client.generate(done.model_id)
    # Train again resumes from the saved scales instead of starting over.
    updates: list = []
    resumed = client.train(
        image, preset="tiny", overrides=SLOW | {"train.iterations": 30}, on_update=updates.append
    )
    assert resumed.state == "SUCCEEDED"
    trained_scales = {u.scale for u in updates if u.state == "RUNNING" and u.iteration > 0}
    assert min(trained_scales) >= done.scales_done


def test_disconnect_and_reattach(server) -> None:
    image = make_image(4)

    async def scenario() -> tuple[str, list]:
        async with AsyncClient(address=server.address) as aio:
            async for update in aio.train(image, preset="tiny", overrides=QUICK | {"train.iterations": 40}):
                job_id = update.job_id
                break  # leaving the loop closes the stream: the client is gone
        await asyncio.sleep(0.5)
        async with AsyncClient(address=server.address) as aio:
            # on a fast machine the job may already have finished: it must not have been cancelled
            states = {j.job_id: pb.JobState.Name(j.state) for j in await aio.list_jobs()}
            assert states.get(job_id) in {"JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"}, (
                "the job stopped when its client left"
            )
            updates = [u async for u in aio.watch_job(job_id)]
        return job_id, updates

    job_id, updates = asyncio.run(scenario())
    assert updates[-1].state == "SUCCEEDED" and updates[-1].model is not None
    assert all(u.job_id == job_id for u in updates)


def test_client_side_cancel_token_stops_the_call_not_the_job(client) -> None:
    token = CancelToken()
    got_update = threading.Event()

    def on_update(u) -> None:
        got_update.set()
        token.cancel()

    with pytest.raises(Cancelled):
        client.train(make_image(5), preset="tiny", overrides=SLOW, on_update=on_update, cancel=token)
    assert got_update.is_set()
    active = client.list_jobs(active_only=True)
    assert active, "the server-side job must keep running"
    for job in active:
        client.cancel_job(job.job_id)
    deadline = time.time() + 60
    while client.list_jobs(active_only=True) and time.time() < deadline:
        time.sleep(0.2)
    assert not client.list_jobs(active_only=True)


def test_large_layer_over_4_mib(client) -> None:
    """An 8000x8000 RGBA layer (256 MB) travels in one message and trains (downscaled by the pyramid)."""
    w = h = 8000
    row = (np.arange(w, dtype=np.uint32) * 255 // w).astype(np.uint8)
    arr = np.empty((h, w, 4), dtype=np.uint8)
    arr[:, :, 0] = row
    arr[:, :, 1] = row[:, None][:h]
    arr[:, :, 2] = 128
    arr[:, :, 3] = 255
    arr[:100, :100, 3] = 0  # a transparent corner so alpha is kept
    image = RawImage(w, h, 4, arr.tobytes())
    del arr
    assert len(image.pixels) == 256_000_000  # 61 times the default 4 MiB message limit
    done = client.train(image, preset="tiny", overrides=QUICK | {"train.iterations": 1}, name="big")
    assert done.state == "SUCCEEDED", done.error
    assert done.model.channels == 4 and max(done.model.width, done.model.height) == 32
