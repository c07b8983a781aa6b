"""Real trainings' progress replayed (tests/data/progress, tests/data/README.md): the plugins' progress
model on each recording as the server sent it, and on the updates a server with today's cost law would
have sent for the same iterations at the same times (re-served).

The issue's target: the fraction shown never decreases, and from 20% on the time left shown is within
25% of the real remaining time. Every recording ran on the busy shared 2-core machine, where other
engineers' jobs came and went; where one made a stretch miss, its test says where and why.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from host_plugin.client import JobUpdate
from host_plugin.common.progress import ProgressModel
from inference_server.job_views import progress_fraction
from singan_api.job_state import JobState
from singan_core.config import get_preset, iterations_at, with_overrides
from singan_core.eta import TrainingClock, iteration_units
from singan_core.pyramid import plan_pyramid
from singan_core.train import TrainProgress

RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "progress"
BALLOONS = (186, 248)  # singan_core/assets/balloons.png, height x width


def _recording(name: str) -> list[JobUpdate]:
    updates = []
    for line in (RECORDINGS / name).read_text().splitlines():
        row = json.loads(line)
        row.pop("t")
        row.pop("load", None)  # the machine's load average, where recorded
        updates.append(JobUpdate(job_id="j", model_id="m", **{**row, "state": JobState(row["state"])}))
    return updates


def _reserved(updates: list[JobUpdate], max_size: int) -> list[JobUpdate]:
    """``updates`` with the ETA and fraction of today's server: the recorded iterations and times fed to
    :class:`TrainingClock` (as ``train`` feeds it), the fraction as the job holds it, and heartbeats (no
    new iteration) aged from the last report as the job's heartbeat ages them. The recordings' settings:
    the fast preset, ``train.iterations=100 train.lr_decay_iteration=80`` and ``pyramid.max_size``."""
    config = with_overrides(
        get_preset("fast"),
        {"train.iterations": 100, "train.lr_decay_iteration": 80, "pyramid.max_size": max_size},
    )
    shapes = plan_pyramid(*BALLOONS, config.pyramid).shapes
    n = len(shapes)
    clock = TrainingClock(
        [iteration_units(config, shapes, s) for s in range(n)],
        [iterations_at(config.train, s, n) for s in range(n)],
    )
    out, scale, fraction, eta, reported, last = [], -1, 0.0, -1.0, 0.0, 0.0
    for u in updates:
        if u.state != "RUNNING" or not u.num_scales:
            out.append(u)
            continue
        assert u.num_scales == n and u.iterations == clock.iterations[u.scale]
        if u.scale != scale:
            clock.start_scale(u.scale, last)  # the previous scale's last report (its save, its preview)
            scale = u.scale
        if u.iteration > clock.it:
            clock.iteration_done(u.iteration, u.elapsed_s)
            got = clock.eta()
            eta, reported = (-1.0 if got is None else got), u.elapsed_s
            p = TrainProgress(u.scale, n, u.iteration, u.iterations, elapsed_s=u.elapsed_s, eta_s=eta)
            fraction = max(fraction, progress_fraction(p))
        elif eta > 0:
            eta, reported = max(0.0, eta - (u.elapsed_s - reported)), u.elapsed_s
        last = u.elapsed_s
        out.append(dataclasses.replace(u, eta_s=eta, fraction=fraction))
    return out


@dataclasses.dataclass(frozen=True)
class Figures:
    median: float  # relative error of the time left shown, from 20% on
    within: float  # share of the updates within 25%
    worst: float
    inside: float  # share of the ranges shown that hold the real time left (+-25%)
    count: int
    series: tuple[tuple[float, float], ...]  # (elapsed s, relative error) of each of those updates


def _replay(updates: list[JobUpdate]) -> Figures:
    """Feeds ``updates`` to the plugins' model: checks the fraction and the update gaps, returns the
    time left's figures from 20% on (updates with more than 10 s left)."""
    assert updates[-1].state == "SUCCEEDED"
    end = updates[-1].elapsed_s
    model = ProgressModel()
    shown = [(u, model.feed(u)) for u in updates]
    fractions = [s.fraction for _, s in shown]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    running = [(u, s) for u, s in shown if u.state == "RUNNING"]
    gaps = [b.elapsed_s - a.elapsed_s for (a, _), (b, _) in zip(running, running[1:], strict=False)]
    assert max(gaps) <= 2.0, f"an update gap of {max(gaps):.1f} s"
    errors, inside, series = [], [], []
    for u, s in running:
        if s.seconds_left is not None:  # both editors show this text (Krita's docker, GIMP's bar)
            said = s.text.rsplit(", ", 1)[1]  # "about 6 min left" or "3-8 min left", never "5:47 left"
            assert said.endswith(" left") and ":" not in said, s.text
            assert said.startswith("about ") == s.stable, s.text
        real = end - u.elapsed_s
        if s.fraction < 0.2 or real <= 10 or s.seconds_left is None:
            continue
        errors.append(abs(s.seconds_left - real) / real)
        series.append((u.elapsed_s, errors[-1]))
        if not s.stable:
            inside.append(0.75 * s.low <= real <= 1.25 * s.high)
    errors.sort()
    return Figures(
        errors[len(errors) // 2],
        sum(e <= 0.25 for e in errors) / len(errors),
        errors[-1],
        sum(inside) / len(inside) if inside else 1.0,
        len(errors),
        tuple(series),
    )


def test_reserving_a_steady_training_gives_the_real_time_left() -> None:
    """The re-serving is today's server: on a synthetic steady training its ETA is the real time left."""
    config = with_overrides(
        get_preset("fast"), {"train.iterations": 100, "train.lr_decay_iteration": 80, "pyramid.max_size": 80}
    )
    shapes = plan_pyramid(*BALLOONS, config.pyramid).shapes
    n = len(shapes)
    units = [iteration_units(config, shapes, s) for s in range(n)]
    its = [iterations_at(config.train, s, n) for s in range(n)]
    updates, t = [], 0.0
    for s in range(n):
        for it in range(1, its[s] + 1):
            t += 2e-8 * units[s]
            updates.append(JobUpdate("j", "m", JobState.RUNNING, s, n, it, its[s], elapsed_s=t, eta_s=-1.0))
    updates.append(dataclasses.replace(updates[-1], state=JobState.SUCCEEDED))
    served = _reserved(updates, 80)
    assert served[2].eta_s == -1.0 and served[3].eta_s > 0  # measured after three timed spans
    for u in served[10:-1]:
        assert u.eta_s == pytest.approx(t - u.elapsed_s, rel=1e-6, abs=1e-6)
        assert u.fraction == pytest.approx(u.elapsed_s / t, rel=1e-6)


#: name -> (pyramid.max_size, what today's model must do on it re-served: median error, share of the
#: updates within 25%, worst error, all from 20% on). Each figure is the measured one rounded up a little
#: (the replay is deterministic); where a recording misses the issue's target, the test says why.
RESERVED = {
    # stalls of 20-110 s at every scale's start and near iteration 200 (the thread-count probe of the
    # time, since bounded), the load average 12-14: the stalls come at random, 50% within 25%
    "fast_balloons_80px.jsonl": (80, 0.25, 0.48, 0.80),
    # nearly idle for the first scale (600 iterations in 60 s), then 3-5x slower from the second on as
    # other jobs started: every estimate made in the first scale is short by that much, 23% within 25%
    "fast_balloons_120px.jsonl": (120, 0.38, 0.22, 0.70),
    # load average 7-13; misses at the second scale's start and in the last scale (iterations 57-72
    # took 2-6 s each instead of 1, other jobs): 89% within 25%
    "fast_balloons_120px_tuned.jsonl": (120, 0.19, 0.88, 0.48),
    # load average 12-17; the second scale ran at 0.58 s per iteration, slower than the third (0.52 s)
    # with 60% of its cost, so from 20% to 50% of the time the time left was up to 1.8x long; within
    # 25% from 55% of the time on: 47% within 25%
    "fast_balloons_120px_cost.jsonl": (120, 0.27, 0.45, 0.86),
    # load average 15-22, recorded with today's law: see the test below
    "fast_balloons_120px_cost2.jsonl": (120, 0.13, 0.94, 0.31),
}


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_a_recorded_training_reserved_by_todays_server(name: str) -> None:
    max_size, median, within, worst = RESERVED[name]
    got = _replay(_reserved(_recording(name), max_size))
    assert got.count > 500
    assert got.median <= median and got.within >= within and got.worst <= worst, got
    assert got.inside >= 0.5, got  # a range shown mostly holds the real time left (+-25%)


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_a_recorded_training_as_it_was_sent_is_monotonic_with_updates_every_2_s(name: str) -> None:
    """As recorded (the ETA of the server of the time): the fraction shown never goes back and the
    heartbeat holds; the time left is the re-served test's business."""
    _replay(_recording(name))


def test_the_training_recorded_with_todays_server_settles_within_25_percent() -> None:
    """fast_balloons_120px_cost2: a real fast training through a real local server running this code
    (balloons at 120 px, 5 scales, 636 s, load average 15-22), replayed as it was sent: the fraction never
    goes back, and from 20% on the time left is within 25% for 95% of the updates, median 13%, worst 30%.
    The misses are the first 22 s after 20% (151-173 s, the second scale's first 65 iterations): up to
    30% long, because the first scale ran 1.5x slower per unit of cost than the later ones on the loaded
    machine. From 173 s to the end every update is within 25%."""
    updates = _recording("fast_balloons_120px_cost2.jsonl")
    got = _replay(updates)
    assert got.count > 900 and got.median <= 0.13 and got.within >= 0.95 and got.worst <= 0.31, got
    missed = [t for t, e in got.series if e > 0.25]
    assert missed and 150.0 <= min(missed) and max(missed) <= 173.0, missed
