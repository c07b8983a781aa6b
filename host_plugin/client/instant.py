"""The instant (training-free) calls: variations, fill, edit and extend canvas without a model.

Mixed into :class:`~host_plugin.client.AsyncClient` (coroutines) and :class:`~host_plugin.client.Client`
(blocking, with ``cancel=``). Deadlines: the settings' ``inference_timeout``, or ``timeout=``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from singan_api import singan_pb2 as pb

from .images import RawImage

if TYPE_CHECKING:
    from .sync import CancelToken


class AsyncInstantCalls:
    """Needs ``_stub`` and ``_unary`` (AsyncClient)."""

    _stub: Any
    _unary: Callable[..., Awaitable[Any]]

    async def _one(self, method: Any, request: Any, timeout: float | None) -> RawImage:
        return RawImage.from_proto((await self._unary(method, request, timeout, "inference_timeout")).image)

    async def instant_variations(
        self,
        image: RawImage,
        *,
        n: int = 1,
        seed: int = 0,
        size: tuple[int, int] | None = None,
        timeout: float | None = None,
    ) -> list[RawImage]:
        """``n`` variations of ``image`` (seeds ``seed``..``seed + n - 1``) at ``size=(width, height)``
        (default: the image's size; another aspect retargets), each at ``image``'s offset."""
        request = pb.InstantVariationsRequest(image=image.to_proto(), n=n, seed=seed)
        if size is not None:
            request.size.width, request.size.height = size
        reply = await self._unary(self._stub.InstantVariations, request, timeout, "inference_timeout")
        return [RawImage.from_proto(img) for img in reply.images]

    async def instant_fill(
        self,
        image: RawImage,
        *,
        source: RawImage | None = None,
        seed: int = 0,
        region_only: bool = False,
        timeout: float | None = None,
    ) -> RawImage:
        """Fill ``image``'s mask (the hole, white) from the rest of it, or from ``source``; ``region_only``:
        the hole's rectangle only (RGBA, transparent outside the hole) at its own offset."""
        request = pb.InstantFillRequest(image=image.to_proto(), seed=seed, region_only=region_only)
        if source is not None:
            request.source.CopyFrom(source.to_proto())
        return await self._one(self._stub.InstantFill, request, timeout)

    async def instant_edit(
        self,
        original: RawImage,
        edited: RawImage,
        *,
        seed: int = 0,
        region_only: bool = False,
        timeout: float | None = None,
    ) -> RawImage:
        """Make the rough rearrangement ``edited`` (same size; its mask, if any, limits the change) coherent
        with ``original``'s patches; ``region_only`` as in :meth:`instant_fill`."""
        request = pb.InstantEditRequest(
            original=original.to_proto(), edited=edited.to_proto(), seed=seed, region_only=region_only
        )
        return await self._one(self._stub.InstantEdit, request, timeout)

    async def extend_canvas(
        self,
        image: RawImage,
        *,
        left: int = 0,
        top: int = 0,
        right: int = 0,
        bottom: int = 0,
        seed: int = 0,
        timeout: float | None = None,
    ) -> RawImage:
        """``image`` with the borders (px) outpainted; its offset is ``image``'s minus (left, top)."""
        request = pb.ExtendCanvasRequest(
            image=image.to_proto(), left=left, top=top, right=right, bottom=bottom, seed=seed
        )
        return await self._one(self._stub.ExtendCanvas, request, timeout)


class InstantCalls:
    """Blocking versions; needs ``_run`` and ``_aio`` (Client). Keyword arguments as the async ones."""

    _aio: Any
    _run: Callable[..., Any]

    def instant_variations(
        self, image: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any
    ) -> list[RawImage]:
        return self._run(self._aio.instant_variations(image, **kwargs), cancel)

    def instant_fill(self, image: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any) -> RawImage:
        return self._run(self._aio.instant_fill(image, **kwargs), cancel)

    def instant_edit(
        self, original: RawImage, edited: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any
    ) -> RawImage:
        return self._run(self._aio.instant_edit(original, edited, **kwargs), cancel)

    def extend_canvas(self, image: RawImage, *, cancel: CancelToken | None = None, **kwargs: Any) -> RawImage:
        return self._run(self._aio.extend_canvas(image, **kwargs), cancel)
