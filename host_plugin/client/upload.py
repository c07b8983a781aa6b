"""Layers bigger than the server's message limit travel in pieces (``UploadImage``).

The request keeps the image's header (size, format, offsets) and names the uploaded bytes by
``Image.upload_id``; the server puts the bytes back before the call runs. Pure Python, no numpy.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message

from singan_api import singan_pb2 as pb

#: Any gRPC server takes messages of 4 MiB; below this a request is sent without asking the server.
ALWAYS_FITS = (4 << 20) - (64 << 10)
#: Room left under the server's limit for the message's framing and other fields.
MARGIN = 64 << 10
#: Bytes per ImageChunk.
UPLOAD_CHUNK = 1 << 20


def images_in(msg: Message) -> Iterator[pb.Image]:
    """Every ``Image`` inside ``msg`` (at any depth) that carries pixels."""
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        for item in [value] if isinstance(value, Message) else value:  # a repeated field or a map's keys
            if isinstance(item, pb.Image):
                if item.pixels:
                    yield item
            elif isinstance(item, Message):
                yield from images_in(item)


def to_upload(request: Message, max_message_bytes: int) -> list[pb.Image]:
    """The images of ``request`` to send ahead (largest first) so that the rest fits in one message."""
    size = request.ByteSize()
    limit = max_message_bytes - MARGIN
    chosen: list[pb.Image] = []
    for image in sorted(images_in(request), key=lambda im: len(im.pixels) + len(im.mask), reverse=True):
        if size <= limit:
            break
        chosen.append(image)
        size -= len(image.pixels) + len(image.mask)
    return chosen


def chunks(image: pb.Image, chunk_bytes: int = UPLOAD_CHUNK) -> Iterator[pb.ImageChunk]:
    """The ImageChunk stream of one image: the header with the byte counts, then pixels, then mask."""
    header = pb.Image()
    header.CopyFrom(image)
    header.ClearField("pixels")
    header.ClearField("mask")
    yield pb.ImageChunk(header=header, pixel_bytes=len(image.pixels), mask_bytes=len(image.mask))
    for data in (image.pixels, image.mask):
        view = memoryview(data)
        for start in range(0, len(data), chunk_bytes):
            yield pb.ImageChunk(data=bytes(view[start : start + chunk_bytes]))


def too_large_message(request_bytes: int, limit: int, address: str) -> str:
    """What to say when a request was over the server's limit and could not be uploaded in pieces."""
    return (
        f"the request ({request_bytes / 2**20:.1f} MiB) is over the message limit of the SinGAN server at "
        f"{address} ({limit / 2**20:.0f} MiB) and that server cannot take images in pieces; update the "
        "server, start it with a larger --max-message-mb, or send smaller layers"
    )
