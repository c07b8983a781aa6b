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

    async def _in_pool(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, functools.partial(fn, *args, **kwargs)
        )

    def _input(
        self, msg: pb.Image, what: str, need_mask: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        return image_from_proto(msg, what=what, max_pixels=self.config.max_pixels, need_mask=need_mask)
