"""Progress text and the worker-thread pump that keeps a progress bar alive (host_plugin.common.progress)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

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
from singan_api.job_state import JobState


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
RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "progress"


def _recording(path: Path) -> list[JobUpdate]:
    updates = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        row.pop("t")
        updates.append(JobUpdate(job_id="j", model_id="m", **{**row, "state": JobState(row["state"])}))
    return updates


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


def test_time_left_of_a_steady_training_is_the_steady_remainder() -> None:
    updates = _training([100, 80, 60], [0.5, 1.0, 2.0])
    clock = TimeLeft()
    raw = [(u, clock.observe(u)) for u in updates]
    got = [(u, r) for u, r in raw if r is not None]
    assert got[0][0].iteration == 35  # not before the server's rate window is past the scale's start
    end = updates[-1].elapsed_s
    for u, r in got:
        assert r == pytest.approx(end - u.elapsed_s, abs=1e-6)


def test_stalls_at_every_scale_start_are_expected_for_the_scales_still_to_come() -> None:
    """A 40 s stall per scale (set-up, the thread probe on a busy machine): the server's ETA, which
    knows only the steady rate, is short by 40 s per remaining scale; the time left is not."""
    updates = _training([100, 100, 100, 100], [0.5, 0.5, 1.0, 1.0], stall=40.0)
    clock = TimeLeft()
    end = updates[-1].elapsed_s
    for u in updates:
        r = clock.observe(u)
        if r is not None and u.scale >= 1:
            assert r == pytest.approx(end - u.elapsed_s, rel=0.02), (u.scale, u.iteration)
    heartbeat = dataclasses.replace(updates[-2], elapsed_s=updates[-2].elapsed_s + 1)
    assert TimeLeft().observe(heartbeat) is None  # no iteration done: time passes, no new figure


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
    first = model.feed(_update(num_scales=6, iteration=1, iterations=1200, elapsed_s=9, eta_s=28259))
    assert first.seconds_left is None  # a scale's first iterations: no "7:50:59 left" (seen in Krita)
    assert first.text == "SinGAN: scale 1/6, iteration 1/1200, estimating time left"


@pytest.mark.parametrize(
    "name", ["fast_balloons_80px.jsonl", "fast_balloons_120px.jsonl", "fast_balloons_120px_tuned.jsonl"]
)
def test_a_recorded_training_is_monotonic_and_its_time_left_mostly_within_25_percent(name: str) -> None:
    """Replays the updates of a real training through the server (tests/data/README.md).

    All ran on the busy shared 2-core machine: 80 px stalls 20-110 s at every scale's start and at its
    iteration ~200 (the thread-count probe); in 120 px the machine got 3-5x slower after the first scale
    (other engineers' jobs started), which no estimate made at 20% could know. 120px_tuned is after the
    bounded thread probe (commit cf21ed9): no probe stalls past 19 s, but the load still came and went
    (scale 3 ran 2.7x slower for a minute, scale 5 up to 6x for 15 iterations), so it does not meet 25%
    at every update either. Measured with this model (bench/progress_plot.py): median error 22% / 11% /
    18%, within 25% in 64% / 66% / 62% of the updates, worst 69% / 119% / 82% (the previous model:
    median 87%, worst 152347%).
    """
    updates = _recording(RECORDINGS / name)
    assert updates[-1].state == "SUCCEEDED"
    end = updates[-1].elapsed_s
    model = ProgressModel()
    shown = [(u, model.feed(u)) for u in updates]
    fractions = [s.fraction for _, s in shown]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    running = [(u, s) for u, s in shown if u.state == "RUNNING"]
    gaps = [b.elapsed_s - a.elapsed_s for (a, _), (b, _) in zip(running, running[1:], strict=False)]
    assert max(gaps) <= 2.0, f"an update gap of {max(gaps):.1f} s"
    errors, inside = [], []
    for u, s in running:
        real = end - u.elapsed_s
        if s.fraction < 0.2 or real <= 10 or s.seconds_left is None:
            continue
        errors.append(abs(s.seconds_left - real) / real)
        if not s.stable:
            inside.append(0.75 * s.low <= real <= 1.25 * s.high)
    errors.sort()
    assert len(errors) > 500
    assert errors[len(errors) // 2] <= 0.25, f"median error {errors[len(errors) // 2]:.0%}"
    assert sum(e <= 0.25 for e in errors) / len(errors) >= 0.6
    assert errors[-1] <= 1.5  # never more than 2.5x off (was 1500x)
    assert sum(inside) / len(inside) >= 0.75  # a range shown holds the real time left (+-25%)
