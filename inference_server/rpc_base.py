"""What every group of RPCs shares: the server's parts, the worker pool and the input check."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from singan_api import singan_pb2 as pb

from .config import ServerConfig
from .convert import image_from_proto
from .jobs import JobManager
from .model_cache import ModelCache
from .store import ModelStore
from .uploads import UploadLimits, UploadStore, resolve_uploads


class RpcBase:
    """The state the servicer's RPC groups (``servicer``, ``model_rpcs``, ``inference_rpcs``) work on."""

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
        self.uploads = UploadStore(
            store.models_dir,
            UploadLimits(
                max_pixels=config.max_pixels,
                max_bytes=config.max_upload_bytes,
                max_pending=config.max_pending_uploads,
                max_pending_bytes=config.max_pending_upload_bytes,
                ttl_s=config.upload_ttl_s,
                memory_budget=config.max_memory_bytes,
            ),
        )

    async def resolve_uploads(self, request: object) -> None:
        """Every Image of ``request`` naming an upload gets its bytes (the ``rpc`` decorators call this
        before each handler, so every RPC that takes an Image accepts an upload_id)."""
        await resolve_uploads(self.uploads, request)

    async def _in_pool(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, functools.partial(fn, *args, **kwargs)
        )

    def _input(
        self, msg: pb.Image, what: str, need_mask: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        return image_from_proto(msg, what=what, max_pixels=self.config.max_pixels, need_mask=need_mask)
