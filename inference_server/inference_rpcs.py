"""The inference RPCs: Generate, Harmonize, Edit, PaintToImage, SuperResolve, Animate."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import grpc
import numpy as np

from singan_api import singan_pb2 as pb
from singan_core.budget import inference_peak_bytes
from singan_core.errors import Cancelled, ConfigError
from singan_core.model import SinGANModel
from singan_core.tasks.animate import animate
from singan_core.tasks.channels import restore_alpha, split_for_model
from singan_core.tasks.detail import peak_bytes as detail_peak_bytes
from singan_core.tasks.inject import edit, harmonize, paint_to_image
from singan_core.tasks.native import Region
from singan_core.tasks.sample import check_variation, generate, work_shapes
from singan_core.tasks.super_resolve import check_factor, super_resolve
from singan_core.tasks.upscale import generate_at_size

from .convert import RequestError, image_to_proto, invalid
from .resources import check_budget
from .rpc import streaming, unary
from .rpc_base import RpcBase

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

log = logging.getLogger("singan.server")


class InferenceRpcs(RpcBase):
    async def _work(
        self, context: grpc.aio.ServicerContext, task: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        """``task(*args, should_stop=..., **kwargs)`` in the pool, stopping at its next safe point once the
        call has ended (cancelled by the client, past its deadline, disconnected): the work of a call that
        nobody waits for does not run on (see :mod:`singan_core.tasks.stop`)."""
        should_stop, ended = _call_over(context)

        def run() -> Any:
            try:
                return task(*args, should_stop=should_stop, **kwargs)
            except Cancelled:
                if ended:
                    log.info(
                        "%s stopped %.2fs after its call ended",
                        getattr(task, "__name__", "inference"),
                        time.monotonic() - ended[0],
                    )
                raise

        return await self._in_pool(run)

    def _check_side(self, w: float, h: float) -> None:
        """Refuse an output size over the limits (``w``/``h`` may be unrounded, even infinite)."""
        side = self.config.max_output_side
        if w > side or h > side or w * h > self.config.max_pixels:
            raise RequestError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"output {w:.0f}x{h:.0f} is over this server's limit ({side} px per side, "
                f"{self.config.max_pixels / 1e6:.0f} MP)",
            )
        if round(w) <= 0 or round(h) <= 0:
            raise invalid(f"output size must be positive, got {w:.0f}x{h:.0f}")

    def _check_batch(self, n: int, w: int, h: int) -> None:
        if n * w * h > self.config.max_batch_pixels:
            raise RequestError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{n} samples of {w}x{h} are {n * w * h / 1e6:.0f} MP, over this server's limit of "
                f"{self.config.max_batch_pixels / 1e6:.0f} MP per request: ask for fewer or smaller samples",
            )

    @unary
    async def Generate(
        self, request: pb.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImagesResponse:
        n = request.n or 1
        if n > self.config.max_samples:
            raise RequestError(
                grpc.StatusCode.RESOURCE_EXHAUSTED, f"n={n} is over the limit of {self.config.max_samples}"
            )
        scale_h, scale_v = _scale(request.scale_h, "scale_h"), _scale(request.scale_v, "scale_v")
        variation = _variation(request)
        self.store.get(request.model_id)
        model = await self._in_pool(self.cache.get, request.model_id)
        h, w = model.image.shape[:2]
        size = None
        if request.HasField("size"):
            size = (request.size.height, request.size.width)
            self._check_side(request.size.width, request.size.height)
            self._check_batch(n, request.size.width, request.size.height)
        else:
            self._check_side(w * scale_h, h * scale_v)
            self._check_batch(n, round(w * scale_h), round(h * scale_v))
        out_h, out_w = size or (round(h * scale_v), round(w * scale_h))
        self._check_inference(model, out_h, out_w, n, f"{n} sample(s) of {out_w}x{out_h}")
        if request.start_scale >= model.num_scales:
            raise invalid(f"start_scale must be in 0..{model.num_scales - 1}, got {request.start_scale}")
        exemplar = self._exemplar(request, size, n)
        if request.at_document_size:
            if size is None:
                raise invalid("at_document_size needs size: the document's width and height")
            images = await self._work(
                context,
                generate_at_size,
                model.with_variation(variation),  # the ladder's noise too
                size,
                n=n,
                seed=request.seed,
                start_scale=request.start_scale,
                exemplar=exemplar,
            )
            return pb.ImagesResponse(images=[image_to_proto(img) for img in images])
        images = await self._work(
            context,
            generate,
            model,
            n=n,
            seed=request.seed,
            scale_h=scale_h,
            scale_v=scale_v,
            size=size,
            start_scale=request.start_scale,
            variation=variation,
        )
        return pb.ImagesResponse(images=[image_to_proto(img) for img in images])

    def _exemplar(
        self, request: pb.GenerateRequest, size: tuple[int, int] | None, n: int
    ) -> np.ndarray | None:
        """A Generate's exemplar (the trained region at the document's resolution) as an array, or None;
        only with ``at_document_size``, and within the memory budget of the detail synthesis."""
        if not request.HasField("exemplar"):
            return None
        if not request.at_document_size:
            raise invalid("exemplar is only used with at_document_size (variations at the document's size)")
        arr, _ = self._input(request.exemplar, "exemplar")
        if size is not None:
            check_budget(
                detail_peak_bytes(size, arr.shape[:2]),
                self.config.max_memory_bytes,
                f"{n} sample(s) of {size[1]}x{size[0]} with detail from a {arr.shape[1]}x{arr.shape[0]} exemplar",
            )
        return arr

    def _check_inference(self, model: SinGANModel, h: int, w: int, n: int, what: str) -> None:
        needed = inference_peak_bytes(model.config, model.num_scales, model.channels, h, w, n)
        check_budget(needed, self.config.max_memory_bytes, what)

    def _injection_scale(self, model: SinGANModel, value: int) -> int | None:
        if value == 0:
            return None
        if not 1 <= value <= model.num_scales - 1:
            raise invalid(f"injection_scale must be in 1..{model.num_scales - 1} for this model, got {value}")
        return value

    async def _inject(
        self,
        context: grpc.aio.ServicerContext,
        task: Callable[..., np.ndarray],
        request: pb.HarmonizeRequest | pb.EditRequest | pb.PaintToImageRequest,
        msg: pb.Image,
        what: str,
        need_mask: bool,
        **kw: Any,
    ) -> pb.ImageResponse:
        kw["variation"] = _variation(request)
        arr, mask = self._input(msg, what, need_mask=need_mask)
        self.store.get(request.model_id)
        model = await self._in_pool(self.cache.get, request.model_id)
        self._check_inference(model, *arr.shape[:2], 1, f"a {arr.shape[1]}x{arr.shape[0]} {what}")
        arr, alpha = split_for_model(arr, model.channels)  # the artist's transparency goes back on the result
        scale = self._injection_scale(model, request.injection_scale)
        if kw.get("fine_tune"):
            check_fine_tune(model, arr.shape[:2])
        args = (model, arr, mask) if need_mask else (model, arr)
        region_only = getattr(request, "region_only", False)
        if region_only:
            kw["as_region"] = True
        result = await self._work(context, task, *args, injection_scale=scale, seed=request.seed, **kw)
        if region_only:  # only the changed rectangle moves back: RGBA, transparent outside the mask
            layer = await self._in_pool(_region_layer, result, alpha)
            offset = (msg.offset_x + result.left, msg.offset_y + result.top)
            return pb.ImageResponse(image=image_to_proto(layer, offset=offset))
        return pb.ImageResponse(
            image=image_to_proto(restore_alpha(result, alpha), offset=(msg.offset_x, msg.offset_y))
        )

    @unary
    async def Harmonize(
        self, request: pb.HarmonizeRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImageResponse:
        return await self._inject(
            context, harmonize, request, request.composite, "composite", True, fine_tune=request.fine_tune
        )

    @unary
    async def Edit(self, request: pb.EditRequest, context: grpc.aio.ServicerContext) -> pb.ImageResponse:
        return await self._inject(context, edit, request, request.image, "image", True)

    @unary
    async def PaintToImage(
        self, request: pb.PaintToImageRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImageResponse:
        return await self._inject(
            context, paint_to_image, request, request.paint, "paint", False, quantize=request.quantize
        )

    @unary
    async def SuperResolve(
        self, request: pb.SuperResolveRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImageResponse:
        factor = check_factor(request.factor or 4)
        arr = alpha = None
        offset = (0, 0)
        if request.HasField("image") and request.image.width:
            arr, _ = self._input(request.image, "image")
            offset = (request.image.offset_x * factor, request.image.offset_y * factor)
            if not all(INT32_MIN <= v <= INT32_MAX for v in offset):
                raise invalid(
                    f"the image's offset ({request.image.offset_x}, {request.image.offset_y}) times the factor "
                    f"{factor} does not fit the result's 32-bit offset: send a smaller offset"
                )
        self.store.get(request.model_id)
        model = await self._in_pool(self.cache.get, request.model_id)
        h, w = (arr if arr is not None else model.image).shape[:2]
        self._check_side(w * factor, h * factor)
        self._check_inference(
            model, h * factor, w * factor, 1, f"super-resolving to {w * factor}x{h * factor}"
        )
        if arr is not None:
            arr, alpha = split_for_model(arr, model.channels)
        result = await self._work(context, super_resolve, model, arr, factor=factor, seed=request.seed)
        # restore_alpha resizes the input's alpha to the result's size
        result = await self._in_pool(restore_alpha, result, alpha)
        return pb.ImageResponse(image=image_to_proto(result, offset=offset))

    @streaming
    async def Animate(
        self, request: pb.AnimateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.AnimationFrame]:
        frames = request.frames or 100
        if frames > self.config.max_frames:
            raise RequestError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"frames={frames} is over the limit of {self.config.max_frames}",
            )
        self.store.get(request.model_id)
        model = await self._in_pool(self.cache.get, request.model_id)
        start = request.start_scale if request.HasField("start_scale") else 1
        if not 0 <= start <= model.num_scales - 1:
            raise invalid(f"start_scale must be in 0..{model.num_scales - 1}, got {start}")
        it = await self._work(
            context,
            animate,
            model,
            frames=frames,
            start_scale=start,
            alpha=request.alpha if request.HasField("alpha") else 0.1,
            beta=request.beta if request.HasField("beta") else 0.9,
            seed=request.seed,
            variation=_variation(request),
        )
        done = object()
        index = 0
        while True:
            frame = await self._in_pool(next, it, done)
            if frame is done:
                return
            yield pb.AnimationFrame(index=index, total=frames, image=image_to_proto(frame))
            index += 1


def _region_layer(region: Region, alpha: np.ndarray | None) -> np.ndarray:
    """A result region as a layer: the input's alpha (cropped) inside the changed pixels, 0 outside."""
    if alpha is not None:
        h, w = region.changed.shape
        crop = alpha[region.top : region.top + h, region.left : region.left + w]
        region = replace(region, pixels=restore_alpha(region.pixels, crop))
    return region.layer()


