"""Progress text and the worker-thread pump that keeps a progress bar alive (host_plugin.common.progress)."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from host_plugin.client import JobUpdate
from host_plugin.common.progress import (
    ProgressModel,
    Pump,
    TimeLeft,
    describe,
    duration_range,
    format_duration,
    fraction,
    rounded_duration,
)


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


# -- the progress model (what the bars show) ----------------------------------------------------------
def test_rounded_durations_and_ranges() -> None:
    assert rounded_duration(3) == "10 s" and rounded_duration(44) == "40 s"
    assert rounded_duration(80) == "1 min" and rounded_duration(6 * 60 + 20) == "6 min"
    assert rounded_duration(23 * 60) == "25 min" and rounded_duration(80 * 60) == "1 h 20 min"
    assert rounded_duration(2 * 3600) == "2 h"
    assert duration_range(200, 470) == "3-8 min"
    assert duration_range(40, 130) == "40 s-2 min"
    assert duration_range(300, 310) == "5 min"


def _training(
    scales: list[int], rate: list[float], stall: float = 0.0, start: float = 0.0
) -> list[JobUpdate]:
    """Updates of a training whose scale ``s`` runs ``scales[s]`` iterations at ``rate[s]`` s each after a
    ``stall`` at its start; the server's ETA is exact for the steady part (a cost law that is right)."""
    updates, t, n = [], start, len(scales)
    for s, its in enumerate(scales):
        t += stall
        for it in range(1, its + 1):
            t += rate[s]
            eta = (its - it) * rate[s] + sum(scales[k] * rate[k] for k in range(s + 1, n))
            done = sum(scales[k] * rate[k] for k in range(s)) + it * rate[s]
            updates.append(
                _update(
                    scale=s,
                    num_scales=n,
                    iteration=it,
                    iterations=its,
                    elapsed_s=t,
                    eta_s=eta,
                    fraction=done / (done + eta),
                )
            )
    return updates


def test_time_left_takes_the_servers_eta_once_per_new_iteration() -> None:
    updates = _training([100, 80, 60], [0.5, 1.0, 2.0])
    clock = TimeLeft()
    assert [clock.observe(u) for u in updates] == [u.eta_s for u in updates]
    heartbeat = dataclasses.replace(updates[-2], elapsed_s=updates[-2].elapsed_s + 1, eta_s=5.0)
    assert clock.observe(heartbeat) is None  # no iteration done: time passes, no new figure
    assert TimeLeft().observe(dataclasses.replace(updates[0], eta_s=-1.0)) is None  # not measured yet


def test_the_shown_fraction_never_goes_back_and_the_time_left_counts_down_through_a_stall() -> None:
    model = ProgressModel()
    updates = _training([100, 100], [0.5, 0.5])
    shown = [model.feed(u) for u in updates[:60]]
    assert shown[-1].seconds_left == pytest.approx(updates[-1].elapsed_s - updates[59].elapsed_s, rel=0.01)
    # an older server's fraction jumping back is not shown
    back = dataclasses.replace(updates[60], fraction=0.01)
    assert model.feed(back).fraction == shown[-1].fraction
    # 30 s without an iteration (heartbeats only): the time left goes down with the clock
    left = model.feed(updates[61]).seconds_left
    for k in range(1, 31):
        beat = model.feed(dataclasses.replace(updates[61], elapsed_s=updates[61].elapsed_s + k))
    assert beat.seconds_left == pytest.approx(left - 30, abs=0.01)
    done = model.feed(_update(state="SUCCEEDED", elapsed_s=120))
    assert done.fraction == 1.0 and done.seconds_left == 0


def test_a_steady_estimate_is_shown_rounded() -> None:
    model = ProgressModel()
    for u in _training([400, 400], [0.5, 0.5])[:200]:
        shown = model.feed(u)
    assert shown.stable and shown.text == "SinGAN: scale 1/2, iteration 200/400, about 5 min left"
    assert shown.seconds_left == pytest.approx(300, abs=1)


def test_no_time_left_before_the_server_has_an_estimate() -> None:
    model = ProgressModel()
    assert model.feed(_update(state="QUEUED", queue_position=1)).seconds_left is None
    starting = model.feed(_update(elapsed_s=2))
    assert starting.seconds_left is None and starting.text == "SinGAN: starting training"
    first = model.feed(_update(num_scales=6, iteration=1, iterations=1200, elapsed_s=9, eta_s=-1))
    assert first.seconds_left is None  # the server's speed is not measured yet: no guess shown
    assert first.text == "SinGAN: scale 1/6, iteration 1/1200, estimating time left"
