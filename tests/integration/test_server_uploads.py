"""Issue 18: layers bigger than one message travel in pieces (UploadImage) and are named by upload_id.

A real server with a 4 MiB message limit and a tiny trained model: each RPC that takes an Image answers
the same through an upload as with the pixels in the request; the client library uploads on its own
when a layer is over the limit; unknown, used and expired uploads are NOT_FOUND; bad upload streams get
INVALID_ARGUMENT / RESOURCE_EXHAUSTED; an unauthenticated upload is refused before it is read."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from host_plugin.client import Client, InvalidArgument, RawImage
from host_plugin.client.upload import chunks
from inference_server.server import build_server
from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc

QUICK = {"train.iterations": 4, "train.lr_decay_iteration": 3, "train.d_steps": 1, "train.g_steps": 1}
W, H = 32, 24
LIMIT = 4 << 20
TOKEN = "upload-test-token-0123456789"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Client, str, np.ndarray]]:
    arr = np.random.default_rng(5).integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    folder = tmp_path_factory.mktemp("models")
    with (
        build_server(port=0, models_dir=folder, max_message_bytes=LIMIT, upload_ttl_s=2.0) as srv,
        Client(address=srv.address) as client,
    ):
        done = client.train(RawImage(W, H, 3, arr.tobytes()), preset="tiny", overrides=QUICK)
        assert done.state == "SUCCEEDED", done.error
        yield srv, client, done.model_id, arr


@pytest.fixture()
def stub(setup) -> Iterator[singan_pb2_grpc.SinGANStub]:
    options = [("grpc.max_send_message_length", 64 << 20)]
    with grpc.insecure_channel(setup[0].address, options=options) as channel:
        yield singan_pb2_grpc.SinGANStub(channel)


def layer(w: int, h: int, seed: int, *, channels: int = 4, depth: int = 8) -> pb.Image:
    """A random layer with a rectangular selection in its middle."""
    rng = np.random.default_rng(seed)
    dtype = np.uint16 if depth == 16 else np.uint8
    pixels = rng.integers(0, 2**depth, size=(h, w, channels), dtype=dtype)
    if channels == 4:
        pixels[..., 3] = 2**depth - 1
    mask = np.zeros((h, w), np.uint8)
    mask[h // 4 : h // 2, w // 4 : w // 2] = 255
    data = pixels.astype("<u2").tobytes() if depth == 16 else pixels.tobytes()
    return pb.Image(
        width=w, height=h, channels=channels, bit_depth=depth, pixels=data, mask=mask.tobytes(), offset_x=7
    )


def send(stub: singan_pb2_grpc.SinGANStub, image: pb.Image) -> pb.Image:
    """The image's header naming a fresh upload of its bytes."""
    reply = stub.UploadImage(chunks(image, chunk_bytes=50_000), timeout=60)
    assert len(reply.upload_id) >= 32 and reply.expires_in_s == 2
    named = pb.Image()
    named.CopyFrom(image)
    named.ClearField("pixels")
    named.ClearField("mask")
    named.upload_id = reply.upload_id
    return named


def code_of(call: Callable, request: object) -> tuple[grpc.StatusCode, str]:
    try:
        result = call(request, timeout=120)
        if hasattr(result, "__next__"):
            list(result)
    except grpc.RpcError as exc:
        return exc.code(), exc.details()
    return grpc.StatusCode.OK, ""


