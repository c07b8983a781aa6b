"""Progress text and the worker-thread pump that keeps a progress bar alive (host_plugin.common.progress)."""

from __future__ import annotations

import threading
import time

import pytest

from host_plugin.client import JobUpdate
from host_plugin.common.progress import Pump, describe, format_duration, fraction


def _update(**kw) -> JobUpdate:
    return JobUpdate(job_id="j", model_id="m", **{"state": "RUNNING", **kw})


def test_describe() -> None:
    running = _update(scale=1, num_scales=3, iteration=12, iterations=30, eta_s=65)
    assert describe(running) == "SinGAN: scale 2/3, iteration 12/30, 1:05 left"
    assert (
        describe(_update(state="QUEUED", queue_position=2)) == "SinGAN: waiting for the server (position 2)"
    )
    assert describe(_update(state="SUCCEEDED", reused=True)) == "SinGAN: model ready (already trained)"
    assert describe(_update(state="FAILED", error="boom")) == "SinGAN: training failed: boom"
    assert describe(_update()) == "SinGAN: starting training"  # not "scale 1/1" before the scales are known
    assert format_duration(3725) == "1:02:05"


def test_fraction() -> None:
    assert fraction(_update(fraction=0.25)) == 0.25
    assert fraction(_update(scale=1, num_scales=4, iteration=5, iterations=10)) == pytest.approx(1.5 / 4)
    assert fraction(_update(state="SUCCEEDED")) == 1.0
    assert fraction(_update()) == 0.0


def test_pump_delivers_events_on_the_calling_thread_and_ticks_while_waiting() -> None:
    main = threading.get_ident()
    events: list[tuple[int, int]] = []
    ticks: list[float] = []

    def work(emit):
        emit(1)
        time.sleep(1.3)  # a long silence, as during a slow scale
        emit(2)
        return "done"

    pump = Pump(
        lambda e: events.append((e, threading.get_ident())), lambda t: ticks.append(time.monotonic()), 0.2
    )
    assert pump.run(work) == "done"
    assert events == [(1, main), (2, main)]
    assert len(ticks) >= 4
    assert max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 1.0  # at least once a second


def test_pump_reraises_the_workers_error() -> None:
    def work(_emit):
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        Pump(lambda e: None).run(work)
