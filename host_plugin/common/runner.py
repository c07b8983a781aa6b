"""Running a flow: network work on a worker thread, document work on the UI thread.

A :class:`Plan` is made on the UI thread (it has already read the pixels it needs), :meth:`Plan.run`
talks to the server on a worker thread, and :meth:`Plan.apply` writes layers back on the UI thread.
Two ways to run one: :class:`TaskRunner` returns at once and hands results to the UI thread through an
injected ``post`` (a queued Qt signal inside Krita, a direct call in tests and blocking scripts);
:func:`run_waiting` blocks the calling (UI) thread but keeps handling progress on it while a worker
waits for the server (GIMP, whose plug-in runs one procedure at a time).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from host_plugin.client import Cancelled, CancelToken, Client, ClientError, JobUpdate

from .document import Document, Placed
from .progress import Pump

Post = Callable[[Callable[[], None]], None]
Progress = Callable[[JobUpdate], None]


@dataclass
class Outcome:
    """What an action left behind: new layers (maybe in a new document), a model id, a message."""

    layers: list[Placed] = field(default_factory=list)
    model_id: str = ""
    message: str = ""

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.layers]


class RunContext:
    """Handed to :meth:`Plan.run` on the worker thread."""

    def __init__(self, client: Client, task: Task, report: Callable[[JobUpdate], None]) -> None:
        self.client = client
        self.task = task
        self.cancel = task.cancel_token
        self.report = report


class Plan(ABC):
    title: str = "SinGAN"

    @property
    def doing(self) -> str:
        """What the plan does while it waits for the server, for a progress text ("upscaling x4")."""
        return self.title.lower()

    @abstractmethod
    def run(self, ctx: RunContext) -> Any:
        """Network work; runs on a worker thread; must not touch the document."""

    @abstractmethod
    def apply(self, doc: Document, result: Any) -> Outcome:
        """Document work with the result of :meth:`run`; runs on the UI thread."""


class Task:
    """A running (or finished) plan. ``cancel()`` is safe from any thread."""

    def __init__(self, title: str, on_progress: Progress | None = None) -> None:
        self.title = title
        self.on_progress = on_progress
        self.cancel_token = CancelToken()
        self.done = threading.Event()
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None
        self.last_update: JobUpdate | None = None
        self._on_cancel: list[Callable[[], None]] = []

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Extra work when cancelled (e.g. stopping the server-side training job)."""
        self._on_cancel.append(callback)

    def cancel(self) -> None:
        self.cancel_token.cancel()
        for callback in self._on_cancel:
            threading.Thread(target=_quietly, args=(callback,), daemon=True).start()

    def wait(self, timeout: float | None = None) -> Outcome:
        """Block until finished; re-raises the task's error."""
        if not self.done.wait(timeout):
            raise TimeoutError(f"{self.title} still running after {timeout} s")
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


def _quietly(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # best effort: the server may be gone already
        pass


#: (task, event, payload): "started" (payload: what it does, e.g. "generating"), "progress" (a JobUpdate),
#: "done" (an Outcome) or "failed" (the error)
Listener = Callable[[Task, str, object], None]


class TaskRunner:
    def __init__(self, post: Post) -> None:
        self.post = post
        self.tasks: list[Task] = []
        self.listeners: list[Listener] = []

    def _notify(self, task: Task, event: str, payload: object) -> None:
        for listener in list(self.listeners):
            listener(task, event, payload)

    def run_blocking(
        self, plan: Plan, doc: Document, client: Client, on_progress: Progress | None = None
    ) -> Outcome:
        """Blocks the calling thread (scripts, tests). ``on_progress`` is called on the client's I/O
        thread; :attr:`listeners` (UI: Krita's docker) do not hear of it: they would be called off the UI
        thread, which crashed Krita with the docker open (a scripted training, seen in a Krita window)."""
        task = Task(plan.title, on_progress)

        def report(update: JobUpdate) -> None:
            task.last_update = update
            if on_progress is not None:
                on_progress(update)

        ctx = RunContext(client, task, report)
        task.outcome = plan.apply(doc, plan.run(ctx))
        task.done.set()
        return task.outcome

    def start(self, plan: Plan, doc: Document, client: Client, on_progress: Progress | None = None) -> Task:
        """``plan.run`` on a new worker thread; ``plan.apply``, ``on_progress`` and listeners on the UI
        thread via ``post``."""
        task = Task(plan.title, on_progress)
        self.tasks.append(task)

        def finish_ok(result: object) -> None:
            try:
                task.outcome = plan.apply(doc, result)
            except Exception as err:  # reported to the user
                finish_err(err)
                return
            self.tasks.remove(task)
            task.done.set()
            self._notify(task, "done", task.outcome)

        def finish_err(err: BaseException) -> None:
            task.error = err
            if task in self.tasks:
                self.tasks.remove(task)
            task.done.set()
            self._notify(task, "failed", err)

        def work() -> None:
            ctx = RunContext(client, task, lambda update: self._progress(task, update))
            try:
                result = plan.run(ctx)
            except BaseException as exc:  # handed to the UI thread
                error = exc
                self.post(lambda: finish_err(error))
                return
            self.post(lambda: finish_ok(result))

        self.post(lambda: self._notify(task, "started", plan.doing))  # a UI shows every call, with Cancel
        threading.Thread(target=work, name=f"singan-{plan.title}", daemon=True).start()
        return task

    def _progress(self, task: Task, update: JobUpdate) -> None:
        task.last_update = update

        def deliver() -> None:
            if task.on_progress is not None:
                task.on_progress(update)
            self._notify(task, "progress", update)

        self.post(deliver)


def run_waiting(
    plan: Plan,
    doc: Document,
    client: Client,
    on_update: Callable[[JobUpdate], None],
    on_idle: Callable[[float], None],
    interval: float = 0.5,
) -> Outcome:
    """``plan.run`` on a worker thread while the calling thread gets each update (``on_update``) and a
    tick every ``interval`` seconds without one (``on_idle(elapsed_s)``); then ``plan.apply`` on the
    calling thread. Re-raises the plan's error."""
    task = Task(plan.title)
    pump: Pump[JobUpdate] = Pump(on_update, on_idle, interval)
    result = pump.run(lambda emit: plan.run(RunContext(client, task, emit)))
    task.outcome = plan.apply(doc, result)
    task.done.set()
    return task.outcome


def describe_error(err: BaseException) -> str:
    """One line for the user ("cancelled: nothing was changed" for a cancelled call, not "CANCELLED: ...")."""
    if isinstance(err, Cancelled):
        message = err.message if err.message and err.message != "cancelled" else ""
        return message or "cancelled: nothing was changed"
    if isinstance(err, ClientError):
        return f"{err.code}: {err.message}"
    return str(err) or type(err).__name__
