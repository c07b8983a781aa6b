"""Progress text for a training job, and the pump that keeps a progress bar moving while a worker waits.

Some hosts (GIMP: libgimp calls must come from the plug-in's main thread) cannot be called from the
client's I/O thread; so the blocking call runs in a worker thread, its events travel through a queue,
and the calling thread handles them and ticks at least every ``interval`` seconds, events or not.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from host_plugin.client import JobUpdate

T = TypeVar("T")
R = TypeVar("R")


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe(update: JobUpdate, with_eta: bool = True) -> str:
    """One line for the progress bar, e.g. ``SinGAN: scale 2/3, iteration 12/30, 0:05 left`` (the raw
    ETA; :class:`ProgressModel` shows a smoothed one)."""
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
    if with_eta and update.eta_s >= 0:
        parts.append(f"{format_duration(update.eta_s)} left")
    return ", ".join(parts)


def rounded_duration(seconds: float) -> str:
    """A duration as a person says it: ``about 40 s``, ``about 6 min``, ``about 1 h 20 min``."""
    seconds = max(0.0, seconds)
    if seconds < 55:
        return f"{max(10, int(round(seconds / 10.0)) * 10)} s"
    minutes = seconds / 60.0
    if minutes < 10:
        return f"{max(1, int(round(minutes)))} min"
    if minutes < 60:
        return f"{int(round(minutes / 5.0)) * 5} min"
    hours, rest = divmod(int(round(minutes / 10.0)) * 10, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def duration_range(low: float, high: float) -> str:
    """``3-8 min``; both ends in one unit where they share it, e.g. ``40 s-2 min`` otherwise."""
    a, b = rounded_duration(low), rounded_duration(high)
    if a == b:
        return a
    unit_a, unit_b = a.rsplit(" ", 1), b.rsplit(" ", 1)
    if unit_a[1] == unit_b[1] and " " not in unit_a[0] and " " not in unit_b[0]:
        return f"{unit_a[0]}-{b}"
    return f"{a}-{b}"


@dataclass(frozen=True)
class Shown:
    """What a progress bar shows for one moment of a job (see :class:`ProgressModel`)."""

    fraction: float  # 0..1, never decreasing over a job
    seconds_left: float | None  # the smoothed estimate; None until the server has one
    low: float | None = None  # a range while the estimate is unsettled (None once it is stable)
    high: float | None = None
    text: str = ""

    @property
    def stable(self) -> bool:
        return self.seconds_left is not None and self.low is None


class TimeLeft:
    """The raw time left of a training: the server's ETA, taken once per new iteration.

    The server measures the training's speed as it goes and applies it to the cost of what is left, each
    scale weighted by its predicted cost per iteration (:class:`singan_core.eta.TrainingClock`): its
    ETA is the figure to smooth. Heartbeats (no new iteration) bring no new figure: their ETA is the
    last one aged by the time passed, which :class:`ProgressModel` does itself. :meth:`observe` returns
    None for them, and while the server has no estimate yet (``eta_s`` < 0).
    """

    def __init__(self) -> None:
        self.last: tuple[int, int] = (-1, 0)  # (scale, iteration) of the last figure taken

    def observe(self, update: JobUpdate) -> float | None:
        mark = (update.scale, update.iteration)
        if update.eta_s < 0 or update.iteration < 1 or mark <= self.last:
            return None
        self.last = mark
        return update.eta_s


class ProgressModel:
    """Turns one job's updates into a progress bar that does not lie.

    - ``fraction`` is the server's share of the training's predicted cost done (see the server's
      ``progress_fraction``), never allowed to go back here either (an older server, a reattach);
    - the time left is :class:`TimeLeft`'s, as a predicted total duration smoothed by an exponentially
      weighted average whose time constant is ``smoothing`` of the elapsed time, each update moving it
      at most ``clip``-fold, minus the elapsed time (so it counts down through a stall);
    - while the raw estimates of the last ``window`` share of the time disagree by more than
      ``spread`` it is shown as a range (``3-8 min left``), then rounded (``about 6 min left``).

    Time is the server's ``elapsed_s`` (heartbeats advance it at least every second), so the same
    updates always give the same display; :meth:`feed` returns what to show.
    """

    def __init__(
        self, smoothing: float = 0.03, window: float = 0.1, spread: float = 0.25, clip: float = 2.0
    ) -> None:
        self.smoothing, self.window, self.spread, self.clip = smoothing, window, spread, clip
        self.fraction = 0.0
        self.total: float | None = None  # smoothed predicted duration of the whole job, seconds
        self.elapsed = 0.0  # of the last estimate taken in
        self.now = 0.0  # the latest elapsed time heard of
        self.left = TimeLeft()
        self.recent: list[tuple[float, float]] = []  # (elapsed, raw predicted total)

    def feed(self, update: JobUpdate) -> Shown:
        if update.state == "SUCCEEDED":
            self.fraction = 1.0
            return Shown(1.0, 0.0, text=describe(update))
        self.fraction = max(self.fraction, fraction(update))
        running = update.state == "RUNNING" and update.num_scales > 0
        if not running:
            return Shown(self.fraction, None, text=describe(update))
        self.now = max(self.now, update.elapsed_s)
        raw = self.left.observe(update)
        if raw is not None and update.elapsed_s >= self.elapsed:
            self._observe(update.elapsed_s, update.elapsed_s + raw)
        if self.total is None:  # never the server's first guess: it is the one that swings most
            return Shown(
                self.fraction, None, text=describe(update, with_eta=False) + ", estimating time left"
            )
        left = max(0.0, self.total - self.now)
        raw_left = [total - self.now for _, total in self.recent]
        low, high = min(raw_left + [left]), max(raw_left + [left])
        settled = high - low <= self.spread * max(left, 1.0)
        base = describe(update, with_eta=False)
        if settled or left < 20:
            return Shown(self.fraction, left, text=f"{base}, about {rounded_duration(left)} left")
        low, high = max(0.0, low), max(high, 0.0)
        return Shown(self.fraction, left, low, high, text=f"{base}, {duration_range(low, high)} left")

    def _observe(self, elapsed: float, total: float) -> None:
        if self.total is None:
            self.total = total
        else:
            # one update moves the estimate at most ``clip``-fold (an outlier, not a new regime)
            total = min(max(total, self.total / self.clip, elapsed), self.total * self.clip)
            tau = max(2.0, self.smoothing * elapsed)
            weight = 1.0 - math.exp(-(elapsed - self.elapsed) / tau)
            self.total += weight * (total - self.total)
        self.elapsed = elapsed
        self.recent.append((elapsed, total))
        horizon = elapsed - max(5.0, self.window * self.total)
        while len(self.recent) > 1 and self.recent[0][0] < horizon:
            self.recent.pop(0)


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
