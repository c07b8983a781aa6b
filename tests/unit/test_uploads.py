"""The server's upload store on its own (a fake clock): bytes kept on disk and handed over once, expiry,
bounds counted while an upload is still arriving, the field walk that finds upload ids."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import grpc
import pytest

from inference_server.convert import RequestError
from inference_server.uploads import UploadLimits, UploadStore, uploaded_images
from singan_api import singan_pb2 as pb


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store(tmp_path: Path, clock: Clock, **limits: int) -> UploadStore:
    values = {"max_pixels": 10_000, "max_bytes": 50_000, "max_pending": 4, "max_pending_bytes": 100_000}
    values.update(limits)
    return UploadStore(tmp_path, UploadLimits(**values, ttl_s=60.0, memory_budget=None), clock=clock)


def stream(w: int, h: int, pixels: bytes, mask: bytes = b"", step: int = 7) -> list[pb.ImageChunk]:
    header = pb.Image(width=w, height=h, channels=1, bit_depth=8)
    data = pixels + mask
    first = pb.ImageChunk(header=header, pixel_bytes=len(pixels), mask_bytes=len(mask))
    return [first] + [pb.ImageChunk(data=data[i : i + step]) for i in range(0, len(data), step)]


async def feed(
    chunks: Iterable[pb.ImageChunk], fail_after: int | None = None
) -> AsyncIterator[pb.ImageChunk]:
    for i, chunk in enumerate(chunks):
        if fail_after is not None and i == fail_after:
            raise ConnectionError("client went away")
        yield chunk


def receive(s: UploadStore, chunks: list[pb.ImageChunk], **kw: int) -> pb.UploadedImage:
    return asyncio.run(s.receive(feed(chunks, **kw)))


def named(upload_id: str, w: int = 10, h: int = 10) -> pb.Image:
    return pb.Image(width=w, height=h, channels=1, bit_depth=8, upload_id=upload_id)


def test_bytes_are_handed_over_once_and_the_file_goes(tmp_path: Path) -> None:
    clock = Clock()
    s = store(tmp_path, clock)
    pixels, mask = bytes(range(100)), b"\xff" * 100
    reply = receive(s, stream(10, 10, pixels, mask))
    assert reply.expires_in_s == 60 and len(list(tmp_path.iterdir())) == 1
    assert s.pending == (1, 200)
    assert s.take(named(reply.upload_id), "image") == (pixels, mask)
    assert s.pending == (0, 0) and not list(tmp_path.iterdir())
    with pytest.raises(RequestError, match="already used") as info:
        s.take(named(reply.upload_id), "image")
    assert info.value.code == grpc.StatusCode.NOT_FOUND


def test_an_unused_upload_expires_and_its_file_is_removed(tmp_path: Path) -> None:
    clock = Clock()
    s = store(tmp_path, clock)
    first = receive(s, stream(10, 10, bytes(100)))
    second = receive(s, stream(10, 10, bytes(100)))
    clock.now += 59
    assert s.sweep() == 0
    clock.now += 2
    with pytest.raises(RequestError, match="expired"):  # taken after its time: refused, file removed
        s.take(named(first.upload_id), "image")
    assert s.sweep() == 1 and not list(tmp_path.iterdir()) and s.pending == (0, 0)  # the second
    with pytest.raises(RequestError, match="expired"):
        s.take(named(second.upload_id), "image")


def test_a_broken_stream_releases_its_reservation_and_file(tmp_path: Path) -> None:
    s = store(tmp_path, Clock())
    with pytest.raises(ConnectionError):
        receive(s, stream(10, 10, bytes(100)), fail_after=3)
    assert s.pending == (0, 0) and not list(tmp_path.iterdir())


def test_bounds_count_uploads_still_arriving(tmp_path: Path) -> None:
    s = store(tmp_path, Clock(), max_pending=2, max_pending_bytes=250)
    receive(s, stream(10, 10, bytes(100)))

    async def two_at_once() -> list[object]:
        gate = asyncio.Event()

        async def slow() -> AsyncIterator[pb.ImageChunk]:
            chunks = stream(10, 10, bytes(100))
            yield chunks[0]
            await gate.wait()
            for chunk in chunks[1:]:
                yield chunk

        arriving = asyncio.create_task(s.receive(slow()))
        await asyncio.sleep(0.01)  # its header is in: 2 uploads, 200 bytes counted
        third = await asyncio.gather(s.receive(feed(stream(5, 5, bytes(25)))), return_exceptions=True)
        gate.set()
        return [await arriving, *third]

    done, refused = asyncio.run(two_at_once())
    assert isinstance(done, pb.UploadedImage)
    assert isinstance(refused, RequestError) and refused.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_the_walk_finds_nested_and_repeated_images() -> None:
    request = pb.InstantEditRequest(original=named("a"), edited=pb.Image(width=1, height=1, pixels=b"x"))
    assert [(name, im.upload_id) for name, im in uploaded_images(request)] == [("original", "a")]
    response = pb.ImagesResponse(images=[named("b"), pb.Image(), named("c")])
    assert [name for name, _ in uploaded_images(response)] == ["images[0]", "images[2]"]
    event = pb.JobEvent(preview=named("d"))
    assert [name for name, _ in uploaded_images(event)] == ["preview"]
    assert list(uploaded_images(pb.TrainRequest(overrides={"a": "b"}))) == []


def test_a_folder_it_cannot_write_is_resource_exhausted(tmp_path: Path) -> None:
    s = store(tmp_path / "missing", Clock())
    with pytest.raises(RequestError, match="cannot store it") as info:
        receive(s, stream(10, 10, bytes(100)))
    assert info.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED and s.pending == (0, 0)
