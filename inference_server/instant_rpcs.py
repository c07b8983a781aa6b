"""The instant (training-free) RPCs: InstantVariations, InstantFill, InstantEdit, ExtendCanvas.

No model: the patch engine (``singan_core.instant``) works on the request's pixels alone. Every call is
checked against the server's limits (pixels, count, output side) and memory budget before any work, runs
in the inference pool, and stops at the engine's next safe point when the call ends (client cancel,
deadline, disconnect).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc
import numpy as np

from singan_api import singan_pb2 as pb
from singan_core.budget import instant_peak_bytes
from singan_core.instant import InstantCancelled, InstantConfig, edit, extend, fill, variation
from singan_core.tasks.channels import has_alpha, match_channels
from singan_core.tasks.native import Region, full_binary_mask

from .convert import RequestError, image_to_proto, invalid
from .inference_rpcs import INT32_MAX, INT32_MIN, InferenceRpcs, _region_layer
from .resources import check_budget
from .rpc import unary

#: The engine's settings for every call (one thread per call: see InstantConfig.threads).
CONFIG = InstantConfig()


class InstantRpcs(InferenceRpcs):
    """Needs InferenceRpcs' output-size checks (``_check_side``, ``_check_batch``)."""

    async def _run(
        self, context: grpc.aio.ServicerContext, fn: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        """``fn`` in the pool on this server's device, stopped when the call ends; cancelled -> CANCELLED."""
        try:
            return await self._in_pool(
                fn, *args, config=CONFIG, device=self.device, should_stop=_ended(context), **kw
            )
        except InstantCancelled as exc:
            raise RequestError(grpc.StatusCode.CANCELLED, f"{exc} (the call ended)") from None

    def _check_instant(
        self, what: str, canvas_hw: tuple[int, int], source_hw: tuple[int, int], **kw: Any
    ) -> None:
        check_budget(
            instant_peak_bytes(CONFIG, canvas_hw, source_hw, **kw), self.config.max_memory_bytes, what
        )

    @unary
    async def InstantVariations(
        self, request: pb.InstantVariationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImagesResponse:
        msg = request.image
        arr, _ = self._input(msg, "image")
        n = request.n or 1
        if n > self.config.max_samples:
            raise RequestError(
                grpc.StatusCode.RESOURCE_EXHAUSTED, f"n={n} is over the limit of {self.config.max_samples}"
            )
        h, w = arr.shape[:2]
        if request.HasField("size") and (request.size.width or request.size.height):
            w, h = request.size.width, request.size.height
            if not w or not h:
                raise invalid(f"size needs both a width and a height, got {w}x{h}")
        self._check_side(w, h)
        self._check_batch(n, w, h)
        what = f"{n} instant variation(s) of {w}x{h}"
        self._check_instant(what, (h, w), arr.shape[:2], channels=arr.shape[2], n=n)
        images = []
        for i in range(n):
            out = await self._run(context, variation, arr, (h, w), seed=request.seed + i)
            images.append(image_to_proto(_keep_channels(out, arr), offset=(msg.offset_x, msg.offset_y)))
        return pb.ImagesResponse(images=images)

    @unary
    async def InstantFill(
        self, request: pb.InstantFillRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImageResponse:
        msg = request.image
        arr, mask = self._input(msg, "image", need_mask=True)
        hole = full_binary_mask(mask, arr.shape[:2])
        source = None
        if request.HasField("source") and (request.source.width or request.source.height):
            src, _ = self._input(request.source, "source")
            source = match_channels(src, arr.shape[2], arr.dtype)
        src_hw = source.shape[:2] if source is not None else arr.shape[:2]
        h, w = arr.shape[:2]
        self._check_instant(f"filling {w}x{h}", (h, w), src_hw, query_hw=_box_hw(hole, CONFIG.patch_size))
        out = await self._run(context, fill, arr, mask, source=source, seed=request.seed)
        return await self._answer(out, arr, hole, msg, request.region_only)

    @unary
    async def InstantEdit(
        self, request: pb.InstantEditRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImageResponse:
        original, _ = self._input(request.original, "original")
        msg = request.edited
        edited, mask = self._input(msg, "edited")
        if edited.shape[:2] != original.shape[:2]:
            raise invalid(
                f"edited is {edited.shape[1]}x{edited.shape[0]} but original is "
                f"{original.shape[1]}x{original.shape[0]}: send both at the same size"
            )
        edited = match_channels(edited, original.shape[2], original.dtype)
        hole = (
            full_binary_mask(mask, edited.shape[:2]) if mask is not None else np.ones(edited.shape[:2], bool)
        )
        h, w = edited.shape[:2]
        query = _box_hw(hole, CONFIG.patch_size)
        self._check_instant(f"an instant edit of {w}x{h}", (h, w), (h, w), query_hw=query)
        out = await self._run(context, edit, original, edited, mask, seed=request.seed)
        return await self._answer(out, edited, hole, msg, request.region_only)

    @unary
    async def ExtendCanvas(
        self, request: pb.ExtendCanvasRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImageResponse:
        msg = request.image
        arr, _ = self._input(msg, "image")
        borders = (request.left, request.top, request.right, request.bottom)
        if not any(borders):
            raise invalid("give at least one border (left, top, right, bottom) in px greater than 0")
        h, w = arr.shape[:2]
        out_w, out_h = w + request.left + request.right, h + request.top + request.bottom
        self._check_side(out_w, out_h)
        offset = (msg.offset_x - request.left, msg.offset_y - request.top)
        if not all(INT32_MIN <= v <= INT32_MAX for v in offset):
            raise invalid(f"the extended canvas' offset {offset} does not fit 32 bits: send a smaller offset")
        hole = np.ones((out_h, out_w), bool)
        hole[request.top : request.top + h, request.left : request.left + w] = False
        query = _box_hw(hole, CONFIG.patch_size)
        self._check_instant(f"extending to {out_w}x{out_h}", (out_h, out_w), (out_h, out_w), query_hw=query)
        out = await self._run(context, extend, arr, *borders, seed=request.seed)
        return pb.ImageResponse(image=image_to_proto(out, offset=offset))

    async def _answer(
        self, out: np.ndarray, before: np.ndarray, hole: np.ndarray, msg: pb.Image, region_only: bool
    ) -> pb.ImageResponse:
        """The whole result at the input's offset, or (``region_only``) the hole's rectangle as RGBA,
        transparent outside the hole, at the input's offset plus the rectangle's corner."""
        if not region_only:
            return pb.ImageResponse(image=image_to_proto(out, offset=(msg.offset_x, msg.offset_y)))
        region = _region(out, hole)
        layer = await self._in_pool(_region_layer, region, None)
        offset = (msg.offset_x + region.left, msg.offset_y + region.top)
        return pb.ImageResponse(image=image_to_proto(layer, offset=offset))


def _ended(context: grpc.aio.ServicerContext) -> Callable[[], bool]:
    """The engine's ``should_stop``: True once the call has ended (client cancel, deadline, disconnect)."""
    over = threading.Event()
    context.add_done_callback(lambda _context: over.set())
    return over.is_set


def _region(out: np.ndarray, hole: np.ndarray) -> Region:
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    t, b, left, r = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return Region(out[t:b, left:r].copy(), hole[t:b, left:r], t, left, out.shape[:2])


def _box_hw(hole: np.ndarray, k: int) -> tuple[int, int]:
    """The size of the patch positions that touch ``hole`` (its bounding box grown by a patch)."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    if rows.size == 0:
        return (0, 0)
    return (int(rows[-1] - rows[0]) + 2 * k - 1, int(cols[-1] - cols[0]) + 2 * k - 1)


def _keep_channels(out: np.ndarray, source: np.ndarray) -> np.ndarray:
    """A variation in the source's channels: an opaque source's alpha (dropped by the engine) back, opaque."""
    c = source.shape[2]
    if has_alpha(c) and out.shape[2] == c - 1:
        return match_channels(out, c, source.dtype)
    return out
