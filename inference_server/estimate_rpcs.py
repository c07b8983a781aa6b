"""``EstimateTraining``: what a training would take on this server, before it starts."""

from __future__ import annotations

import grpc

from singan_api import singan_pb2 as pb
from singan_core.budget import training_peak_bytes
from singan_core.fingerprint import model_id as compute_model_id
from singan_core.imageio import prepare_training_image

from .convert import image_from_proto
from .rpc import unary
from .rpc_base import RpcBase
from .training_rates import estimate_training, load_records


class EstimateRpcs(RpcBase):
    @unary
    async def EstimateTraining(
        self, request: pb.TrainRequest, context: grpc.aio.ServicerContext
    ) -> pb.TrainingEstimate:
        image, _ = image_from_proto(request.image, what="image", max_pixels=self.config.max_pixels)
        config = self._train_config(request)  # type: ignore[attr-defined]  # the servicer's, as Train
        arr = await self._in_pool(prepare_training_image, image, max_pixels=self.config.max_pixels)
        h, w = arr.shape[:2]
        device = self.device.type
        est = await self._in_pool(
            estimate_training, h, w, config, load_records(self.store.models_dir, device), device
        )
        mid = await self._in_pool(compute_model_id, image, config)
        existing = self.store.find(mid)
        return pb.TrainingEstimate(
            seconds=est.seconds,
            low_seconds=est.low,
            high_seconds=est.high,
            scale_sizes=[pb.Size(width=sw, height=sh) for sh, sw in est.shapes],
            iterations=config.train.iterations,
            peak_memory_bytes=training_peak_bytes(config, image.shape[0], image.shape[1], image.shape[2]),
            basis=est.basis,
            model_id=mid,
            already_trained=bool(existing is not None and existing.complete and not existing.problem),
        )
