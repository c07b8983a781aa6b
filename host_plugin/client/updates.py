"""Plain-Python views of job events and animation frames (what progress callbacks receive)."""

from __future__ import annotations

from dataclasses import dataclass, field

from singan_api import singan_pb2 as pb
from singan_api.job_state import JobState

from .images import RawImage


@dataclass(frozen=True)
class JobUpdate:
    """One event of a training job.

    ``state``: a :class:`JobState` (a string: ``QUEUED``, ``RUNNING``, ``SUCCEEDED``, ``FAILED``,
    ``CANCELLED`` or ``INTERRUPTED``: server stopped; the job resumes when it starts again). ``scale`` is
    0-based from the coarsest; ``fraction``
    is 0..1 of the whole job; ``eta_s`` < 0 means unknown. ``preview`` is set when a scale finishes,
    ``model`` (a ``singan_pb2.ModelInfo``) once the model is ready. ``reused`` is true when Train found an
    existing model or running job for the same image and config.
    """

    job_id: str
    model_id: str
    state: JobState
    scale: int = 0
    num_scales: int = 0
    iteration: int = 0
    iterations: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0
    eta_s: float = -1.0
    fraction: float = 0.0
    scales_done: int = 0
    queue_position: int = 0
    error: str = ""
    preview: RawImage | None = None
    model: pb.ModelInfo | None = None
    reused: bool = False

    @property
    def finished(self) -> bool:
        """No further update follows (see :attr:`JobState.ends_stream`)."""
        return self.state.ends_stream

    @classmethod
    def from_proto(cls, event: pb.JobEvent) -> JobUpdate:
        job = event.job
        p = job.progress
        return cls(
            job_id=job.job_id,
            model_id=job.model_id,
            state=JobState.from_proto(job.state),
            scale=p.scale,
            num_scales=p.num_scales,
            iteration=p.iteration,
            iterations=p.iterations,
            losses=dict(p.losses),
            elapsed_s=p.elapsed_s,
            eta_s=p.eta_s,
            fraction=p.fraction,
            scales_done=job.scales_done,
            queue_position=job.queue_position,
            error=job.error,
            preview=RawImage.from_proto(event.preview) if event.HasField("preview") else None,
            model=event.model if event.HasField("model") else None,
            reused=event.reused,
        )


@dataclass(frozen=True)
class AnimationFrame:
    index: int
    total: int
    image: RawImage
