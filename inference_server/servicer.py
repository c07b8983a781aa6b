"""The ``singan.v1.SinGAN`` service: converts proto <-> core types and delegates to jobs, store, tasks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import grpc
import torch

from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc
from singan_api.job_state import JobState
from singan_core.config import PRESETS, SinGANConfig, get_preset, with_overrides
from singan_core.device import describe_device
from singan_core.imageio import prepare_training_image
from singan_core.tasks.channels import split_for_model
from singan_core.tasks.super_resolve import sr_config

from . import __version__
from .convert import (
    RequestError,
    event_to_proto,
    image_from_proto,
    job_to_proto,
    model_to_proto,
)
from .estimate_rpcs import EstimateRpcs
from .finetune_jobs import MAX_ITERATIONS, TuneSpec
from .inference_rpcs import InferenceRpcs, check_fine_tune
from .instant_rpcs import InstantRpcs
from .jobs import Job, JobSnapshot, Submission
from .model_rpcs import ModelRpcs
from .resources import check_training
from .rpc import streaming, unary

log = logging.getLogger("singan.server")

#: What GetServerInfo.capabilities lists: every RPC family this server answers.
CAPABILITIES = (
    "train",
    "generate",
    "harmonize",
    "edit",
    "paint_to_image",
    "super_resolve",
    "animate",
    "instant",
    "fine_tune",
)


class SinGANServicer(EstimateRpcs, ModelRpcs, InstantRpcs, InferenceRpcs, singan_pb2_grpc.SinGANServicer):
    """Every RPC of the API: the server and job RPCs here, the rest in their groups' mixins."""

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
                max_upload_bytes=cfg.max_upload_bytes,
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
        async for event in self._submitted(sub):
            yield event

    async def _submitted(self, sub: Submission) -> AsyncIterator[pb.JobEvent]:
        """A submitted job's events to its end; one SUCCEEDED event when its model already existed."""
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
    async def FineTune(
        self, request: pb.FineTuneRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.JobEvent]:
        """Harmonize's fine-tuning as a job (queued with trainings): its result is a new model, the base
        model's finest generators tuned on this composite (:mod:`.finetune_jobs`)."""
        arr, mask = self._input(request.composite, "composite", need_mask=True)
        base = self.store.get(request.model_id)
        model = await self._in_pool(self.cache.get, request.model_id)
        h, w = arr.shape[:2]
        self._check_inference(model, h, w, 1, f"fine-tuning on a {w}x{h} composite")
        if request.iterations > MAX_ITERATIONS:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"iterations={request.iterations} is over the limit of {MAX_ITERATIONS} per tuned scale "
                "(0 = a quarter of the model's training iterations)",
            )
        arr, _ = split_for_model(arr, model.channels)  # as Harmonize sees it
        scale = self._injection_scale(model, request.injection_scale) or 0
        check_fine_tune(model, (h, w))
        spec = TuneSpec.for_model(model, base.model_id, arr, mask, scale, request.iterations)
        name = request.name or f"{base.name} (fine-tuned)"
        sub = await self._in_pool(self.jobs.submit_fine_tune, spec, model.config, name=name)
        async for event in self._submitted(sub):
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