def _scale(value: float, name: str) -> float:
    """A Generate scale factor: 0 (unset) means 1; otherwise a positive finite number."""
    if value == 0:
        return 1.0
    if not math.isfinite(value) or value < 0:
        raise invalid(f"{name} must be a positive finite number, got {value}")
    return value


def _variation(request: Any) -> float:
    """The request's variation strength: unset = 1.0 (as trained); else a finite number in 0..MAX_VARIATION."""
    if not request.HasField("variation"):
        return 1.0
    try:
        return check_variation(request.variation)
    except ConfigError as exc:
        raise invalid(str(exc)) from None


def _call_over(context: grpc.aio.ServicerContext) -> tuple[Callable[[], bool], list[float]]:
    """A ``should_stop`` that turns True once the call has ended (cancelled by the client, past its
    deadline, disconnected), and a list that then holds when (``time.monotonic()``)."""
    over = threading.Event()
    ended: list[float] = []

    def done(_context: object) -> None:
        ended.append(time.monotonic())
        over.set()

    context.add_done_callback(done)
    return over.is_set, ended


def check_fine_tune(model: SinGANModel, size: tuple[int, int]) -> None:
    """Fine-tuning trains the finest scales on the input at the model's working size, so that size must be
    as trainable as the model's own coarsest scale (its shorter side at least pyramid.min_size)."""
    shortest = min(min(shape) for shape in work_shapes(model, size)[-2:])
    need = model.config.pyramid.min_size
    if shortest < need:
        h, w = size
        raise invalid(
            f"a {w}x{h} input is too elongated to fine-tune on: at this model's working size its shorter "
            f"side is {shortest} px, fine-tuning needs {need}; send a less elongated region, or turn "
            "fine-tuning off"
        )
