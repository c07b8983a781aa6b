"""The server's memory budget: how much a request may add, checked before its work starts."""

from __future__ import annotations

import os
from pathlib import Path

import grpc
import numpy as np
import torch

from singan_core.budget import training_peak_bytes
from singan_core.config import SinGANConfig

from .convert import RequestError


def available_memory_bytes(device: torch.device) -> int | None:
    """Memory free for work on ``device`` now (CUDA: the GPU's free memory; else the machine's available
    RAM), or None where it cannot be read."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def default_budget_bytes(device: torch.device) -> int | None:
    """80% of what is free at start (the rest for the server itself, the OS and the model cache)."""
    free = available_memory_bytes(device)
    return None if free is None else int(free * 0.8)


def check_training(image: np.ndarray, config: SinGANConfig, budget: int | None) -> None:
    """Refuse a training whose estimated peak memory is over ``budget`` (at Train, and when resuming)."""
    h, w, c = image.shape
    check_budget(training_peak_bytes(config, h, w, c), budget, f"training on {w}x{h}")


def check_budget(needed: int, budget: int | None, what: str) -> None:
    """Refuse ``what`` with RESOURCE_EXHAUSTED when its estimated peak memory ``needed`` is over ``budget``."""
    if budget is not None and needed > budget:
        raise RequestError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"{what} would need about {needed / 2**30:.1f} GiB of memory, over this server's budget of "
            f"{budget / 2**30:.1f} GiB (--max-memory-gb): use a smaller image, output, count or config",
        )
