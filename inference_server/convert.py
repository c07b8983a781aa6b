"""Proto messages <-> core types (numpy images, store records, job snapshots), with input validation.

Validation failures raise :class:`RequestError` carrying the gRPC status to answer with.
"""

from __future__ import annotations

import grpc
import numpy as np

from singan_api import singan_pb2 as pb

from .jobs import JobSnapshot
from .store import JobRecord, ModelRecord


class RequestError(Exception):
    """A request that cannot be served; ``code`` is the gRPC status, ``str()`` the message."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> RequestError:
    return RequestError(grpc.StatusCode.INVALID_ARGUMENT, message)


def check_image_header(msg: pb.Image, *, what: str, max_pixels: int) -> None:
    """Validate an image's size and format (not its bytes)."""
    w, h, c, depth = msg.width, msg.height, msg.channels, msg.bit_depth or 8
    if w <= 0 or h <= 0:
        raise invalid(f"{what}: width and height must be positive, got {w}x{h}")
    if c not in (1, 2, 3, 4):
        raise invalid(f"{what}: channels must be 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA), got {c}")
    if depth not in (8, 16):
        raise invalid(f"{what}: bit_depth must be 8 or 16, got {depth}")
    if w * h > max_pixels:
        raise RequestError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"{what}: {w}x{h} = {w * h / 1e6:.1f} MP is over this server's limit of {max_pixels / 1e6:.1f} MP; "
            "scale the image down or start the server with a larger --max-pixels",
        )


def image_from_proto(
    msg: pb.Image, *, what: str, max_pixels: int, need_mask: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate and convert; returns (HxWxC uint8/uint16 array, HxW uint8 mask or None).

    An ``upload_id`` was replaced by the upload's bytes before the call's handler ran (the ``rpc``
    decorators, through ``uploads.resolve_uploads``); one still set here was never resolved."""
    if msg.upload_id:
        raise RequestError(
            grpc.StatusCode.NOT_FOUND,
            f"{what}: upload {msg.upload_id[:64]!r} cannot be used by this call; send the pixels in the request",
        )
    check_image_header(msg, what=what, max_pixels=max_pixels)
    w, h, c, depth = msg.width, msg.height, msg.channels, msg.bit_depth or 8
    expected = w * h * c * depth // 8
    if len(msg.pixels) != expected:
        raise invalid(
            f"{what}: pixels has {len(msg.pixels)} bytes but {w}x{h}x{c} at {depth} bit needs {expected} "
            "(row-major, channels interleaved, 16-bit little-endian)"
        )
    dtype = np.dtype("<u2") if depth == 16 else np.dtype(np.uint8)
    arr = np.frombuffer(msg.pixels, dtype=dtype).reshape(h, w, c)
    arr = arr.astype(np.uint16 if depth == 16 else np.uint8, copy=True)
    mask = None
    if msg.mask:
        if len(msg.mask) != w * h:
            raise invalid(
                f"{what}: mask has {len(msg.mask)} bytes but must have width*height = {w * h} (8-bit)"
            )
        mask = np.frombuffer(msg.mask, dtype=np.uint8).reshape(h, w).copy()
    elif need_mask:
        raise invalid(f"{what}: a mask (selection) is required: width*height bytes, 255 = inside")
    if need_mask and mask is not None and not mask.any():
        raise invalid(f"{what}: the mask is empty (all zero); select the region to work on")
    return arr, mask


def image_to_proto(arr: np.ndarray, *, offset: tuple[int, int] = (0, 0)) -> pb.Image:
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, c = arr.shape
    depth = 16 if arr.dtype == np.uint16 else 8
    data = arr.astype("<u2").tobytes() if depth == 16 else np.ascontiguousarray(arr, dtype=np.uint8).tobytes()
    return pb.Image(
        width=w, height=h, channels=c, bit_depth=depth, pixels=data, offset_x=offset[0], offset_y=offset[1]
    )


def model_to_proto(record: ModelRecord, thumbnail: np.ndarray | None = None) -> pb.ModelInfo:
    info = pb.ModelInfo(
        model_id=record.model_id,
        name=record.name,
        preset=record.preset,
        created_unix=int(record.created),
        width=record.width,
        height=record.height,
        channels=record.channels,
        bit_depth=record.bit_depth,
        num_scales=record.num_scales,
        scales_done=record.scales_done,
        complete=record.complete,
        size_bytes=record.size_bytes,
        scale_sizes=[pb.Size(width=w, height=h) for h, w in record.shapes],
        config_json=record.config_json,
        image_hash=record.image_hash,
        super_resolution_factor=record.sr_factor,
        problem=record.problem,
    )
    if thumbnail is not None:
        info.thumbnail.CopyFrom(image_to_proto(thumbnail))
    return info


def job_to_proto(snap: JobSnapshot) -> pb.Job:
    r: JobRecord = snap.record
    p = snap.progress
    return pb.Job(
        job_id=r.job_id,
        model_id=r.model_id,
        state=r.state.proto,
        name=r.name,
        preset=r.preset,
        created_unix=int(r.created),
        finished_unix=int(r.finished),
        error=r.error,
        progress=pb.Progress(
            scale=p.scale,
            num_scales=p.num_scales,
            iteration=p.iteration,
            iterations=p.iterations,
            losses=p.losses,
            elapsed_s=p.elapsed_s,
            eta_s=p.eta_s,
            fraction=p.fraction,
        ),
        queue_position=snap.queue_position,
        scales_done=r.scales_done,
    )


def event_to_proto(snap: JobSnapshot) -> pb.JobEvent:
    event = pb.JobEvent(job=job_to_proto(snap), reused=snap.reused)
    if snap.preview is not None:
        event.preview.CopyFrom(image_to_proto(snap.preview))
    if snap.model is not None:
        event.model.CopyFrom(model_to_proto(snap.model))
    return event
