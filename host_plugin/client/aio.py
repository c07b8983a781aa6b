"""Asynchronous client on grpclib (pure Python: h2, hpack, hyperframe, multidict, protobuf)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from grpclib.client import Channel
from grpclib.config import Configuration
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError

from singan_api import singan_grpc
from singan_api import singan_pb2 as pb
from singan_api.job_state import JobState

from .connection import ConnectionSettings
from .errors import ClientError, DeadlineExceeded, ResourceExhausted, Unavailable, error_for
from .estimate import AsyncEstimateCalls, train_request
from .images import RawImage
from .instant import AsyncInstantCalls
from .updates import AnimationFrame, JobUpdate
from .upload import ALWAYS_FITS, chunks, to_upload, too_large_message

#: Export/import chunk size (well under gRPC's default 4 MiB message limit).
CHUNK_BYTES = 1 << 20

_WINDOW = 64 << 20  # generous HTTP/2 windows: multi-hundred-MB layers move quickly


@contextlib.contextmanager
def _translate_errors(settings: ConnectionSettings, timeout: float | None = None):
    try:
        yield
    except GRPCError as exc:
        if exc.status.name == "DEADLINE_EXCEEDED":
            raise _deadline_exceeded(settings, timeout) from None
        raise error_for(exc.status.name, exc.message or exc.status.name) from None
    except TimeoutError:  # grpclib's deadline (asyncio.TimeoutError); an OSError, so it comes first
        raise _deadline_exceeded(settings, timeout) from None
    except (ConnectionError, OSError, StreamTerminatedError, ProtocolError) as exc:
        raise Unavailable(
            f"cannot reach the SinGAN server at {settings.address} ({exc.__class__.__name__}: {exc}); "
            "is singan-server running, and do TLS/token settings match?"
        ) from None


def _deadline_exceeded(settings: ConnectionSettings, timeout: float | None) -> DeadlineExceeded:
    within = f" within {timeout:g} s" if timeout is not None else ""
    return DeadlineExceeded(
        f"the SinGAN server at {settings.address} was reached but did not answer{within} (deadline "
        "exceeded): it may be busy with a large request or stuck; try again, or allow more time"
    )


def _job_finished(event: pb.JobEvent) -> bool:
    return JobState.from_proto(event.job.state).ends_stream


class AsyncClient(AsyncEstimateCalls, AsyncInstantCalls):
    """Async client for the ``singan.v1.SinGAN`` service. Create it inside the event loop that uses it.

    Every method raises :class:`~host_plugin.client.errors.ClientError` subclasses on failure; cancel a
    call by cancelling its task, or by leaving an ``async for`` over a streaming call early (the RPC is
    then cancelled; a training *job* keeps running on the server until :meth:`cancel_job`).
    """

    def __init__(self, settings: ConnectionSettings | None = None, **kwargs: Any) -> None:
        self.settings = settings or ConnectionSettings(**kwargs)
        host, port = self.settings.host_port
        config = Configuration(http2_connection_window_size=_WINDOW, http2_stream_window_size=_WINDOW)
        if self.settings.server_name:
            config = Configuration(
                http2_connection_window_size=_WINDOW,
                http2_stream_window_size=_WINDOW,
                ssl_target_name_override=self.settings.server_name,
            )
        self._channel = Channel(host, port, ssl=self.settings.ssl_context(), config=config)
        self._stub = singan_grpc.SinGANStub(self._channel)
        self._md = self.settings.metadata()
        self._limits: pb.Limits | None = None  # the server's, read once when a request is large

    # -- lifecycle --------------------------------------------------------------------------------
    def close(self) -> None:
        self._channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------------
    def _deadline(self, timeout: float | None, kind: str) -> float | None:
        """The call's own ``timeout``, else the settings' deadline for its kind (see ConnectionSettings)."""
        return timeout if timeout is not None else getattr(self.settings, kind)

    async def _unary(self, method: Any, request: Any, timeout: float | None, kind: str = "timeout") -> Any:
        timeout = self._deadline(timeout, kind)
        request = await self._fit(request)
        try:
            with _translate_errors(self.settings, timeout):
                return await method(request, metadata=self._md, timeout=timeout)
        except ResourceExhausted as exc:
            # the server's limit is lower than when we asked (it restarted): ask again, send in pieces
            if self._limits is None or "larger than max" not in exc.message:
                raise
            self._limits = None
            request = await self._fit(request)
            with _translate_errors(self.settings, timeout):
                return await method(request, metadata=self._md, timeout=timeout)

    async def _fit(self, request: Any) -> Any:
        """Send ahead (UploadImage) the images that would take ``request`` past the server's message
        limit; they are then named by ``upload_id``. Small requests go as they are, without asking."""
        size = request.ByteSize()
        if size <= ALWAYS_FITS:
            return request
        if self._limits is None:
            self._limits = (await self.server_info()).limits
        limit = self._limits.max_message_bytes
        images = to_upload(request, limit)
        if not images:
            return request
        if not self._limits.max_upload_bytes:  # an older server: nothing to do but say so
            raise error_for("RESOURCE_EXHAUSTED", too_large_message(size, limit, self.settings.address))
        for image in images:
            image.upload_id = await self.upload_image(image)
            image.ClearField("pixels")
            image.ClearField("mask")
        return request

    async def upload_image(self, image: pb.Image, *, timeout: float | None = None) -> str:
        """Send one image's pixels and mask in pieces; returns the upload id (valid for one request)."""
        timeout = self._deadline(timeout, "transfer_timeout")
        with _translate_errors(self.settings, timeout):
            async with self._stub.UploadImage.open(metadata=self._md, timeout=timeout) as stream:
                for chunk in chunks(image):
                    await stream.send_message(chunk)
                await stream.end()
                reply = await stream.recv_message()
        return reply.upload_id

    async def _server_stream(
        self, method: Any, request: Any, timeout: float | None, final: Any = None, kind: str = "timeout"
    ) -> AsyncIterator[Any]:
        """Yield the replies of a server-streaming call. ``final(reply)`` marks the last reply that matters:
        once it has arrived, a lost connection or a late status (a server shutting down right after
        sending it) no longer fails the call, because everything the caller needs is already here."""
        got_final = False
        timeout = self._deadline(timeout, kind)
        request = await self._fit(request)
        try:
            with _translate_errors(self.settings, timeout):
                async with method.open(metadata=self._md, timeout=timeout) as stream:
                    await stream.send_message(request, end=True)
                    async for reply in stream:
                        got_final = final is not None and bool(final(reply))
                        yield reply
        except ClientError:
            if not got_final:
                raise

    async def _job_updates(
        self, method: Any, request: Any, timeout: float | None
    ) -> AsyncIterator[JobUpdate]:
        """A job's events (Train, WatchJob, FineTune) as updates, to the one that ends the stream."""
        stream = self._server_stream(method, request, timeout, final=_job_finished, kind="training_timeout")
        async for event in stream:
            yield JobUpdate.from_proto(event)

    # -- server -----------------------------------------------------------------------------------
    async def server_info(self) -> pb.ServerInfo:
        """Version, device, queue length, limits, presets, capabilities."""
        return await self._unary(self._stub.GetServerInfo, pb.GetServerInfoRequest(), self.settings.timeout)

    # -- training jobs ----------------------------------------------------------------------------
    async def train(
        self,
        image: RawImage,
        *,
        preset: str = "fast",
        overrides: Mapping[str, Any] | None = None,
        name: str = "",
        super_resolution_factor: int = 0,
        retrain: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[JobUpdate]:
        """Start (or reuse) a training job and yield its updates until it ends.

        The first update carries ``job_id``/``model_id`` (store them: :meth:`watch_job` reattaches). The
        last one has ``finished`` true; on success ``model`` is set.
        """
        request = train_request(
            image,
            preset=preset,
            overrides=overrides,
            name=name,
            super_resolution_factor=super_resolution_factor,
            retrain=retrain,
        )
        async for update in self._job_updates(self._stub.Train, request, timeout):
            yield update

    async def watch_job(self, job_id: str, *, timeout: float | None = None) -> AsyncIterator[JobUpdate]:
        """Reattach to a job (by job id or model id): yields its current state, then updates until it ends."""
        request = pb.WatchJobRequest(job_id=job_id)
        async for update in self._job_updates(self._stub.WatchJob, request, timeout):
            yield update

    async def fine_tune(
        self,
        model_id: str,
        composite: RawImage,
        *,
        iterations: int = 0,
        name: str = "",
        injection_scale: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[JobUpdate]:
        """Fine-tune ``model_id``'s finest scales on ``composite`` (which carries the pasted object's mask)
        as a job, queued with trainings: yields its updates as :meth:`train` does. On success the last
        update's ``model_id`` is a NEW model (the base is unchanged) that harmonizes this composite without
        ``fine_tune``. ``iterations`` per tuned scale (0 = the server's default), ``name`` of the new model
        (empty: "<base name> (fine-tuned)"), ``injection_scale`` as in :meth:`harmonize`. A server
        without the FineTune RPC raises :class:`~host_plugin.client.errors.Unimplemented`."""
        request = pb.FineTuneRequest(
            model_id=model_id,
            composite=composite.to_proto(),
            iterations=iterations,
            name=name,
            injection_scale=injection_scale,
        )
        async for update in self._job_updates(self._stub.FineTune, request, timeout):
            yield update

    async def cancel_job(self, job_id: str) -> pb.Job:
        """Stop a job at the next safe point; finished scales stay saved (Train again resumes them)."""
        return await self._unary(
            self._stub.CancelJob, pb.CancelJobRequest(job_id=job_id), self.settings.timeout
        )

    async def list_jobs(self, *, active_only: bool = False) -> list[pb.Job]:
        reply = await self._unary(
            self._stub.ListJobs, pb.ListJobsRequest(active_only=active_only), self.settings.timeout
        )
        return list(reply.jobs)

    # -- models -----------------------------------------------------------------------------------
    async def list_models(
        self, *, include_thumbnails: bool = False, image_hash: str = ""
    ) -> list[pb.ModelInfo]:
        request = pb.ListModelsRequest(include_thumbnails=include_thumbnails, image_hash=image_hash)
        reply = await self._unary(self._stub.ListModels, request, self.settings.timeout)
        return list(reply.models)

    async def get_model(self, model_id: str, *, include_thumbnail: bool = False) -> pb.ModelInfo:
        request = pb.GetModelRequest(model_id=model_id, include_thumbnail=include_thumbnail)
        return await self._unary(self._stub.GetModel, request, self.settings.timeout)

    async def delete_model(self, model_id: str) -> None:
        await self._unary(
            self._stub.DeleteModel, pb.DeleteModelRequest(model_id=model_id), self.settings.timeout
        )

    async def rename_model(self, model_id: str, name: str) -> pb.ModelInfo:
        request = pb.RenameModelRequest(model_id=model_id, name=name)
        return await self._unary(self._stub.RenameModel, request, self.settings.timeout)

    async def export_model(self, model_id: str, path: str | os.PathLike[str]) -> int:
        """Write the model's one-file checkpoint to ``path`` (atomically); returns the byte count."""
        target = Path(path)
        tmp = target.with_name(target.name + ".part")
        written = 0
        try:
            with open(tmp, "wb") as fh:
                async for chunk in self._server_stream(
                    self._stub.ExportModel,
                    pb.ExportModelRequest(model_id=model_id),
                    None,
                    kind="transfer_timeout",
                ):
                    fh.write(chunk.data)
                    written += len(chunk.data)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        return written

    async def import_model(
        self, path: str | os.PathLike[str], *, name: str = "", replace: bool = False
    ) -> pb.ModelInfo:
        """Upload a checkpoint file exported earlier (by this or another server). A model with the same id
        (same training image and config) already there is replaced only with ``replace`` (otherwise
        :class:`~host_plugin.client.errors.ClientError` ``ALREADY_EXISTS``); the old one stays until the
        new file is verified."""
        source = Path(path)
        total = source.stat().st_size
        timeout = self.settings.transfer_timeout
        with _translate_errors(self.settings, timeout):
            async with self._stub.ImportModel.open(metadata=self._md, timeout=timeout) as stream:
                with open(source, "rb") as fh:
                    first = True
                    while True:
                        data = fh.read(CHUNK_BYTES)
                        if not data and not first:
                            break
                        chunk = pb.FileChunk(data=data)
                        if first:
                            chunk.total_size = total
                            chunk.name = name
                            chunk.replace = replace
                            first = False
                        await stream.send_message(chunk)
                await stream.end()
                return await stream.recv_message()

    # -- inference --------------------------------------------------------------------------------
    async def generate(
        self,
        model_id: str,
        *,
        n: int = 1,
        seed: int = 0,
        scale_h: float = 1.0,
        scale_v: float = 1.0,
        size: tuple[int, int] | None = None,
        start_scale: int = 0,
        at_document_size: bool = False,
        variation: float | None = None,
        exemplar: RawImage | None = None,
        timeout: float | None = None,
    ) -> list[RawImage]:
        """``n`` random samples; ``size=(width, height)`` overrides ``scale_h``/``scale_v``;
        ``at_document_size``: generated at the model's size and brought to ``size`` with detail, copied
        from ``exemplar`` (the trained region at the document's resolution; sent in pieces when large)
        when given, else drawn by the model's finest generator.
        ``variation``: the strength of the noise, 1 = as trained (None: unset, the server's 1), 0 = the
        training image's reconstruction, larger = wilder (the server accepts 0..5); every inference call
        that samples takes it."""
        request = pb.GenerateRequest(
            model_id=model_id,
            n=n,
            seed=seed,
            scale_h=scale_h,
            scale_v=scale_v,
            start_scale=start_scale,
            at_document_size=at_document_size,
        )
        if size is not None:
            request.size.width, request.size.height = size
        if exemplar is not None:
            request.exemplar.CopyFrom(exemplar.to_proto())
        _set_variation(request, variation)
        reply = await self._unary(self._stub.Generate, request, timeout, "inference_timeout")
        return [RawImage.from_proto(img) for img in reply.images]

    async def harmonize(
        self,
        model_id: str,
        composite: RawImage,
        *,
        injection_scale: int = 0,
        seed: int = 0,
        fine_tune: bool = False,
        region_only: bool = False,
        variation: float | None = None,
        timeout: float | None = None,
    ) -> RawImage:
        """``composite`` must carry a mask of the pasted object; 0 = the server's default scale.
        ``region_only``: the result is the changed rectangle only (RGBA, transparent outside the mask)
        at its own offset; otherwise the whole composite at its offset."""
        request = pb.HarmonizeRequest(
            model_id=model_id,
            composite=composite.to_proto(),
            injection_scale=injection_scale,
            seed=seed,
            fine_tune=fine_tune,
            region_only=region_only,
        )
        _set_variation(request, variation)
        return RawImage.from_proto(
            (await self._unary(self._stub.Harmonize, request, timeout, "inference_timeout")).image
        )

    async def edit(
        self,
        model_id: str,
        image: RawImage,
        *,
        injection_scale: int = 0,
        seed: int = 0,
        region_only: bool = False,
        variation: float | None = None,
        timeout: float | None = None,
    ) -> RawImage:
        """``image`` must carry a mask of the edited region; ``region_only`` as in :meth:`harmonize`."""
        request = pb.EditRequest(
            model_id=model_id,
            image=image.to_proto(),
            injection_scale=injection_scale,
            seed=seed,
            region_only=region_only,
        )
        _set_variation(request, variation)
        return RawImage.from_proto(
            (await self._unary(self._stub.Edit, request, timeout, "inference_timeout")).image
        )

    async def paint_to_image(
        self,
        model_id: str,
        paint: RawImage,
        *,
        injection_scale: int = 0,
        quantize: bool = False,
        seed: int = 0,
        variation: float | None = None,
        timeout: float | None = None,
    ) -> RawImage:
        request = pb.PaintToImageRequest(
            model_id=model_id,
            paint=paint.to_proto(),
            injection_scale=injection_scale,
            quantize=quantize,
            seed=seed,
        )
        _set_variation(request, variation)
        return RawImage.from_proto(
            (await self._unary(self._stub.PaintToImage, request, timeout, "inference_timeout")).image
        )

    async def super_resolve(
        self,
        model_id: str,
        image: RawImage | None = None,
        *,
        factor: int = 4,
        seed: int = 0,
        timeout: float | None = None,
    ) -> RawImage:
        """Upscale ``image`` (default: the model's training image) by ``factor`` (an integer from 2 to 16)."""
        request = pb.SuperResolveRequest(model_id=model_id, factor=factor, seed=seed)
        if image is not None:
            request.image.CopyFrom(image.to_proto())
        return RawImage.from_proto(
            (await self._unary(self._stub.SuperResolve, request, timeout, "inference_timeout")).image
        )

    async def animate(
        self,
        model_id: str,
        *,
        frames: int = 100,
        start_scale: int = 1,
        alpha: float = 0.1,
        beta: float = 0.9,
        seed: int = 0,
        variation: float | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[AnimationFrame]:
        """Yield frames of a random walk in noise space as the server produces them."""
        request = pb.AnimateRequest(
            model_id=model_id, frames=frames, start_scale=start_scale, alpha=alpha, beta=beta, seed=seed
        )
        _set_variation(request, variation)
        async for frame in self._server_stream(
            self._stub.Animate, request, timeout, kind="inference_timeout"
        ):
            yield AnimationFrame(frame.index, frame.total, RawImage.from_proto(frame.image))


def _set_variation(request: Any, variation: float | None) -> None:
    """The request's optional ``variation`` field: set unless None (unset means 1.0, as trained)."""
    if variation is not None:
        request.variation = float(variation)


__all__ = ["AsyncClient", "CHUNK_BYTES", "ClientError"]
