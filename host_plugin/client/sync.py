"""Blocking facade over :class:`AsyncClient` for plugins that call it from a worker thread.

The client owns one background thread running an asyncio loop; each method submits a coroutine to it
and waits. Callbacks (``on_update``, ``on_frame``) run on that I/O thread: hand results to your UI
thread yourself (a Qt signal in Krita, ``GLib.idle_add`` in GIMP). Any call can be cancelled from
another thread through a :class:`CancelToken`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from singan_api import singan_pb2 as pb

from .aio import AsyncClient
from .connection import ConnectionSettings
from .errors import Cancelled
from .estimate import EstimateCalls
from .images import RawImage
from .instant import InstantCalls
from .updates import AnimationFrame, JobUpdate

T = TypeVar("T")


class CancelToken:
    """Thread-safe cancellation: ``token.cancel()`` makes the call using it raise :class:`Cancelled`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def _subscribe(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self._cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def _unsubscribe(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)


class Client(EstimateCalls, InstantCalls):
    """Synchronous client; same arguments as :class:`ConnectionSettings`. Use as a context manager or
    call :meth:`close`. Thread-safe: several threads may make calls at once."""

    def __init__(self, settings: ConnectionSettings | None = None, **kwargs: Any) -> None:
        self.settings = settings or ConnectionSettings(**kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="singan-client-io", daemon=True)
        self._thread.start()
        self._aio: AsyncClient = self._submit(self._make_async()).result()

    async def _make_async(self) -> AsyncClient:
        return AsyncClient(self.settings)

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _run(self, coro: Coroutine[Any, Any, T], cancel: CancelToken | None = None) -> T:
        if cancel is not None and cancel.cancelled:
            coro.close()
            raise Cancelled("cancelled before it started")
        if cancel is None:
            return self._submit(coro).result()

        async def guarded() -> T:
            try:
                return await coro
            except Exception:
                if cancel.cancelled:  # the transport's reaction to our cancel: report it as a cancel
                    raise asyncio.CancelledError() from None
                raise

        future = self._submit(guarded())

        def on_cancel() -> None:
            future.cancel()

        cancel._subscribe(on_cancel)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise Cancelled("cancelled") from None
        finally:
            cancel._unsubscribe(on_cancel)

    def close(self) -> None:
        if not self._loop.is_running():
            return
        self._aio.close()

        async def shutdown() -> None:
            await asyncio.sleep(0)

        self._submit(shutdown()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- server and jobs --------------------------------------------------------------------------
    def server_info(self, *, cancel: CancelToken | None = None) -> pb.ServerInfo:
        return self._run(self._aio.server_info(), cancel)

    def train(
        self,
        image: RawImage,
        *,
        preset: str = "fast",
        overrides: Mapping[str, Any] | None = None,
        name: str = "",
        super_resolution_factor: int = 0,
        retrain: bool = False,
        on_update: Callable[[JobUpdate], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> JobUpdate:
        """Train (or reuse) and block until the job ends; returns the last update (check ``state``).

        ``cancel`` only stops *watching* (the job keeps running; use :meth:`cancel_job` to stop it).
        """

        updates = self._aio.train(
            image,
            preset=preset,
            overrides=overrides,
            name=name,
            super_resolution_factor=super_resolution_factor,
            retrain=retrain,
        )
        return self._run(_to_the_end(updates, on_update), cancel)

    def watch_job(
        self,
        job_id: str,
        *,
        on_update: Callable[[JobUpdate], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> JobUpdate:
        """Reattach to a job and block until it ends; returns the last update."""
        return self._run(_to_the_end(self._aio.watch_job(job_id), on_update), cancel)

    def fine_tune(
        self,
        model_id: str,
        composite: RawImage,
        *,
        on_update: Callable[[JobUpdate], None] | None = None,
        cancel: CancelToken | None = None,
        **kwargs: Any,
    ) -> JobUpdate:
        """Fine-tune a model on a composite as a job (keyword arguments: see :meth:`AsyncClient.fine_tune`)
        and block until it ends; returns the last update (on success ``model_id`` is the new, tuned model).
        ``cancel`` only stops *watching*, as for :meth:`train`."""
        return self._run(_to_the_end(self._aio.fine_tune(model_id, composite, **kwargs), on_update), cancel)

    def cancel_job(self, job_id: str) -> pb.Job:
        return self._run(self._aio.cancel_job(job_id))

    def list_jobs(self, *, active_only: bool = False) -> list[pb.Job]:
        return self._run(self._aio.list_jobs(active_only=active_only))

    # -- models -----------------------------------------------------------------------------------
    def list_models(self, *, include_thumbnails: bool = False, image_hash: str = "") -> list[pb.ModelInfo]:
        return self._run(self._aio.list_models(include_thumbnails=include_thumbnails, image_hash=image_hash))

    def get_model(self, model_id: str, *, include_thumbnail: bool = False) -> pb.ModelInfo:
        return self._run(self._aio.get_model(model_id, include_thumbnail=include_thumbnail))

    def delete_model(self, model_id: str) -> None:
        self._run(self._aio.delete_model(model_id))

    def rename_model(self, model_id: str, name: str) -> pb.ModelInfo:
        return self._run(self._aio.rename_model(model_id, name))

    def export_model(self, model_id: str, path: str, *, cancel: CancelToken | None = None) -> int:
        return self._run(self._aio.export_model(model_id, path), cancel)

    def import_model(
        self, path: str, *, name: str = "", replace: bool = False, cancel: CancelToken | None = None
    ) -> pb.ModelInfo:
        return self._run(self._aio.import_model(path, name=name, replace=replace), cancel)

    # -- inference --------------------------------------------------------------------------------
    def generate(self, model_id: str, *, cancel: CancelToken | None = None, **kwargs: Any) -> list[RawImage]:
        """See :meth:`AsyncClient.generate` for keyword arguments."""
        return self._run(self._aio.generate(model_id, **kwargs), cancel)

    def harmonize(
        self, model_id: str, composite: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any
    ) -> RawImage:
        return self._run(self._aio.harmonize(model_id, composite, **kwargs), cancel)

    def edit(
        self, model_id: str, image: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any
    ) -> RawImage:
        return self._run(self._aio.edit(model_id, image, **kwargs), cancel)

    def paint_to_image(
        self, model_id: str, paint: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any
    ) -> RawImage:
        return self._run(self._aio.paint_to_image(model_id, paint, **kwargs), cancel)

    def super_resolve(
        self,
        model_id: str,
        image: RawImage | None = None,
        *,
        cancel: CancelToken | None = None,
        **kwargs: Any,
    ) -> RawImage:
        return self._run(self._aio.super_resolve(model_id, image, **kwargs), cancel)

    def animate(
        self,
        model_id: str,
        *,
        on_frame: Callable[[AnimationFrame], None] | None = None,
        cancel: CancelToken | None = None,
        **kwargs: Any,
    ) -> list[RawImage]:
        """Collect all frames (``on_frame`` sees each as it arrives)."""

        async def run() -> list[RawImage]:
            frames = []
            async for frame in self._aio.animate(model_id, **kwargs):
                frames.append(frame.image)
                if on_frame is not None:
                    on_frame(frame)
            return frames

        return self._run(run(), cancel)


async def _to_the_end(
    updates: AsyncIterator[JobUpdate], on_update: Callable[[JobUpdate], None] | None
) -> JobUpdate:
    """A job's updates to the last one (handed to ``on_update`` as they come)."""
    last: JobUpdate | None = None
    async for update in updates:
        last = update
        if on_update is not None:
            on_update(update)
    assert last is not None, "server closed the stream without an update"
    return last