# -- every RPC that takes an Image accepts an upload_id -------------------------------------------
# name -> (method, request from the model id and two layers)
KINDS: dict[str, tuple[str, Callable[[str, pb.Image, pb.Image], object]]] = {
    "harmonize": ("Harmonize", lambda m, a, b: pb.HarmonizeRequest(model_id=m, composite=a, seed=3)),
    "edit": ("Edit", lambda m, a, b: pb.EditRequest(model_id=m, image=a, seed=3, region_only=True)),
    "paint_to_image": ("PaintToImage", lambda m, a, b: pb.PaintToImageRequest(model_id=m, paint=a, seed=3)),
    "super_resolve": ("SuperResolve", lambda m, a, b: pb.SuperResolveRequest(model_id=m, image=a, factor=2)),
    "instant_variations": ("InstantVariations", lambda m, a, b: pb.InstantVariationsRequest(image=a, n=2)),
    "instant_fill": ("InstantFill", lambda m, a, b: pb.InstantFillRequest(image=a, source=b, seed=3)),
    "instant_edit": ("InstantEdit", lambda m, a, b: pb.InstantEditRequest(original=a, edited=b, seed=3)),
    "extend_canvas": ("ExtendCanvas", lambda m, a, b: pb.ExtendCanvasRequest(image=a, left=8, top=4)),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_image_rpc_answers_the_same_through_an_upload(setup, stub, kind: str) -> None:
    _, _, model_id, _ = setup
    a, b = layer(40, 30, seed=1), layer(40, 30, seed=2)
    method, build = KINDS[kind]
    expected = getattr(stub, method)(build(model_id, a, b), timeout=120)
    two = kind in ("instant_fill", "instant_edit")  # the others would leave b's upload waiting
    got = getattr(stub, method)(build(model_id, send(stub, a), send(stub, b) if two else b), timeout=120)
    assert got.SerializeToString(deterministic=True) == expected.SerializeToString(deterministic=True)
    assert got.ByteSize() > 40 * 30


def test_train_through_an_upload_finds_the_same_model(setup, stub) -> None:
    _, _, model_id, arr = setup
    image = pb.Image(width=W, height=H, channels=3, bit_depth=8, pixels=arr.tobytes())
    overrides = {k: str(v) for k, v in QUICK.items()}
    request = pb.TrainRequest(image=send(stub, image), preset="tiny", overrides=overrides)
    events = list(stub.Train(request, timeout=120))
    assert events[-1].model.model_id == model_id and events[-1].reused


def test_the_client_uploads_a_layer_over_the_limit_by_itself(setup, stub) -> None:
    srv, client, model_id, _ = setup
    big = layer(760, 700, seed=2, depth=16)  # 8 bytes a pixel + the mask: 4.8 MB, over the 4 MiB limit
    request = pb.EditRequest(model_id=model_id, image=big, seed=3, region_only=True)
    assert request.ByteSize() > LIMIT
    # an old client sending it in one message gets RESOURCE_EXHAUSTED
    code, message = code_of(stub.Edit, request)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in message
    result = client.edit(model_id, RawImage.from_proto(big), seed=3, region_only=True)
    assert result.bit_depth == 16 and result.channels == 4 and result.offset_x >= big.offset_x
    assert srv._parts.servicer.uploads.pending == (0, 0)  # used once, then gone


def test_a_training_image_over_the_limit_goes_by_upload_too(setup) -> None:
    _, client, _, _ = setup
    # 4.4 MB, fully transparent: refused once decoded, which shows it arrived
    transparent = RawImage(1100, 1000, 4, bytes(1100 * 1000 * 4))
    with pytest.raises(InvalidArgument, match="fully transparent"):
        client.train(transparent, preset="tiny", overrides=QUICK)


# -- unknown, used and expired uploads ------------------------------------------------------------
def test_unknown_used_and_expired_uploads_are_not_found(setup, stub) -> None:
    _, _, model_id, _ = setup
    image = layer(40, 30, seed=1)
    unknown = pb.Image()
    unknown.CopyFrom(image)
    unknown.ClearField("pixels")
    unknown.ClearField("mask")
    unknown.upload_id = "0" * 32
    code, message = code_of(stub.Edit, pb.EditRequest(model_id=model_id, image=unknown))
    assert code == grpc.StatusCode.NOT_FOUND and "unknown" in message and "UploadImage" in message

    named = send(stub, image)
    assert code_of(stub.Edit, pb.EditRequest(model_id=model_id, image=named))[0] == grpc.StatusCode.OK
    code, message = code_of(stub.Edit, pb.EditRequest(model_id=model_id, image=named))
    assert code == grpc.StatusCode.NOT_FOUND and "already used" in message

    named = send(stub, image)
    time.sleep(2.7)  # the server's upload_ttl_s is 2; its sweeper runs every 0.5 s
    assert setup[0]._parts.servicer.uploads.pending == (0, 0)  # dropped without waiting for a call
    folder = Path(setup[0].config.models_path) / "models"
    assert not list(folder.glob(".upload-img-*"))
    code, message = code_of(stub.Edit, pb.EditRequest(model_id=model_id, image=named))
    assert code == grpc.StatusCode.NOT_FOUND and "expired" in message


def test_an_upload_must_match_the_header_that_names_it(setup, stub) -> None:
    _, _, model_id, _ = setup
    named = send(stub, layer(40, 30, seed=1))
    named.width = 30
    named.height = 40
    code, message = code_of(stub.Edit, pb.EditRequest(model_id=model_id, image=named))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "does not match its upload" in message
    both = send(stub, layer(40, 30, seed=1))
    both.pixels = bytes(40 * 30 * 4)
    code, message = code_of(stub.Edit, pb.EditRequest(model_id=model_id, image=both))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "not both" in message


# -- bad upload streams -----------------------------------------------------------------------------
def header_chunk(w: int = 10, h: int = 10, c: int = 3, pixel_bytes: int | None = None, mask: int = 0):
    size = w * h * c if pixel_bytes is None else pixel_bytes
    return pb.ImageChunk(
        header=pb.Image(width=w, height=h, channels=c, bit_depth=8), pixel_bytes=size, mask_bytes=mask
    )


BAD_STREAMS = {
    "empty": ([], grpc.StatusCode.INVALID_ARGUMENT, "empty stream"),
    "no header": ([pb.ImageChunk(data=b"x" * 300)], grpc.StatusCode.INVALID_ARGUMENT, "header"),
    "wrong pixel count": ([header_chunk(pixel_bytes=299)], grpc.StatusCode.INVALID_ARGUMENT, "needs 300"),
    "bad mask count": ([header_chunk(mask=7)], grpc.StatusCode.INVALID_ARGUMENT, "mask_bytes"),
    "bad channels": ([header_chunk(c=5, pixel_bytes=500)], grpc.StatusCode.INVALID_ARGUMENT, "channels"),
    "too few bytes": (
        [header_chunk(), pb.ImageChunk(data=b"x" * 200)],
        grpc.StatusCode.INVALID_ARGUMENT,
        "200",
    ),
    "too many bytes": (
        [header_chunk(), pb.ImageChunk(data=b"x" * 200), pb.ImageChunk(data=b"x" * 200)],
        grpc.StatusCode.INVALID_ARGUMENT,
        "more bytes",
    ),
    "second header": ([header_chunk(), header_chunk()], grpc.StatusCode.INVALID_ARGUMENT, "only the first"),
    "over max pixels": (
        [header_chunk(w=10000, h=10000, pixel_bytes=300_000_000)],
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "MP",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_STREAMS))
def test_bad_upload_streams_get_a_status_and_leave_no_file(setup, stub, case: str) -> None:
    srv = setup[0]
    stream, expected, words = BAD_STREAMS[case]
    code, message = code_of(stub.UploadImage, iter(stream))
    assert code == expected and words in message, message
    assert srv._parts.servicer.uploads.pending == (0, 0)
    assert not list((Path(srv.config.models_path) / "models").glob(".upload-img-*"))


def test_waiting_uploads_are_bounded(tmp_path: Path) -> None:
    image = layer(20, 10, seed=1)
    with (
        build_server(port=0, models_dir=tmp_path, max_pending_uploads=3) as srv,
        grpc.insecure_channel(srv.address) as channel,
    ):
        stub = singan_pb2_grpc.SinGANStub(channel)
        ids = [stub.UploadImage(chunks(image), timeout=30).upload_id for _ in range(3)]
        code, message = code_of(stub.UploadImage, chunks(image))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "at most 3" in message
        assert len(set(ids)) == 3 and srv._parts.servicer.uploads.pending[0] == 3
    with (
        build_server(port=0, models_dir=tmp_path, max_pending_upload_bytes=2000) as srv,
        grpc.insecure_channel(srv.address) as channel,
    ):
        stub = singan_pb2_grpc.SinGANStub(channel)
        stub.UploadImage(chunks(image), timeout=30)  # 800 + 200 bytes
        stub.UploadImage(chunks(image), timeout=30)
        code, message = code_of(stub.UploadImage, chunks(image))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "already waiting" in message


def test_an_upload_over_the_memory_budget_is_refused_from_its_header(tmp_path: Path) -> None:
    with (
        build_server(port=0, models_dir=tmp_path, max_memory_bytes=100 << 20) as srv,
        grpc.insecure_channel(srv.address) as channel,
    ):
        stub = singan_pb2_grpc.SinGANStub(channel)
        chunk = header_chunk(w=6000, h=5000, c=4)  # 120 MB, only the header is sent
        code, message = code_of(stub.UploadImage, iter([chunk]))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "--max-memory-gb" in message


def test_an_unauthenticated_upload_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with (
        build_server(port=0, models_dir=tmp_path, token=TOKEN) as srv,
        grpc.insecure_channel(srv.address) as channel,
    ):
        stub = singan_pb2_grpc.SinGANStub(channel)
        big = layer(1000, 1000, seed=1)
        for metadata in ((), (("authorization", "Bearer wrong-token-0123456789"),)):
            with pytest.raises(grpc.RpcError) as info:
                stub.UploadImage(chunks(big), metadata=metadata, timeout=30)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert srv._parts.servicer.uploads.pending == (0, 0)
        assert not list((tmp_path / "models").glob(".upload-img-*"))
        ok = stub.UploadImage(chunks(big), metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=30)
        assert ok.upload_id


def test_server_info_reports_the_limits(setup) -> None:
    limits = setup[1].server_info().limits
    assert limits.max_message_bytes == LIMIT
    assert limits.max_upload_bytes == 64_000_000 * 9


def test_the_default_message_limit_is_64_mib() -> None:
    from inference_server.__main__ import build_parser, config_from_args

    config = config_from_args(build_parser().parse_args([]))
    assert config.max_message_bytes == 64 << 20 and config.max_send_message_bytes == 1 << 30


def test_a_client_that_read_a_higher_limit_asks_again(setup) -> None:
    srv, _, model_id, _ = setup
    big = layer(760, 700, seed=2, depth=16)  # over the server's 4 MiB
    with Client(address=srv.address) as client:
        client.server_info()
        client._aio._limits = pb.Limits(
            max_message_bytes=64 << 20, max_upload_bytes=1 << 30
        )  # as before a restart
        result = client.edit(model_id, RawImage.from_proto(big), seed=3, region_only=True)
        assert result.bit_depth == 16 and client._aio._limits.max_message_bytes == LIMIT
