"""Issue 18, finding 2 (model integrity) against a real server: ids from the file's contents, no silent
replacement, checksums, damaged models listed as damaged while the others list fine, leftovers removed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from safetensors import safe_open
from safetensors.torch import save_file

from host_plugin.client import Client, RawImage
from inference_server.server import build_server
from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc

QUICK = {"train.iterations": 4, "train.lr_decay_iteration": 3, "train.d_steps": 1, "train.g_steps": 1}
W, H = 32, 24


def make_image(seed: int) -> RawImage:
    arr = np.random.default_rng(seed).integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    return RawImage(W, H, 3, arr.tobytes())


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, bytes, bytes]:
    """Two trained models' ids and files (trained once for the module)."""
    with (
        build_server(port=0, models_dir=tmp_path_factory.mktemp("train")) as srv,
        Client(address=srv.address) as c,
    ):
        ids = [c.train(make_image(seed), preset="tiny", overrides=QUICK).model_id for seed in (1, 2)]
        folder = Path(srv.config.models_path) / "models"
        files = [(folder / f"{model_id}.singan").read_bytes() for model_id in ids]
    return ids[0], ids[1], files[0], files[1]


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[object, singan_pb2_grpc.SinGANStub, Path]]:
    with build_server(port=0, models_dir=tmp_path) as srv, grpc.insecure_channel(srv.address) as channel:
        yield srv, singan_pb2_grpc.SinGANStub(channel), tmp_path / "models"


def upload(stub: singan_pb2_grpc.SinGANStub, data: bytes, name: str = "") -> pb.ModelInfo:
    chunks = [pb.FileChunk(data=data[i : i + 20000], name=name) for i in range(0, max(1, len(data)), 20000)]
    return stub.ImportModel(iter(chunks), timeout=60)


def code_of(fn, *args) -> tuple[grpc.StatusCode, str]:  # noqa: ANN001
    try:
        result = fn(*args)
        if hasattr(result, "__next__"):
            list(result)
    except grpc.RpcError as exc:
        return exc.code(), exc.details()
    return grpc.StatusCode.OK, ""


def rewrite(data: bytes, tmp_path: Path, edit) -> bytes:  # noqa: ANN001
    """The model file with its metadata changed by ``edit(meta)`` (tensors and checksum kept)."""
    src, dst = tmp_path / "src.singan", tmp_path / "dst.singan"
    src.write_bytes(data)
    with safe_open(str(src), framework="pt") as f:
        meta = json.loads(f.metadata()["singan"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    edit(meta)
    save_file(tensors, str(dst), metadata={"singan": json.dumps(meta)})
    return dst.read_bytes()


def test_import_takes_the_id_from_the_contents_and_never_replaces(server, exported, tmp_path: Path) -> None:
    _, stub, _ = server
    first_id, second_id, first, second = exported
    assert upload(stub, first, "original").model_id == first_id  # the id training gave it
    # a file claiming another model's id lands under the id of what it holds, so it cannot replace it
    claims = rewrite(second, tmp_path, lambda meta: meta.update(model_id=first_id))
    assert upload(stub, claims).model_id == second_id
    # the same contents again: refused, the first stays
    code, message = code_of(upload, stub, first, "again")
    assert code == grpc.StatusCode.ALREADY_EXISTS and "delete it first" in message
    assert stub.GetModel(pb.GetModelRequest(model_id=first_id)).name == "original"
    stub.DeleteModel(pb.DeleteModelRequest(model_id=first_id))
    assert upload(stub, first, "replaced").name == "replaced"


@pytest.mark.parametrize("where", ["import", "on disk"])
def test_flipped_tensor_bytes_are_found(server, exported, where: str) -> None:
    _, stub, folder = server
    first_id, second_id, first, second = exported
    damaged = first[:-64] + bytes(b ^ 0x55 for b in first[-64:])
    if where == "import":
        code, message = code_of(upload, stub, damaged)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "checksum" in message
        return
    upload(stub, first)
    upload(stub, second)
    (folder / f"{first_id}.singan").write_bytes(damaged)
    listed = {m.model_id: m.problem for m in stub.ListModels(pb.ListModelsRequest()).models}
    assert "checksum" in listed[first_id] and listed[second_id] == ""
    for call, request in (
        (stub.Generate, pb.GenerateRequest(model_id=first_id)),
        (stub.ExportModel, pb.ExportModelRequest(model_id=first_id)),
    ):
        assert code_of(call, request)[0] == grpc.StatusCode.FAILED_PRECONDITION
    assert code_of(stub.Generate, pb.GenerateRequest(model_id=second_id))[0] == grpc.StatusCode.OK


def test_empty_model_file_and_damaged_sidecar_are_listed_as_damaged(server, exported) -> None:
    _, stub, folder = server
    first_id, second_id, first, second = exported
    upload(stub, first)
    upload(stub, second)
    (folder / f"{first_id}.singan").write_bytes(b"")
    (folder / f"{second_id}.json").write_bytes(b"\xff\xfe not json")
    listed = {m.model_id: m for m in stub.ListModels(pb.ListModelsRequest(include_thumbnails=True)).models}
    assert (
        listed[first_id].problem
        and listed[second_id].problem
        and "description file" in listed[second_id].problem
    )
    code, _ = code_of(stub.ExportModel, pb.ExportModelRequest(model_id=first_id))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    (folder / f"{second_id}.json").write_text(json.dumps({"model_id": second_id, "shapes": "x"}))
    assert len(stub.ListModels(pb.ListModelsRequest()).models) == 2


@pytest.mark.parametrize(
    "edit",
    [
        lambda meta: meta["shapes"].__setitem__(0, [30000, 30000]),
        lambda meta: meta["config"]["network"].update(base_channels=16384, max_channels=16384),
        lambda meta: meta.update(num_trained=7),
    ],
    ids=["shape-30000", "channels-16384", "num-trained"],
)
def test_crafted_metadata_is_refused_at_import(server, exported, tmp_path: Path, edit) -> None:  # noqa: ANN001
    _, stub, _ = server
    code, message = code_of(upload, stub, rewrite(exported[2], tmp_path, edit))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and message


def test_leftover_temporary_files_are_removed_at_start(tmp_path: Path, exported) -> None:
    models, jobs = tmp_path / "models", tmp_path / "jobs"
    models.mkdir()
    jobs.mkdir()
    (models / f"{exported[0]}.singan").write_bytes(exported[2])
    leftovers = [models / ".upload-abc.tmp", models / f".{exported[0]}.singan.x1.tmp", jobs / "k.npy.tmp"]
    for path in leftovers:
        path.write_bytes(b"partial")
    with build_server(port=0, models_dir=tmp_path):
        assert not any(path.exists() for path in leftovers)
        assert (models / f"{exported[0]}.singan").exists()
    shutil.rmtree(tmp_path / "models")
