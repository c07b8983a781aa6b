"""Images sent in pieces (``UploadImage``) and named later by ``Image.upload_id``.

A layer bigger than one message (``--max-message-mb``) travels as a stream of ``ImageChunk``: a header
(the image's size and format, no pixels), then its pixel bytes and mask bytes. The bytes go to a temporary
file in the models folder (``.upload-img-*.tmp``, removed at the server's next start if it is killed), so
an upload in progress holds one chunk in memory. Uploads are bounded in number and in bytes, expire after
``ttl_s`` unused, and serve one request: :meth:`UploadStore.take` hands the bytes over and forgets them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf.message import Message

from singan_api import singan_pb2 as pb

from .convert import RequestError, check_image_header, invalid

#: How many finished ids are remembered to tell "already used" / "expired" from "unknown".
_REMEMBERED = 1024
#: Estimated peak memory of using an upload, as a multiple of its bytes: the bytes read from the file,
#: their copy in the request message, the decoded array (bench/hardening_recheck.py measured 3.7 for an
#: 8000x8000 RGBA layer with its mask used by Edit).
MEMORY_FACTOR = 4


def _not_found(upload_id: str, why: str) -> RequestError:
    return RequestError(
        grpc.StatusCode.NOT_FOUND, f"upload {upload_id[:64]!r} {why}; send the image again (UploadImage)"
    )


def _exhausted(message: str) -> RequestError:
    return RequestError(grpc.StatusCode.RESOURCE_EXHAUSTED, message)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


@contextmanager
def _storing() -> Iterator[None]:
    """A full disk or an unwritable folder is RESOURCE_EXHAUSTED with its reason, not INTERNAL."""
    try:
        yield
    except OSError as exc:
        raise _exhausted(f"upload: the server cannot store it ({exc.strerror or exc})") from None


@dataclass
class _Upload:
    header: pb.Image  # size, format and offsets; no pixels
    path: Path
    pixel_bytes: int
    mask_bytes: int
    expires: float

    @property
    def size(self) -> int:
        return self.pixel_bytes + self.mask_bytes


@dataclass(frozen=True)
class UploadLimits:
    max_pixels: int
    max_bytes: int  # one upload (pixels + mask)
    max_pending: int  # uploads in progress or waiting to be used
    max_pending_bytes: int  # their bytes together (on disk)
    ttl_s: float
    memory_budget: int | None  # the server's per-request memory budget


class UploadStore:
    """Uploads in progress and ready to use, under ``folder``. Thread-safe."""

    def __init__(
        self, folder: Path, limits: UploadLimits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.folder = Path(folder)
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._ready: dict[str, _Upload] = {}
        self._receiving = 0  # uploads in progress
        self._reserved = 0  # bytes of uploads in progress and ready
        self._gone: OrderedDict[str, str] = OrderedDict()  # finished id -> why it is no longer there

    # -- bookkeeping -------------------------------------------------------------------------------
    def _forget(self, upload_id: str, why: str) -> _Upload:
        """Drop a ready upload (lock held) and remember why; returns it."""
        upload = self._ready.pop(upload_id)
        self._reserved -= upload.size
        self._gone[upload_id] = why
        while len(self._gone) > _REMEMBERED:
            self._gone.popitem(last=False)
        return upload

    def sweep(self) -> int:
        """Delete the expired uploads; returns how many."""
        now = self._clock()
        with self._lock:
            expired = [self._forget(k, "expired") for k, u in list(self._ready.items()) if u.expires <= now]
        for upload in expired:
            upload.path.unlink(missing_ok=True)
        return len(expired)

    @property
    def pending(self) -> tuple[int, int]:
        """(uploads in progress or ready, their bytes)."""
        with self._lock:
            return self._receiving + len(self._ready), self._reserved

    def close(self) -> None:
        with self._lock:
            uploads = [self._forget(k, "was dropped when the server stopped") for k in list(self._ready)]
        for upload in uploads:
            upload.path.unlink(missing_ok=True)

    # -- receiving ---------------------------------------------------------------------------------
    def _check_header(self, chunk: pb.ImageChunk) -> tuple[pb.Image, int, int]:
        if not chunk.HasField("header"):
            raise invalid(
                "upload: the first ImageChunk must carry `header` (width, height, channels, bit_depth) "
                "and the byte counts"
            )
        header = pb.Image()
        header.CopyFrom(chunk.header)
        if header.pixels or header.mask or header.upload_id:
            raise invalid("upload: the header carries no pixels, mask or upload_id; send the bytes as `data`")
        header.bit_depth = header.bit_depth or 8
        check_image_header(header, what="upload", max_pixels=self.limits.max_pixels)
        w, h = header.width, header.height
        expected = w * h * header.channels * header.bit_depth // 8
        if chunk.pixel_bytes != expected:
            raise invalid(
                f"upload: pixel_bytes is {chunk.pixel_bytes} but {w}x{h}x{header.channels} at "
                f"{header.bit_depth} bit needs {expected}"
            )
        if chunk.mask_bytes not in (0, w * h):
            raise invalid(f"upload: mask_bytes must be 0 (no mask) or width*height = {w * h}")
        size = chunk.pixel_bytes + chunk.mask_bytes
        if size > self.limits.max_bytes:
            raise _exhausted(
                f"upload: {_mib(size)} is over this server's upload limit of {_mib(self.limits.max_bytes)}"
            )
        budget = self.limits.memory_budget
        if budget is not None and MEMORY_FACTOR * size > budget:
            raise _exhausted(
                f"upload: using a {_mib(size)} image needs about {_mib(MEMORY_FACTOR * size)} of memory, "
                f"over this server's budget of {_mib(budget)} (--max-memory-gb); send a smaller layer"
            )
        return header, chunk.pixel_bytes, chunk.mask_bytes

    def _reserve(self, size: int) -> None:
        self.sweep()
        lim = self.limits
        with self._lock:
            count = self._receiving + len(self._ready)
            if count >= lim.max_pending:
                raise _exhausted(
                    f"upload: {count} uploads are already waiting on this server (at most {lim.max_pending}); "
                    f"they are used by the requests that name them or dropped after {lim.ttl_s:g} s"
                )
            if self._reserved + size > lim.max_pending_bytes:
                raise _exhausted(
                    f"upload: {_mib(self._reserved)} of uploads are already waiting; {_mib(size)} more "
                    f"would pass this server's {_mib(lim.max_pending_bytes)}; try again shortly"
                )
            self._receiving += 1
            self._reserved += size

    def _release(self, size: int, ready: bool) -> None:
        with self._lock:
            self._receiving -= 1
            if not ready:
                self._reserved -= size

    async def receive(self, chunks: AsyncIterator[pb.ImageChunk]) -> pb.UploadedImage:
        """Read one upload stream; its bytes go to a temporary file, one chunk in memory at a time."""
        iterator = chunks.__aiter__()
        try:
            first = await iterator.__anext__()
        except StopAsyncIteration:
            raise invalid("upload: empty stream; send a header chunk, then the bytes") from None
        header, pixel_bytes, mask_bytes = self._check_header(first)
        size = pixel_bytes + mask_bytes
        self._reserve(size)
        ready = False
        path: Path | None = None
        try:
            with _storing():
                fd, name = tempfile.mkstemp(dir=self.folder, prefix=".upload-img-", suffix=".tmp")
            path = Path(name)
            received = 0
            with os.fdopen(fd, "wb") as fh:
                chunk = first
                while True:
                    if chunk is not first and chunk.HasField("header"):
                        raise invalid("upload: only the first ImageChunk carries a header")
                    received += len(chunk.data)
                    if received > size:
                        raise invalid(
                            f"upload: more bytes than announced ({size} = pixel_bytes + mask_bytes)"
                        )
                    with _storing():
                        fh.write(chunk.data)
                    try:
                        chunk = await iterator.__anext__()
                    except StopAsyncIteration:
                        break
            if received != size:
                raise invalid(
                    f"upload: the stream ended after {received} of the {size} bytes announced; send them all"
                )
            upload_id = secrets.token_hex(16)
            with self._lock:
                self._ready[upload_id] = _Upload(
                    header, path, pixel_bytes, mask_bytes, self._clock() + self.limits.ttl_s
                )
            ready = True
            return pb.UploadedImage(upload_id=upload_id, expires_in_s=int(self.limits.ttl_s))
        finally:
            self._release(size, ready)
            if not ready and path is not None:
                path.unlink(missing_ok=True)

    # -- using -------------------------------------------------------------------------------------
    def take(self, msg: pb.Image, what: str) -> tuple[bytes, bytes]:
        """The pixel and mask bytes of the upload ``msg.upload_id`` names, which is then forgotten
        (an upload serves one request). Blocking (reads the file): call it off the event loop."""
        upload_id = msg.upload_id
        now = self._clock()
        with self._lock:
            upload = self._ready.get(upload_id)
            if upload is None:
                why = self._gone.get(upload_id)
                if why == "used":
                    raise _not_found(upload_id, "was already used (an upload serves one request)")
                if why is not None:
                    raise _not_found(upload_id, why)
                raise _not_found(upload_id, "is unknown to this server (uploads do not outlive a restart)")
            expired = upload.expires <= now
            self._forget(upload_id, "expired" if expired else "used")
        try:
            if expired:
                raise _not_found(upload_id, f"expired (unused for {self.limits.ttl_s:g} s)")
            if msg.pixels or msg.mask:
                raise invalid(f"{what}: set either pixels (and mask) or upload_id, not both")
            h = upload.header
            if (msg.width, msg.height, msg.channels, msg.bit_depth or 8) != (
                h.width,
                h.height,
                h.channels,
                h.bit_depth,
            ):
                raise invalid(
                    f"{what}: {msg.width}x{msg.height}x{msg.channels} at {msg.bit_depth or 8} bit does not match "
                    f"its upload ({h.width}x{h.height}x{h.channels} at {h.bit_depth} bit)"
                )
            with open(upload.path, "rb") as fh:
                pixels = fh.read(upload.pixel_bytes)
                mask = fh.read(upload.mask_bytes)
            return pixels, mask
        finally:
            upload.path.unlink(missing_ok=True)


def uploaded_images(msg: Message, path: str = "") -> Iterator[tuple[str, pb.Image]]:
    """Every ``Image`` inside ``msg`` (at any depth) that names an upload, with its field path."""
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        single = isinstance(value, Message)  # else a repeated field (or a map: its keys are skipped)
        for i, item in enumerate([value] if single else value):
            name = f"{path}{field.name}" + ("" if single else f"[{i}]")
            if isinstance(item, pb.Image):
                if item.upload_id:
                    yield name, item
            elif isinstance(item, Message):
                yield from uploaded_images(item, name + ".")


async def resolve_uploads(store: UploadStore, request: object) -> None:
    """Put the uploaded bytes into every Image of ``request`` that names an upload (in place)."""
    if not isinstance(request, Message):  # a request stream (ImportModel, UploadImage)
        return
    loop = asyncio.get_running_loop()
    for what, image in list(uploaded_images(request)):
        pixels, mask = await loop.run_in_executor(None, store.take, image, what)
        image.upload_id = ""
        image.pixels = pixels
        image.mask = mask
