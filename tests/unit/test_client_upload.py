"""The client's upload path: which images go ahead in pieces, how they are cut, and what an older server
(no UploadImage) makes the client say."""

from __future__ import annotations

import asyncio

import pytest

from host_plugin.client import AsyncClient, ResourceExhausted
from host_plugin.client.upload import ALWAYS_FITS, chunks, to_upload
from singan_api import singan_pb2 as pb


def image(n: int, mask: int = 0) -> pb.Image:
    return pb.Image(width=n, height=1, channels=1, bit_depth=8, pixels=b"p" * n, mask=b"m" * mask)


def test_the_largest_images_go_ahead_until_the_rest_fits() -> None:
    request = pb.InstantEditRequest(original=image(3_000_000), edited=image(2_000_000, 2_000_000))
    assert [len(i.pixels) for i in to_upload(request, 5_000_000)] == [2_000_000]  # 4 MB of 7 go
    assert [len(i.pixels) for i in to_upload(request, 2_500_000)] == [2_000_000, 3_000_000]
    assert to_upload(request, 8_000_000) == []
    repeated = pb.ImagesResponse(images=[image(10), image(3_000_000)])  # repeated fields are walked too
    assert [len(i.pixels) for i in to_upload(repeated, 1_000_000)] == [3_000_000]


def test_chunks_carry_the_header_then_pixels_then_mask() -> None:
    src = pb.Image(width=5, height=2, channels=1, bit_depth=8, pixels=bytes(range(10)), mask=b"\xff" * 10)
    src.offset_x = 4
    out = list(chunks(src, chunk_bytes=4))
    head = out[0]
    assert head.header.width == 5 and head.header.offset_x == 4 and not head.header.pixels
    assert (head.pixel_bytes, head.mask_bytes) == (10, 10) and not head.data
    assert b"".join(c.data for c in out[1:]) == src.pixels + src.mask
    assert all(len(c.data) <= 4 for c in out[1:]) and not any(c.HasField("header") for c in out[1:])


def test_small_requests_go_as_they_are_without_asking_the_server() -> None:
    async def run() -> pb.EditRequest:
        client = AsyncClient(address="127.0.0.1:9")  # nothing listens: any call would fail
        try:
            request = pb.EditRequest(image=image(ALWAYS_FITS - 100))
            return await client._fit(request)
        finally:
            client.close()

    assert len(asyncio.run(run()).image.pixels) == ALWAYS_FITS - 100


def test_an_older_server_without_uploads_gets_a_clear_message() -> None:
    async def run() -> None:
        client = AsyncClient(address="127.0.0.1:9")
        client._limits = pb.Limits(max_message_bytes=4 << 20, max_upload_bytes=0)
        try:
            await client._fit(pb.EditRequest(image=image(6 << 20)))
        finally:
            client.close()

    with pytest.raises(ResourceExhausted, match="cannot take images in pieces.*smaller layers"):
        asyncio.run(run())
