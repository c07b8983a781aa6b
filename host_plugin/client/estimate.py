"""``estimate_training``: what a training would take on the server, before starting it (EstimateTraining).

Mixed into :class:`~host_plugin.client.AsyncClient` (a coroutine) and :class:`~host_plugin.client.Client`
(blocking, with ``cancel=``). It takes :meth:`~host_plugin.client.AsyncClient.train`'s arguments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from singan_api import singan_pb2 as pb

from .images import RawImage

if TYPE_CHECKING:
    from .sync import CancelToken


@dataclass(frozen=True)
class TrainingEstimate:
    """The server's estimate (see the proto's ``TrainingEstimate``): ``seconds`` in ``low``..``high``;
    ``basis`` says where it comes from ("measured on this server (3 trainings)" or a device default)."""

    seconds: float
    low: float
    high: float
    scale_sizes: tuple[tuple[int, int], ...]  # (width, height) per scale, coarsest first
    iterations: int
    peak_memory_bytes: int
    basis: str
    model_id: str
    already_trained: bool

    @property
    def measured(self) -> bool:
        return self.basis.startswith("measured")

    @classmethod
    def from_proto(cls, msg: pb.TrainingEstimate) -> TrainingEstimate:
        return cls(
            seconds=msg.seconds,
            low=msg.low_seconds,
            high=msg.high_seconds,
            scale_sizes=tuple((s.width, s.height) for s in msg.scale_sizes),
            iterations=msg.iterations,
            peak_memory_bytes=msg.peak_memory_bytes,
            basis=msg.basis,
            model_id=msg.model_id,
            already_trained=msg.already_trained,
        )


def train_request(
    image: RawImage,
    *,
    preset: str = "fast",
    overrides: Mapping[str, Any] | None = None,
    name: str = "",
    super_resolution_factor: int = 0,
    retrain: bool = False,
) -> pb.TrainRequest:
    """The TrainRequest of :meth:`~host_plugin.client.AsyncClient.train` (and of the estimate)."""
    return pb.TrainRequest(
        image=image.to_proto(),
        preset=preset,
        overrides={k: str(v) for k, v in (overrides or {}).items()},
        name=name,
        super_resolution_factor=super_resolution_factor,
        retrain=retrain,
    )


class AsyncEstimateCalls:
    """Needs ``_stub`` and ``_unary`` (AsyncClient)."""

    _stub: Any
    _unary: Callable[..., Awaitable[Any]]

    async def estimate_training(
        self, image: RawImage, *, timeout: float | None = None, **train_kwargs: Any
    ) -> TrainingEstimate:
        """What ``train(image, **train_kwargs)`` would take on this server; nothing is started."""
        request = train_request(image, **train_kwargs)
        return TrainingEstimate.from_proto(await self._unary(self._stub.EstimateTraining, request, timeout))


class EstimateCalls:
    """Blocking version; needs ``_run`` and ``_aio`` (Client)."""

    _aio: Any
    _run: Callable[..., Any]

    def estimate_training(
        self, image: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any
    ) -> TrainingEstimate:
        return self._run(self._aio.estimate_training(image, **kwargs), cancel)
