"""Issue 18: ImportModel replaces a model of the same (computed) id only when asked (FileChunk.replace),
keeping the old one until the new file is verified; `singan-server` on a taken port says one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from host_plugin.client import Client, ClientError, RawImage
from inference_server.server import build_server
from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc
from singan_core.checkpoint import load_checkpoint, save_checkpoint

QUICK = {"train.iterations": 4, "train.lr_decay_iteration": 3, "train.d_steps": 1, "train.g_steps": 1}
W, H = 32, 24


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes, bytes]:
    """A tiny model's id, its file, and a file of the same id (same image and config) with other weights."""
    arr = np.random.default_rng(9).integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    folder = tmp_path_factory.mktemp("train")
    with build_server(port=0, models_dir=folder) as srv, Client(address=srv.address) as c:
        model_id = c.train(RawImage(W, H, 3, arr.tobytes()), preset="tiny", overrides=QUICK).model_id
    path = folder / "models" / f"{model_id}.singan"
    model = load_checkpoint(path)
    with torch.no_grad():
        for p in model.generators[-1].parameters():
            p.add_(0.05 * torch.randn_like(p))
    other = folder / "other.singan"
    save_checkpoint(model, other)
    return model_id, path.read_bytes(), other.read_bytes()


@pytest.fixture()
def stub(tmp_path: Path) -> Iterator[singan_pb2_grpc.SinGANStub]:
    with build_server(port=0, models_dir=tmp_path) as srv, grpc.insecure_channel(srv.address) as channel:
        yield singan_pb2_grpc.SinGANStub(channel)


def import_(stub: singan_pb2_grpc.SinGANStub, data: bytes, *, replace: bool = False, name: str = ""):
    pieces = [data[i : i + 30000] for i in range(0, len(data), 30000)]
    first = pb.FileChunk(data=pieces[0], total_size=len(data), name=name, replace=replace)
    return stub.ImportModel(iter([first] + [pb.FileChunk(data=p) for p in pieces[1:]]), timeout=60)


def sample(stub: singan_pb2_grpc.SinGANStub, model_id: str) -> bytes:
    return stub.Generate(pb.GenerateRequest(model_id=model_id, seed=4), timeout=60).images[0].pixels


def test_import_replaces_only_when_asked(stub, files) -> None:
    model_id, original, other = files
    assert import_(stub, original, name="first").model_id == model_id
    before = sample(stub, model_id)  # now cached by the server
    with pytest.raises(grpc.RpcError) as info:
        import_(stub, other)
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS and "replace" in info.value.details()
    assert sample(stub, model_id) == before
    replaced = import_(stub, other, replace=True)
    assert replaced.model_id == model_id and replaced.name == "first"  # the name is kept
    after = sample(stub, model_id)
    assert after != before  # the new weights answer (the cached old model was evicted)
    assert import_(stub, original, replace=True, name="back").name == "back"
    assert sample(stub, model_id) == before


def test_a_damaged_replacement_leaves_the_old_model(stub, files, tmp_path: Path) -> None:
    model_id, original, _ = files
    import_(stub, original, name="kept")
    before = sample(stub, model_id)
    damaged = original[:-64] + bytes(b ^ 0x55 for b in original[-64:])
    with pytest.raises(grpc.RpcError) as info:
        import_(stub, damaged, replace=True)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "checksum" in info.value.details()
    kept = stub.GetModel(pb.GetModelRequest(model_id=model_id))
    assert kept.name == "kept" and kept.complete and not kept.problem
    assert sample(stub, model_id) == before
    assert not list((tmp_path / "models").glob("*.tmp"))


def test_import_of_a_model_a_job_is_training_is_refused(tmp_path: Path, files) -> None:
    model_id, original, _ = files
    same = np.random.default_rng(9).integers(0, 256, size=(H, W, 3), dtype=np.uint8)  # the files' image
    busy = np.random.default_rng(10).integers(0, 256, size=(H, W, 3), dtype=np.uint8)

    def train_request(arr: np.ndarray, iterations: int) -> pb.TrainRequest:
        overrides = {k: str(v) for k, v in {**QUICK, "train.iterations": iterations}.items()}
        image = pb.Image(width=W, height=H, channels=3, bit_depth=8, pixels=arr.tobytes())
        return pb.TrainRequest(image=image, preset="tiny", overrides=overrides)

    with build_server(port=0, models_dir=tmp_path) as srv, grpc.insecure_channel(srv.address) as channel:
        stub = singan_pb2_grpc.SinGANStub(channel)
        running = stub.Train(train_request(busy, 20000), timeout=120)  # keeps the one worker busy
        queued = stub.Train(train_request(same, QUICK["train.iterations"]), timeout=120)  # waits: model_id
        jobs = [next(running).job.job_id, next(queued).job]
        assert jobs[1].model_id == model_id
        for data, replace in ((original, False), (original, True)):
            with pytest.raises(grpc.RpcError) as info:
                import_(stub, data, replace=replace)
            assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert f"being trained by job {jobs[1].job_id}" in info.value.details()
        for job_id in (jobs[1].job_id, jobs[0]):
            stub.CancelJob(pb.CancelJobRequest(job_id=job_id))
        running.cancel()
        queued.cancel()


# -- a taken port --------------------------------------------------------------------------------------
def test_a_taken_port_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run(
            [sys.executable, "-m", "inference_server", "--port", str(port), "--models", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert errors == [
        f"singan-server: error: cannot listen on 127.0.0.1:{port}: the port is taken by another program or "
        "the address is not available here (choose another --port, or --port 0 for any free one)"
    ], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_port_another_singan_server_holds_is_taken_not_shared(tmp_path: Path) -> None:
    with build_server(port=0, models_dir=tmp_path / "a") as first:
        with pytest.raises(OSError, match="cannot listen on"):
            build_server(port=first.port, models_dir=tmp_path / "b")


def test_the_client_asks_for_replace(tmp_path: Path, files) -> None:
    model_id, original, other = files
    (tmp_path / "a.singan").write_bytes(original)
    (tmp_path / "b.singan").write_bytes(other)
    with build_server(port=0, models_dir=tmp_path / "m") as srv, Client(address=srv.address) as c:
        assert c.import_model(str(tmp_path / "a.singan"), name="a").model_id == model_id
        with pytest.raises(ClientError) as info:
            c.import_model(str(tmp_path / "b.singan"))
        assert info.value.code == "ALREADY_EXISTS"
        assert c.import_model(str(tmp_path / "b.singan"), replace=True).model_id == model_id


@pytest.mark.parametrize(
    "metadata",
    [
        '{"format": "singan-studio-model", "shapes": [[24, 32] oops',  # a flipped bit in the JSON (fuzz seed 3)
        '{"format": "singan-studio-model", "format_version": 1}',  # parses, holds nothing
        '["a list"]',
    ],
    ids=["broken-json", "empty", "not-an-object"],
)
def test_damaged_metadata_is_invalid_argument(stub, files, tmp_path: Path, metadata: str) -> None:
    src = tmp_path / "src.singan"
    src.write_bytes(files[1])
    with safe_open(str(src), framework="pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    save_file(tensors, str(tmp_path / "bad.singan"), metadata={"singan": metadata})
    with pytest.raises(grpc.RpcError) as info:
        import_(stub, (tmp_path / "bad.singan").read_bytes())
    assert (
        info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not a usable model" in info.value.details()
    )
