"""Progress text for a training job, and the pump that keeps a progress bar moving while a worker waits.

Some hosts (GIMP: libgimp calls must come from the plug-in's main thread) cannot be called from the
client's I/O thread; so the blocking call runs in a worker thread, its events travel through a queue,
and the calling thread handles them and ticks at least every ``interval`` seconds, events or not.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from host_plugin.client import JobUpdate

T = TypeVar("T")
R = TypeVar("R")


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe(update: JobUpdate) -> str:
    """One line for the progress bar, e.g. ``SinGAN: scale 2/3, iteration 12/30, 0:05 left``."""
    if update.state == "QUEUED":
        ahead = f" (position {update.queue_position})" if update.queue_position else ""
        return f"SinGAN: waiting for the server{ahead}"
    if update.state == "SUCCEEDED":
        return "SinGAN: model ready" + (" (already trained)" if update.reused else "")
    if update.state in ("FAILED", "CANCELLED", "INTERRUPTED"):
        return f"SinGAN: training {update.state.lower()}" + (f": {update.error}" if update.error else "")
    if not update.num_scales:  # the server has not said how many scales yet
        return "SinGAN: starting training"
    parts = [f"SinGAN: scale {update.scale + 1}/{update.num_scales}"]
    if update.iterations:
        parts.append(f"iteration {update.iteration}/{update.iterations}")
    if update.eta_s >= 0:
        parts.append(f"{format_duration(update.eta_s)} left")
    return ", ".join(parts)


def fraction(update: JobUpdate) -> float:
    if update.state == "SUCCEEDED":
        return 1.0
    if update.fraction > 0:
        return min(update.fraction, 1.0)
    if update.num_scales and update.iterations:
        done = update.scale + update.iteration / update.iterations
        return min(done / update.num_scales, 1.0)
    return 0.0


class Pump(Generic[T]):
    """Run ``work(emit)`` in a thread; deliver what it emits to ``on_event`` on the calling thread.

    ``on_idle(elapsed_s)`` runs whenever ``interval`` seconds pass without an event, so the caller can
    keep a progress bar alive. :meth:`run` returns ``work``'s result or re-raises its exception.
    """

    def __init__(
        self,
        on_event: Callable[[T], None],
        on_idle: Callable[[float], None] | None = None,
        interval: float = 0.5,
    ) -> None:
        self.on_event = on_event
        self.on_idle = on_idle
        self.interval = interval

    def run(self, work: Callable[[Callable[[T], None]], R]) -> R:
        events: queue.Queue[tuple[str, object]] = queue.Queue()
        outcome: dict[str, object] = {}

        def target() -> None:
            try:
                outcome["result"] = work(lambda event: events.put(("event", event)))
            except BaseException as exc:  # handed to the main thread
                outcome["error"] = exc
            finally:
                events.put(("done", None))

        started = time.monotonic()
        thread = threading.Thread(target=target, name="singan-work", daemon=True)
        thread.start()
        last = time.monotonic()
        while True:
            try:
                kind, payload = events.get(timeout=self.interval)
            except queue.Empty:
                if self.on_idle is not None:
                    self.on_idle(time.monotonic() - started)
                last = time.monotonic()
                continue
            if kind == "done":
                break
            self.on_event(payload)  # type: ignore[arg-type]
            if self.on_idle is not None and time.monotonic() - last >= self.interval:
                self.on_idle(time.monotonic() - started)
                last = time.monotonic()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["result"]  # type: ignore[return-value]
