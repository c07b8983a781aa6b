"""What a job looks like from outside: its progress, the snapshots its subscribers receive, and the
overall fraction of a training from its reports (:mod:`.jobs` runs the jobs)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from singan_core.train import TrainProgress

from .store import JobRecord, ModelRecord


@dataclass
class ProgressView:
    scale: int = 0
    num_scales: int = 0
    iteration: int = 0
    iterations: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0
    eta_s: float = -1.0
    fraction: float = 0.0


@dataclass(frozen=True)
class JobSnapshot:
    """What subscribers receive: a consistent copy of a job's state at one moment."""

    record: JobRecord
    progress: ProgressView
    queue_position: int = 0
    preview: np.ndarray | None = None  # set on the event of a finished scale
    model: ModelRecord | None = None  # set once the model is complete
    reused: bool = False

    @property
    def finished(self) -> bool:
        """The last event of a stream (see :attr:`JobState.ends_stream`)."""
        return self.record.state.ends_stream


def progress_fraction(p: TrainProgress) -> float:
    """Share of the training's predicted time done: the elapsed time over elapsed plus the ETA, whose
    remaining scales are weighted by their measured per-iteration cost (concurrent stages included, see
    :mod:`singan_core.eta`); by scales and iterations until there is an ETA."""
    if p.eta_s > 0 and p.elapsed_s > 0:
        return p.elapsed_s / (p.elapsed_s + p.eta_s)
    if not p.num_scales:
        return 0.0
    if p.scale_done or p.preview is not None:
        return (p.scale + 1) / p.num_scales
    return (p.scale + p.iteration / max(1, p.iterations)) / p.num_scales
