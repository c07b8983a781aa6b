"""Running inference tasks for the servicer: lazy task lookup, a small model cache, channel matching.

Tasks live in ``singan_core.tasks`` and are imported on first use, so a server whose core does not have
one yet answers UNIMPLEMENTED for it instead of failing to start.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .store import ModelStore

# capability name -> (module under singan_core.tasks, function)
TASKS: dict[str, tuple[str, str]] = {
    "generate": ("sample", "generate"),
    "harmonize": ("inject", "harmonize"),
    "edit": ("inject", "edit"),
    "paint_to_image": ("inject", "paint_to_image"),
    "super_resolve": ("super_resolve", "super_resolve"),
    "animate": ("animate", "animate"),
}


class TaskUnavailable(Exception):
    """The core in this installation has no such task yet."""


class ModelNotReady(Exception):
    """The model exists but training has not finished."""


def load_task(capability: str, attr: str | None = None) -> Callable[..., Any]:
    module_name, func = TASKS[capability]
    try:
        module = importlib.import_module(f"singan_core.tasks.{module_name}")
        return getattr(module, attr or func)
    except (ImportError, AttributeError):
        raise TaskUnavailable(
            f"{capability} is not available in this server build (singan_core.tasks.{module_name}.{attr or func} "
            "is missing); see GetServerInfo.capabilities"
        ) from None


def capabilities() -> list[str]:
    found = ["train"]
    for name in TASKS:
        try:
            load_task(name)
            found.append(name)
        except TaskUnavailable:
            pass
    return found


class ModelCache:
    """Keeps the last few loaded models; reloads when the checkpoint on disk changed."""

    def __init__(self, store: ModelStore, device: Any, size: int = 4) -> None:
        self.store = store
        self.device = device
        self.size = size
        self._lock = threading.Lock()
        self._models: OrderedDict[str, tuple[tuple[int, int], Any]] = OrderedDict()

    def get(self, model_id: str) -> Any:
        record = self.store.get(model_id)
        if not record.complete:
            raise ModelNotReady(
                f"model {model_id} has {record.scales_done} of {record.num_scales} scales trained; "
                "wait for its training job to finish (WatchJob) or Train again to resume it"
            )
        key = (record.size_bytes, record.scales_done)
        with self._lock:
            hit = self._models.get(model_id)
            if hit is not None and hit[0] == key:
                self._models.move_to_end(model_id)
                return hit[1]
        model = self.store.load(model_id, device=self.device)
        if hasattr(model, "eval"):
            model.eval()
        with self._lock:
            self._models[model_id] = (key, model)
            self._models.move_to_end(model_id)
            while len(self._models) > self.size:
                self._models.popitem(last=False)
        return model

    def evict(self, model_id: str) -> None:
        with self._lock:
            self._models.pop(model_id, None)


def _has_alpha(channels: int) -> bool:
    return channels in (2, 4)


def match_channels(arr: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert an HxWxC input to the model's channel layout.

    Returns (converted array, the input's alpha channel when the model has none, else None) so that
    callers can put the artist's transparency back on the result.
    """
    c = arr.shape[2]
    top = 65535 if arr.dtype == np.uint16 else 255
    alpha = arr[:, :, -1:] if _has_alpha(c) else None
    colour = arr[:, :, :-1] if _has_alpha(c) else arr
    want_colour = 3 if channels >= 3 else 1
    if colour.shape[2] != want_colour:
        if want_colour == 1:
            weights = np.array([0.299, 0.587, 0.114])
            colour = np.round(colour.astype(np.float64) @ weights)[:, :, None].astype(arr.dtype)
        else:
            colour = np.repeat(colour, 3, axis=2)
    kept_alpha = None
    if _has_alpha(channels):
        if alpha is None:
            alpha = np.full(colour.shape[:2] + (1,), top, dtype=arr.dtype)
        out = np.concatenate([colour, alpha], axis=2)
    else:
        out = colour
        kept_alpha = alpha
    return np.ascontiguousarray(out), kept_alpha


def restore_alpha(result: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Re-attach the input's alpha to a same-sized result (converted to the result's bit depth)."""
    if alpha is None or result.shape[:2] != alpha.shape[:2]:
        return result
    if alpha.dtype != result.dtype:
        if result.dtype == np.uint16:
            alpha = alpha.astype(np.uint16) * 257
        else:
            alpha = ((alpha.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    return np.concatenate([result, alpha], axis=2)
