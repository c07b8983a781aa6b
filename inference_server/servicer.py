"""The ``singan.v1.SinGAN`` service: converts proto <-> core types and delegates to jobs, store, tasks."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import grpc
import numpy as np
import torch

from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc
from singan_api.job_state import JobState
from singan_core.budget import inference_peak_bytes
from singan_core.config import PRESETS, SinGANConfig, get_preset, with_overrides
from singan_core.device import describe_device
from singan_core.errors import CheckpointError
from singan_core.imageio import prepare_training_image
from singan_core.model import SinGANModel
from singan_core.tasks.animate import animate
from singan_core.tasks.channels import restore_alpha, split_for_model
from singan_core.tasks.inject import edit, harmonize, paint_to_image
from singan_core.tasks.native import Region
from singan_core.tasks.sample import generate, work_shapes
from singan_core.tasks.super_resolve import check_factor, sr_config, super_resolve
from singan_core.tasks.upscale import generate_at_size

from . import __version__
from .config import ServerConfig
from .convert import (
    RequestError,
    event_to_proto,
    image_from_proto,
    image_to_proto,
    invalid,
    job_to_proto,
    model_to_proto,
)
from .jobs import Job, JobManager, JobSnapshot
from .model_cache import ModelCache
from .resources import check_budget, check_training
from .rpc import streaming, unary
from .store import ModelStore, check_id

log = logging.getLogger("singan.server")

EXPORT_CHUNK = 1 << 20
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: What GetServerInfo.capabilities lists: every RPC family this server answers.
CAPABILITIES = ("train", "generate", "harmonize", "edit", "paint_to_image", "super_resolve", "animate")


class SinGANServicer(singan_pb2_grpc.SinGANServicer):
    def __init__(
        self,
        config: ServerConfig,
        store: ModelStore,
        jobs: JobManager,
        cache: ModelCache,
        pool: ThreadPoolExecutor,
        device: torch.device,
    ) -> None:
        self.config = config
        self.store = store
        self.jobs = jobs
        self.cache = cache
        self.pool = pool
        self.device = device

    async def _in_pool(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, functools.partial(fn, *args, **kwargs)
        )

    # -- server ------------------------------------------------------------------------------------
    @unary
    async def GetServerInfo(
        self, request: pb.GetServerInfoRequest, context: grpc.aio.ServicerContext
    ) -> pb.ServerInfo:
        cfg = self.config
        memory = 0
        if self.device.type == "cuda":
            memory = torch.cuda.get_device_properties(self.device).total_memory
        return pb.ServerInfo(
            version=__version__,
            api_version="v1",
            device=pb.DeviceInfo(
                kind=self.device.type, name=describe_device(self.device), memory_bytes=memory
            ),
            queue_length=self.jobs.queue_length,
            running_job_id=self.jobs.running_job_id,
            limits=pb.Limits(
                max_pixels=cfg.max_pixels,
                max_message_bytes=cfg.max_message_bytes,
                max_samples=cfg.max_samples,
                max_frames=cfg.max_frames,
                max_output_side=cfg.max_output_side,
            ),
            presets=list(PRESETS),
            capabilities=list(CAPABILITIES),
            auth_required=bool(cfg.token),
            tls=cfg.tls,
        )

    # -- jobs --------------------------------------------------------------------------------------
    def _train_config(self, request: pb.TrainRequest) -> SinGANConfig:
        config = get_preset(request.preset or "fast")
        if request.overrides:
            config = with_overrides(config, dict(request.overrides))
        if request.super_resolution_factor:
            config = sr_config(config, request.super_resolution_factor)  # validates the factor
        return config

    async def _follow(self, job: Job, first: JobSnapshot | None = None) -> AsyncIterator[pb.JobEvent]:
        q = self.jobs.subscribe(job)
        try:
            if first is not None:
                yield event_to_proto(first)
            while True:
                snap = await q.get()
                yield event_to_proto(snap)
                if snap.finished:
                    return
        finally:
            self.jobs.unsubscribe(job, q)

    @streaming
    async def Train(
        self, request: pb.TrainRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.JobEvent]:
        image, _ = image_from_proto(request.image, what="image", max_pixels=self.config.max_pixels)
        config = self._train_config(request)
        check_training(image, config, self.config.max_memory_bytes)
        # fail fast on unusable images (fully transparent...), off the event loop: layers can be huge
        await self._in_pool(prepare_training_image, image, max_pixels=self.config.max_pixels)
        sub = await self._in_pool(
            self.jobs.submit,
            image,
            config,
            name=request.name,
            sr_factor=request.super_resolution_factor,
            retrain=request.retrain,
        )
        if sub.job is None:  # a finished model already exists
            model = sub.model
            event = pb.JobEvent(
                job=pb.Job(
                    model_id=model.model_id,
                    state=JobState.SUCCEEDED.proto,
                    name=model.name,
                    preset=model.preset,
                ),
                model=model_to_proto(model),
                reused=True,
            )
            event.job.scales_done = model.scales_done
            event.job.progress.num_scales = model.num_scales
            event.job.progress.fraction = 1.0
            yield event
            return
        first = True
        async for event in self._follow(sub.job):
            if first:
                event.reused = sub.reused
                first = False
            yield event

    @streaming
    async def WatchJob(
        self, request: pb.WatchJobRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.JobEvent]:
        found = self.jobs.get(request.job_id)
        if not isinstance(found, Job):
            snap = self.jobs.snapshot(found)
            event = event_to_proto(snap)
            model = self.store.find(found.model_id)
            if model is not None and model.complete:
                event.model.CopyFrom(model_to_proto(model))
            yield event
            return
        async for event in self._follow(found):
            yield event

    @unary
    async def CancelJob(self, request: pb.CancelJobRequest, context: grpc.aio.ServicerContext) -> pb.Job:
        return job_to_proto(self.jobs.cancel(request.job_id))

    @unary
    async def ListJobs(
        self, request: pb.ListJobsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListJobsResponse:
        return pb.ListJobsResponse(jobs=[job_to_proto(s) for s in self.jobs.list(request.active_only)])

    # -- models ------------------------------------------------------------------------------------
    def _model_proto(self, model_id: str, thumbnail: bool) -> pb.ModelInfo:
        record = self.store.get(model_id)
        return model_to_proto(record, self.store.thumbnail(model_id) if thumbnail else None)

    @unary
    async def ListModels(
        self, request: pb.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListModelsResponse:
        records = self.store.list()
        if request.image_hash:
            records = [r for r in records if r.image_hash == request.image_hash]
        thumbs = request.include_thumbnails
        return pb.ListModelsResponse(
            models=[model_to_proto(r, self.store.thumbnail(r.model_id) if thumbs else None) for r in records]
        )

    @unary
    async def GetModel(self, request: pb.GetModelRequest, context: grpc.aio.ServicerContext) -> pb.ModelInfo:
        return self._model_proto(request.model_id, request.include_thumbnail)

    @unary
    async def DeleteModel(
        self, request: pb.DeleteModelRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteModelResponse:
        check_id(request.model_id)
        for snap in self.jobs.list(active_only=True):
            if snap.record.model_id == request.model_id:
                raise RequestError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"model {request.model_id} is being trained by job {snap.record.job_id}; cancel it first",
                )
        self.store.delete(request.model_id)
        self.cache.evict(request.model_id)
        return pb.DeleteModelResponse()

    @unary
    async def RenameModel(
        self, request: pb.RenameModelRequest, context: grpc.aio.ServicerContext
    ) -> pb.ModelInfo:
        return model_to_proto(self.store.rename(request.model_id, request.name))

    @streaming
    async def ExportModel(
        self, request: pb.ExportModelRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.FileChunk]:
        record = self.store.get(request.model_id)
        if record.problem:
            raise RequestError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"model {request.model_id} is damaged and is not exported: {record.problem}",
            )
        path = self.store.checkpoint_path(request.model_id)
        data = await self._in_pool(path.read_bytes)
        for start in range(0, max(1, len(data)), EXPORT_CHUNK):
            chunk = pb.FileChunk(data=data[start : start + EXPORT_CHUNK])
            if start == 0:
                chunk.total_size = len(data)
            yield chunk

    @unary
    async def ImportModel(
        self, request_iterator: AsyncIterator[pb.FileChunk], context: grpc.aio.ServicerContext
    ) -> pb.ModelInfo:
        upload = self.store.new_upload_path()
        name = ""
        try:
            size = 0
            with open(upload, "wb") as fh:
                async for chunk in request_iterator:
                    name = name or chunk.name
                    size += len(chunk.data)
                    if size > 4 * self.config.max_message_bytes:
                        raise RequestError(
                            grpc.StatusCode.RESOURCE_EXHAUSTED, "checkpoint upload is too large"
                        )
                    fh.write(chunk.data)
            if size == 0:
                raise invalid("empty upload: send the checkpoint file's bytes in FileChunk.data")
            try:
                record = await self._in_pool(self.store.import_file, upload, name=name)
            except CheckpointError as exc:  # its message names the upload's temporary path: drop it
                raise invalid(
                    f"the uploaded file is not a usable model: {str(exc).removeprefix(f'{upload}: ')}"
                ) from None
        finally:
            upload.unlink(missing_ok=True)
        self.cache.evict(record.model_id)
        return model_to_proto(record)

    # -- inference ---------------------------------------------------------------------------------
    def _input(
        self, msg: pb.Image, what: str, need_mask: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        return image_from_proto(msg, what=what, max_pixels=self.config.max_pixels, need_mask=need_mask)

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
        if request.at_document_size:
            if size is None:
                raise invalid("at_document_size needs size: the document's width and height")
            images = await self._in_pool(
                generate_at_size, model, size, n=n, seed=request.seed, start_scale=request.start_scale
            )
            return pb.ImagesResponse(images=[image_to_proto(img) for img in images])
        images = await self._in_pool(
            generate,
            model,
            n=n,
            seed=request.seed,
            scale_h=scale_h,
            scale_v=scale_v,
            size=size,
            start_scale=request.start_scale,
        )
        return pb.ImagesResponse(images=[image_to_proto(img) for img in images])

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
        task: Callable[..., np.ndarray],
        request: pb.HarmonizeRequest | pb.EditRequest | pb.PaintToImageRequest,
        msg: pb.Image,
        what: str,
        need_mask: bool,
        **kw: Any,
    ) -> pb.ImageResponse:
        arr, mask = self._input(msg, what, need_mask=need_mask)
        self.store.get(request.model_id)
        model = await self._in_pool(self.cache.get, request.model_id)
        self._check_inference(model, *arr.shape[:2], 1, f"a {arr.shape[1]}x{arr.shape[0]} {what}")
        arr, alpha = split_for_model(arr, model.channels)  # the artist's transparency goes back on the result
        scale = self._injection_scale(model, request.injection_scale)
        if kw.get("fine_tune"):
            _check_fine_tune(model, arr.shape[:2])
        args = (model, arr, mask) if need_mask else (model, arr)
        region_only = getattr(request, "region_only", False)
        if region_only:
            kw["as_region"] = True
        result = await self._in_pool(task, *args, injection_scale=scale, seed=request.seed, **kw)
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
            harmonize,
            request,
            request.composite,
            "composite",
            True,
            fine_tune=request.fine_tune,
            should_stop=_call_over(context),  # fine-tuning stops when the caller goes away
        )

    @unary
    async def Edit(self, request: pb.EditRequest, context: grpc.aio.ServicerContext) -> pb.ImageResponse:
        return await self._inject(edit, request, request.image, "image", True)

    @unary
    async def PaintToImage(
        self, request: pb.PaintToImageRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImageResponse:
        return await self._inject(
            paint_to_image, request, request.paint, "paint", False, quantize=request.quantize
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
        result = await self._in_pool(super_resolve, model, arr, factor=factor, seed=request.seed)
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
        it = await self._in_pool(
            animate,
            model,
            frames=frames,
            start_scale=start,
            alpha=request.alpha if request.HasField("alpha") else 0.1,
            beta=request.beta if request.HasField("beta") else 0.9,
            seed=request.seed,
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


def _call_over(context: grpc.aio.ServicerContext) -> Callable[[], bool]:
    """True once the call has ended (cancelled by the client, past its deadline, disconnected): training
    work done for it (harmonize's fine-tuning) stops at its next iteration instead of running on."""
    over = threading.Event()
    context.add_done_callback(lambda _context: over.set())
    return over.is_set


def _check_fine_tune(model: SinGANModel, size: tuple[int, int]) -> None:
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
