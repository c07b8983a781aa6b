"""Fine-tuning as a job (issue 16, item 4): what a FineTune job is and does, apart from the queue.

The job tunes a model's finest generators on one composite (harmonize's optional step, see
:func:`singan_core.tasks.inject.tune_for_harmonize`) and stores the result as a NEW model: the base model
is never changed. The new model's id comes from the base id, the composite and mask, and the tuning's
settings (:class:`~singan_core.fingerprint.TuningRecord`, kept in its checkpoint: an import elsewhere
computes the same id), so the same request finds the same model again. The job's image on disk is the
composite with the mask as one more channel (exact, whatever the bit depth); after a restart an unfinished
fine-tuning starts again from the base model (it keeps no partial state: it is a few hundred iterations).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from singan_core.fingerprint import FINE_TUNE, TuningRecord, image_hash
from singan_core.model import SinGANModel
from singan_core.tasks.finetune import default_iterations
from singan_core.tasks.inject import default_injection_scale
from singan_core.train import TrainProgress

#: JobRecord.extra["kind"] of a fine-tuning job (a training job has none).
KIND = FINE_TUNE
#: Generators tuned: harmonize's default (the finest two, never below the injection scale).
TUNED_SCALES = 2
#: Most iterations per tuned scale a request may ask for (a quarter of a paper training's 2000 is the
#: default; 20 000 is hours on a CPU).
MAX_ITERATIONS = 20_000


@dataclass(frozen=True)
class TuneSpec:
    """What a FineTune job does: ``base_id`` tuned on ``composite`` (HxWxC) where ``mask`` (HxW uint8)
    marks the pasted object, at ``injection_scale`` with ``iterations`` per tuned scale."""

    base_id: str
    composite: np.ndarray
    mask: np.ndarray
    injection_scale: int
    iterations: int
    seed: int = 0
    scales: int = TUNED_SCALES

    @classmethod
    def for_model(
        cls,
        model: SinGANModel,
        base_id: str,
        composite: np.ndarray,
        mask: np.ndarray,
        injection_scale: int,
        iterations: int,
    ) -> TuneSpec:
        """Model ``base_id``'s spec, defaults filled in (0 = the task's injection scale / a quarter of the
        model's iterations)."""
        return cls(
            base_id=base_id,
            composite=composite,
            mask=np.asarray(mask, np.uint8),
            injection_scale=injection_scale or default_injection_scale(model, "harmonize"),
            iterations=iterations or default_iterations(model),
        )

    @property
    def record(self) -> TuningRecord:
        """What the tuned model's id is computed from; its checkpoint keeps it, so an import elsewhere
        computes the same id from the file's contents."""
        return TuningRecord(
            base_model_id=self.base_id,
            composite_hash=image_hash(self.composite),
            mask_hash=image_hash(self.mask),
            injection_scale=self.injection_scale,
            iterations=self.iterations,
            seed=self.seed,
            scales=self.scales,
            kind=KIND,
        )

    @property
    def model_id(self) -> str:
        """The tuned model's id (24 hex digits, as every model id)."""
        return self.record.tuned_id

    def tuned_scales(self, num_trained: int) -> list[int]:
        """The scales the tuning trains, coarse to fine (as :func:`finetune.tune_for_composite`)."""
        last = num_trained - 1
        return list(range(max(self.injection_scale, last - self.scales + 1), last + 1))

    # -- on disk (JobRecord.extra and the job's image) -----------------------------------------------
    def extra(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "base_model_id": self.base_id,
            "injection_scale": self.injection_scale,
            "iterations": self.iterations,
            "seed": self.seed,
            "scales": self.scales,
        }

    def packed_image(self) -> np.ndarray:
        """The composite with the mask as its last channel (in the composite's dtype: no value lost)."""
        return np.concatenate([self.composite, self.mask[:, :, None].astype(self.composite.dtype)], axis=2)

    @classmethod
    def from_record(cls, extra: dict[str, Any], packed: np.ndarray) -> TuneSpec:
        """The spec of a stored job (``extra`` and :meth:`packed_image`); KeyError/ValueError if damaged."""
        if packed.ndim != 3 or packed.shape[2] < 2:
            raise ValueError(f"the stored composite has shape {packed.shape}")
        return cls(
            base_id=str(extra["base_model_id"]),
            composite=np.ascontiguousarray(packed[:, :, :-1]),
            mask=packed[:, :, -1].astype(np.uint8),
            injection_scale=int(extra["injection_scale"]),
            iterations=int(extra["iterations"]),
            seed=int(extra.get("seed", 0)),
            scales=int(extra.get("scales", TUNED_SCALES)),
        )


def is_fine_tune(extra: dict[str, Any]) -> bool:
    return extra.get("kind") == KIND


def tuned_model(tuned: SinGANModel, spec: TuneSpec) -> SinGANModel:
    """``tuned`` (from :func:`tune_for_harmonize`) as a model of its own: its own id and creation time, the
    base model's tuning records and this one's; the training image, config and reconstruction noise are
    the base model's."""
    tunings = (*tuned.tunings, spec.record)
    return replace(tuned, model_id=spec.model_id, created=time.time(), tunings=tunings)


class TuneClock:
    """Overall progress of a fine-tuning from its per-scale reports: the fraction of all tuned
    iterations done (never backwards) and the time left at the rate so far."""

    def __init__(self, scales: list[int]) -> None:
        self.scales = scales
        self.started = time.monotonic()
        self.fraction = 0.0

    def update(self, p: TrainProgress) -> tuple[float, float, float]:
        """(fraction, elapsed_s, eta_s) after report ``p`` (eta -1 for the first second)."""
        k = self.scales.index(p.scale) if p.scale in self.scales else 0
        done = (k + p.iteration / max(1, p.iterations)) / len(self.scales)
        self.fraction = max(self.fraction, min(done, 1.0))
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.fraction * (1.0 - self.fraction) if self.fraction > 0 and elapsed >= 1 else -1.0
        return self.fraction, elapsed, eta
