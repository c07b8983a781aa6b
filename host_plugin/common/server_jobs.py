"""A server job run from a plan: its updates reported as progress, the task's Cancel cancelling the job
on the server, its end read as success, cancel or failure. Training (:mod:`.flows`) and fine-tuning
(harmonize's "fine-tune first") both run this way."""

from __future__ import annotations

from collections.abc import Callable

from host_plugin.client import Cancelled, JobUpdate, RawImage, Unimplemented

from .models import ActionError
from .runner import RunContext

OnUpdate = Callable[[JobUpdate], None]


def follow_job(
    ctx: RunContext, start: Callable[[OnUpdate], JobUpdate], what: str, cancelled: str
) -> JobUpdate:
    """Run ``start(on_update)`` (a blocking client call that follows a job to its end) and return its
    last update when it succeeded; :class:`Cancelled` (with ``cancelled``) or :class:`ActionError`
    ("<what> failed: ...") otherwise."""
    job: dict[str, str] = {}

    def on_update(update: JobUpdate) -> None:
        job.setdefault("id", update.job_id)
        ctx.report(update)

    ctx.task.on_cancel(lambda: job.get("id") and ctx.client.cancel_job(job["id"]))
    last = start(on_update)
    if last.state == "CANCELLED" or ctx.cancel.cancelled:
        raise Cancelled(cancelled)
    if last.state != "SUCCEEDED":
        raise ActionError(f"{what} {last.state.lower()}: {last.error or 'see the server log'}")
    return last


def fine_tuned(ctx: RunContext, model_id: str, composite: RawImage, injection_scale: int) -> str | None:
    """The id of ``model_id`` fine-tuned on ``composite`` (with its mask) by a FineTune job: a new model
    on the server (found again for the same composite), with progress and Cancel like a training. None
    from a server without FineTune: the caller then asks Harmonize to fine-tune in its one call."""
    try:
        last = follow_job(
            ctx,
            lambda on_update: ctx.client.fine_tune(
                model_id, composite, injection_scale=injection_scale, on_update=on_update
            ),
            "fine-tuning",
            "fine-tuning cancelled; the model is unchanged",
        )
    except Unimplemented:  # an older server: Harmonize(fine_tune=True) does it in one call
        return None
    return last.model_id
