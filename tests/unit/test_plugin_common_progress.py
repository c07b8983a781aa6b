"""Progress text and the worker-thread pump that keeps a progress bar alive (host_plugin.common.progress)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from host_plugin.client import JobUpdate
from host_plugin.common.progress import (
    ProgressModel,
    Pump,
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


def test_the_shown_fraction_never_goes_back_and_the_time_left_is_smoothed() -> None:
    model = ProgressModel()
    first = model.feed(_update(num_scales=6, scale=1, iteration=9, elapsed_s=30, eta_s=90, fraction=0.47))
    assert first.fraction == 0.47 and first.seconds_left == 90
    # an older server's fraction jumping back, and an ETA swinging 4x for one update
    swung = model.feed(_update(num_scales=6, scale=2, iteration=3, elapsed_s=31, eta_s=360, fraction=0.33))
    assert swung.fraction == 0.47
    assert 90 < swung.seconds_left < 130  # one second of a 4x swing moves the estimate a little
    assert not swung.stable and swung.text.endswith("left") and "-" in swung.text  # shown as a range
    # a new scale's first iterations (set-up in the server's rate) do not move the estimate
    setup = model.feed(
        _update(num_scales=6, scale=3, iteration=1, iterations=100, elapsed_s=40, eta_s=12000, fraction=0.5)
    )
    assert setup.seconds_left == pytest.approx(swung.seconds_left - 9, abs=0.5)
    done = model.feed(_update(state="SUCCEEDED", elapsed_s=120))
    assert done.fraction == 1.0 and done.seconds_left == 0


def test_a_steady_estimate_is_shown_rounded() -> None:
    model = ProgressModel()
    for t in range(0, 60, 1):
        shown = model.feed(
            _update(num_scales=6, scale=2, iteration=5 + t, elapsed_s=t, eta_s=400 - t, fraction=t / 400)
        )
    assert shown.stable and shown.text == "SinGAN: scale 3/6, about 6 min left"
    assert shown.seconds_left == pytest.approx(340, abs=1)


def test_no_time_left_before_the_server_has_an_estimate() -> None:
    model = ProgressModel()
    assert model.feed(_update(state="QUEUED", queue_position=1)).seconds_left is None
    starting = model.feed(_update(elapsed_s=2))
    assert starting.seconds_left is None and starting.text == "SinGAN: starting training"
    first = model.feed(_update(num_scales=6, iteration=1, iterations=1200, elapsed_s=9, eta_s=28259))
    assert first.seconds_left is None  # a scale's first iterations: no "7:50:59 left" (seen in Krita)
    assert first.text == "SinGAN: scale 1/6, iteration 1/1200, estimating time left"


@pytest.mark.parametrize("name", ["fast_balloons_80px.jsonl"])
def test_a_recorded_training_is_monotonic_and_never_claims_a_wrong_time(name: str) -> None:
    """Replays the updates of a real training through the server (tests/data/progress/README.md).

    On that busy machine the training stalls 30-60 s at the start and near iteration 200 of every scale,
    and the server's ETA swings up to 80-fold: no point estimate keeps within 25% (measured: the shown
    estimate's median error 87%, the server's raw ETA's 45%). What the model guarantees instead: it
    never states "about N min" when that is more than 25% off, and the range it shows holds the real
    time left (+-25%) nearly always.
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
    inside = []
    for u, s in running:
        real = end - u.elapsed_s
        if s.fraction < 0.2 or real <= 10 or s.seconds_left is None:
            continue
        if s.stable:
            assert abs(s.seconds_left - real) <= 0.25 * real, (u.elapsed_s, s.text, real)
        else:
            inside.append(0.75 * s.low <= real <= 1.25 * s.high)
    assert len(inside) > 100 and sum(inside) / len(inside) >= 0.9
