"""The last few loaded models, shared by the inference calls; reloaded when the checkpoint changed."""

from __future__ import annotations

import threading
from collections import OrderedDict

import torch

from singan_core.errors import DamagedModel
from singan_core.model import SinGANModel

from .store import ModelStore


class ModelNotReady(Exception):
    """The model exists but training has not finished."""


class ModelCache:
    """Keeps the last ``size`` loaded models on ``device``; a model is reloaded when its checkpoint on
    disk changed (another scale finished, or a re-import)."""

    def __init__(self, store: ModelStore, device: torch.device | str, size: int = 4) -> None:
        self.store = store
        self.device = device
        self.size = size
        self._lock = threading.Lock()
        self._models: OrderedDict[str, tuple[tuple[int, int], SinGANModel]] = OrderedDict()

    def get(self, model_id: str) -> SinGANModel:
        record = self.store.get(model_id)
        if record.problem:
            raise DamagedModel(
                f"model {model_id} is damaged and cannot be used: {record.problem}; "
                "train it again (or import an intact copy)"
            )
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
