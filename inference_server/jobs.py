"""Training jobs: a queue with one worker thread per device, progress fan-out, cancel and resume.

Jobs outlive the RPC that started them: a client that disconnects leaves its job running, and
``subscribe`` reattaches. On shutdown the running job stops at a safe point (its finished scales are
already checkpointed by ``on_scale_done``) and is recorded as INTERRUPTED; the next start resumes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from singan_api.job_state import JobState
from singan_core.config import SinGANConfig, config_from_dict, config_to_dict
from singan_core.device import resolve_device
from singan_core.errors import TrainingCancelled
from singan_core.fingerprint import model_id as compute_model_id
from singan_core.model import SinGANModel
from singan_core.tasks.inject import tune_for_harmonize
from singan_core.train import TrainProgress, train

from .finetune_jobs import TuneClock, TuneSpec, is_fine_tune, tuned_model
from .job_views import JobSnapshot, ProgressView, progress_fraction
from .store import JobRecord, ModelRecord, ModelStore, StoreError, check_id
from .training_rates import record_training

log = logging.getLogger("singan.server")

_PUBLISH_INTERVAL_S = 0.25
#: A running job publishes at least this often, even inside a long scale or its set-up (a heartbeat).
HEARTBEAT_S = 1.0


class UnknownJob(StoreError):
    pass


class Job:
    """A training job, or a fine-tuning job when ``tune`` is set (see :mod:`.finetune_jobs`)."""

    def __init__(
        self,
        record: JobRecord,
        image: np.ndarray,
        config: SinGANConfig,
        retrain: bool = False,
        tune: TuneSpec | None = None,
    ) -> None:
        self.record = record
        self.image = image
        self.config = config
        self.retrain = retrain
        self.tune = tune
        self.stop = threading.Event()
        self.progress = ProgressView()
        self.model: ModelRecord | None = None
        self.subscribers: set[asyncio.Queue[JobSnapshot]] = set()
        self.last_publish = 0.0


@dataclass(frozen=True)
class Submission:
    job: Job | None  # None when a finished model already existed
    model: ModelRecord | None
    reused: bool


class JobManager:
    """Owns the training worker. ``loop`` is the asyncio loop subscribers live on."""

    def __init__(
        self,
        store: ModelStore,
        *,
        device: torch.device | str = "auto",
        loop: asyncio.AbstractEventLoop,
        admit: Callable[[np.ndarray, SinGANConfig], None] | None = None,
    ) -> None:
        """``admit(image, config)`` raises (with a message) for a job that must not resume (over budget)."""
        self.store = store
        self.admit = admit
        self.device = device
        self.loop = loop
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._history: dict[str, JobRecord] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._pending: list[Job] = []  # queued, in order
        self._running: Job | None = None
        self._shutting_down = False
        self._thread = threading.Thread(target=self._worker, name="singan-train-worker", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self, resume: bool = True) -> int:
        """Load job history, re-queue unfinished jobs (unless ``resume`` is False), start the worker.
        Returns the number resumed."""
        resumed = 0
        for record in self.store.job_records():
            if not record.state.final and resume:
                try:
                    image = self.store.load_job_image(record.job_id)
                    config = config_from_dict(record.config)
                    tune = None
                    if is_fine_tune(record.extra):  # starts again from the base model
                        tune = TuneSpec.from_record(record.extra, image)
                    elif self.admit is not None:
                        self.admit(image, config)
                except Exception as exc:  # noqa: BLE001 - a broken record must not stop the server
                    record.state, record.error = JobState.FAILED, f"could not resume: {exc}"
                    record.finished = time.time()
                    self.store.save_job(record)
                    self._history[record.job_id] = record
                    continue
                record.state = JobState.QUEUED
                job = Job(record, image, config, tune=tune)
                self._enqueue(job)
                resumed += 1
                log.info(
                    "resuming job %s (model %s, %d scales done)",
                    record.job_id,
                    record.model_id,
                    record.scales_done,
                )
            else:
                self._history[record.job_id] = record
        self._thread.start()
        return resumed

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop the running job at a safe point (recorded INTERRUPTED, resumed on next start)."""
        with self._lock:
            self._shutting_down = True
            running = self._running
            queued, self._pending = self._pending, []
        if running is not None:
            running.stop.set()
        for job in queued:  # their watchers get a final event now, not a dropped connection
            self._finish(job, JobState.INTERRUPTED)
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def has_subscribers(self) -> bool:
        with self._lock:
            return any(job.subscribers for job in self._jobs.values())

    # -- queries -----------------------------------------------------------------------------------
    @property
    def queue_length(self) -> int:
        with self._lock:
            return len(self._pending) + (1 if self._running else 0)

    @property
    def running_job_id(self) -> str:
        with self._lock:
            return self._running.record.job_id if self._running else ""

    def get(self, job_or_model_id: str) -> Job | JobRecord:
        check_id(job_or_model_id, "job id")
        with self._lock:
            if job_or_model_id in self._jobs:
                return self._jobs[job_or_model_id]
            if job_or_model_id in self._history:
                return self._history[job_or_model_id]
            by_model = [j for j in self._jobs.values() if j.record.model_id == job_or_model_id]
            if by_model:
                return max(by_model, key=lambda j: j.record.created)
            old = [r for r in self._history.values() if r.model_id == job_or_model_id]
            if old:
                return max(old, key=lambda r: r.created)
        raise UnknownJob(f"no job with id {job_or_model_id} (see ListJobs)")

    def list(self, active_only: bool = False) -> list[JobSnapshot]:
        with self._lock:
            snaps = [self._snapshot(j) for j in self._jobs.values()]
            if not active_only:
                snaps += [JobSnapshot(dataclasses.replace(r), ProgressView()) for r in self._history.values()]
        if active_only:
            snaps = [s for s in snaps if not s.record.state.final]
        return sorted(snaps, key=lambda s: s.record.created)

    def snapshot(self, job: Job | JobRecord) -> JobSnapshot:
        with self._lock:
            if isinstance(job, JobRecord):
                return JobSnapshot(dataclasses.replace(job), ProgressView())
            return self._snapshot(job)

    def _snapshot(self, job: Job, preview: np.ndarray | None = None, reused: bool = False) -> JobSnapshot:
        position = self._pending.index(job) + 1 if job in self._pending else 0
        return JobSnapshot(
            record=dataclasses.replace(job.record, config=dict(job.record.config)),
            progress=dataclasses.replace(job.progress, losses=dict(job.progress.losses)),
            queue_position=position,
            preview=preview,
            model=job.model,
            reused=reused,
        )

    # -- commands ----------------------------------------------------------------------------------
    def submit(
        self, image: np.ndarray, config: SinGANConfig, *, name: str, sr_factor: int, retrain: bool
    ) -> Submission:
        """Start a job, or return the running job / finished model for the same image + config."""
        model_id = compute_model_id(image, config)
        with self._lock:
            for job in self._jobs.values():
                if job.record.model_id == model_id and not job.record.state.final:
                    return Submission(job, None, reused=True)
            existing = self.store.find(model_id)
            if existing is not None and existing.complete and not retrain:
                return Submission(None, existing, reused=True)
            record = JobRecord(
                job_id=uuid.uuid4().hex,
                model_id=model_id,
                name=name,
                preset=config.preset,
                config=config_to_dict(config),
                sr_factor=sr_factor,
                created=time.time(),
                scales_done=existing.scales_done if existing else 0,
            )
            self.store.save_job_image(record.job_id, image)
            self.store.save_job(record)
            job = Job(record, image, config, retrain=retrain)
            self._enqueue(job)
        return Submission(job, None, reused=False)

    def submit_fine_tune(self, spec: TuneSpec, config: SinGANConfig, *, name: str) -> Submission:
        """Queue a fine-tuning (behind any training), or return its running job / its finished model."""
        with self._lock:
            for job in self._jobs.values():
                if job.record.model_id == spec.model_id and not job.record.state.final:
                    return Submission(job, None, reused=True)
            existing = self.store.find(spec.model_id)
            if existing is not None and existing.complete and not existing.problem:
                return Submission(None, existing, reused=True)
            record = JobRecord(
                job_id=uuid.uuid4().hex,
                model_id=spec.model_id,
                name=name,
                preset=config.preset,
                config=config_to_dict(config),
                sr_factor=0,
                created=time.time(),
                extra=spec.extra(),
            )
            self.store.save_job_image(record.job_id, spec.packed_image())
            self.store.save_job(record)
            job = Job(record, spec.composite, config, tune=spec)
            self._enqueue(job)
        return Submission(job, None, reused=False)

    def _enqueue(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.record.job_id] = job
            self._pending.append(job)
        self._queue.put(job)

    def cancel(self, job_id: str) -> JobSnapshot:
        found = self.get(job_id)
        if isinstance(found, JobRecord):
            return JobSnapshot(dataclasses.replace(found), ProgressView())
        job = found
        job.stop.set()
        with self._lock:
            if job in self._pending:  # never started: finish it here
                self._pending.remove(job)
                self._finish(job, JobState.CANCELLED)
            return self._snapshot(job)

    # -- fan-out (subscribers live on the event loop) -----------------------------------------------
    def subscribe(self, job: Job) -> asyncio.Queue[JobSnapshot]:
        """Call on the loop thread. The queue first receives the job's current state."""
        q: asyncio.Queue[JobSnapshot] = asyncio.Queue()
        with self._lock:
            q.put_nowait(self._snapshot(job))
            job.subscribers.add(q)
        return q

    def unsubscribe(self, job: Job, q: asyncio.Queue[JobSnapshot]) -> None:
        with self._lock:
            job.subscribers.discard(q)

    def _publish(self, job: Job, preview: np.ndarray | None = None, force: bool = False) -> None:
        now = time.monotonic()
        if not force and preview is None and now - job.last_publish < _PUBLISH_INTERVAL_S:
            return
        job.last_publish = now
        with self._lock:
            snap = self._snapshot(job, preview=preview)
            targets = list(job.subscribers)
        if targets:
            try:
                self.loop.call_soon_threadsafe(_deliver, targets, snap)
            except RuntimeError:  # loop closed during shutdown
                pass

    # -- the worker --------------------------------------------------------------------------------
    def _worker(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                if job not in self._pending:
                    continue  # cancelled while queued
                self._pending.remove(job)
                if self._shutting_down:
                    job.record.state = JobState.INTERRUPTED
                    self.store.save_job(job.record)
                    continue
                self._running = job
                job.record.state = JobState.RUNNING
            self.store.save_job(job.record)
            self._publish(job, force=True)
            try:
                (self._fine_tune if job.tune is not None else self._train)(job)
            finally:
                with self._lock:
                    self._running = None

    def _train(self, job: Job) -> None:
        resume = None
        existing = self.store.find(job.record.model_id)
        if existing is not None and existing.scales_done > 0 and not job.retrain:
            try:
                resume = self.store.load(job.record.model_id, device="cpu")
            except Exception as exc:  # noqa: BLE001 - a bad partial checkpoint means: start over
                log.warning(
                    "job %s: cannot resume from checkpoint (%s); starting over", job.record.job_id, exc
                )
        started = time.monotonic()
        reported = [started]  # when the training last reported (the heartbeat ages elapsed/eta from it)

        def progress(p: TrainProgress) -> None:
            with self._lock:
                view = _reported(job.progress, p)
                view.elapsed_s, view.eta_s = float(p.elapsed_s), float(p.eta_s)
                view.fraction = max(view.fraction, progress_fraction(p))  # never backwards
                reported[0] = time.monotonic()
            scale_done = p.scale_done or p.preview is not None
            self._publish(job, preview=p.preview if scale_done else None)

        def on_scale_done(model: SinGANModel) -> None:
            self.store.save_model(model, name=job.record.name, sr_factor=job.record.sr_factor)
            job.record.scales_done = model.num_trained
            self.store.save_job(job.record)

        with self._beating(job, started, reported):
            try:
                model = train(
                    job.image,
                    job.config,
                    device=self.device,
                    progress=progress,
                    should_stop=job.stop.is_set,
                    on_scale_done=on_scale_done,
                    resume=resume,
                )
                job.model = self.store.save_model(model, name=job.record.name, sr_factor=job.record.sr_factor)
                try:  # this server's measured speed, for EstimateTraining
                    record_training(self.store.models_dir, model, model.device.type)
                except OSError as exc:
                    log.warning("job %s: training speed not recorded (%s)", job.record.job_id, exc)
                self._succeeded(job, model, started)
            except Exception as exc:  # noqa: BLE001 - cancelled, or reported to the client as FAILED
                self._ended(job, exc)

    def _fine_tune(self, job: Job) -> None:
        """A FineTune job: the base model's finest generators tuned on the composite, saved as a new model
        (:mod:`.finetune_jobs`); progress as training's (fraction, eta, the heartbeat)."""
        spec = job.tune
        assert spec is not None
        started = time.monotonic()
        reported = [started]
        clock: list[TuneClock] = []

        def progress(p: TrainProgress) -> None:
            fraction, elapsed, eta = clock[0].update(p)
            with self._lock:
                view = _reported(job.progress, p)
                view.elapsed_s, view.eta_s, view.fraction = elapsed, eta, fraction
                reported[0] = time.monotonic()
            self._publish(job)

        with self._beating(job, started, reported):
            try:
                base = self.store.load(spec.base_id, device=resolve_device(self.device)).eval()
                clock.append(TuneClock(spec.tuned_scales(base.num_trained)))
                tuned = tune_for_harmonize(
                    base,
                    spec.composite,
                    spec.mask,
                    injection_scale=spec.injection_scale,
                    seed=spec.seed,
                    scales=spec.scales,
                    iterations=spec.iterations,
                    progress=progress,
                    should_stop=job.stop.is_set,
                )
                model = tuned_model(tuned, spec)
                job.model = self.store.save_model(model, name=job.record.name)
                self._succeeded(job, model, started)
            except Exception as exc:  # noqa: BLE001 - cancelled, or reported to the client as FAILED
                self._ended(job, exc)

    @contextlib.contextmanager
    def _beating(self, job: Job, started: float, reported: list[float]) -> Iterator[None]:
        """While the block runs, publish the job at least every :data:`HEARTBEAT_S`, ageing its elapsed
        time and ETA from the last report (``reported[0]``, monotonic)."""
        halt = threading.Event()

        def heartbeat() -> None:
            while not halt.wait(HEARTBEAT_S) and not job.stop.is_set():
                with self._lock:  # held while publishing: no beat can follow the final event
                    if job.record.state.final or halt.is_set():
                        return
                    view, now = job.progress, time.monotonic()
                    if view.num_scales:  # the work has reported: age its figures
                        view.elapsed_s += now - reported[0]
                        if view.eta_s > 0:
                            view.eta_s = max(0.0, view.eta_s - (now - reported[0]))
                    else:
                        view.elapsed_s = now - started
                    reported[0] = now
                    self._publish(job, force=True)

        beat = threading.Thread(target=heartbeat, name="singan-heartbeat", daemon=True)
        beat.start()
        try:
            yield
        finally:
            halt.set()
            beat.join()

    def _succeeded(self, job: Job, model: SinGANModel, started: float) -> None:
        job.progress.fraction, job.progress.eta_s = 1.0, 0.0
        job.record.scales_done = model.num_trained
        self._finish(job, JobState.SUCCEEDED)
        log.info(
            "job %s finished in %.1fs (model %s)",
            job.record.job_id,
            time.monotonic() - started,
            model.model_id,
        )

    def _ended(self, job: Job, exc: Exception) -> None:
        """The job's work raised: CANCELLED (INTERRUPTED when the server is stopping), else FAILED."""
        if isinstance(exc, TrainingCancelled):
            with self._lock:
                state = JobState.INTERRUPTED if self._shutting_down else JobState.CANCELLED
            self._finish(job, state)
            log.info("job %s %s after %d scales", job.record.job_id, state.lower(), job.record.scales_done)
            return
        log.error("job %s failed: %s\n%s", job.record.job_id, exc, traceback.format_exc())
        self._finish(job, JobState.FAILED, error=str(exc) or exc.__class__.__name__)

    def _finish(self, job: Job, state: JobState, error: str = "") -> None:
        with self._lock:
            job.record.state = state
            job.record.error = error
            job.record.finished = time.time()
        self.store.save_job(job.record)
        if state.final:  # an interrupted job resumes from its saved image
            self.store.drop_job_image(job.record.job_id)
        self._publish(job, force=True)


def _reported(view: ProgressView, p: TrainProgress) -> ProgressView:
    """``view`` with the scale, iteration and losses of report ``p`` (the caller holds the lock)."""
    view.scale, view.num_scales = p.scale, p.num_scales
    view.iteration, view.iterations = p.iteration, p.iterations
    if p.losses:
        view.losses = {k: float(v) for k, v in p.losses.items()}
    return view


def _deliver(targets: list[asyncio.Queue[JobSnapshot]], snap: JobSnapshot) -> None:
    for q in targets:
        q.put_nowait(snap)
