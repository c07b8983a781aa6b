"""The training ETA's time model (singan_core.eta) and the ETA train() reports."""

import pytest

from singan_core.config import get_preset, with_overrides
from singan_core.eta import IterationTimeModel, TrainingClock, iteration_cost, iteration_units
from singan_core.pyramid import plan_pyramid
from singan_core.train import train

# A real `fast` training of the demo image (248x186, 2-core CPU): per-scale shapes, iterations, seconds.
DEMO_SHAPES = ((25, 34), (35, 46), (47, 63), (65, 86), (88, 117), (120, 160))
DEMO_ITERS = (1200, 839, 586, 410, 286, 200)
DEMO_SECONDS = (69.4, 75.5, 80.8, 80.4, 85.6, 100.7)


def test_recovers_overhead_and_rate_from_exact_measurements():
    m = IterationTimeModel()
    for k, c in enumerate((100.0, 400.0, 1600.0)):
        m.observe(k, c, 0.05 + 1e-4 * c)
    overhead, rate = m.coefficients()
    assert overhead == pytest.approx(0.05) and rate == pytest.approx(1e-4)
    assert m.predict(10_000) == pytest.approx(1.05)


def test_one_measurement_uses_the_prior_and_a_flat_gpu_stays_flat():
    m = IterationTimeModel()
    assert m.predict(123.0) == 0.0
    m.observe(0, 100.0, 0.1)
    assert m.predict(100.0) == pytest.approx(0.1)
    assert m.predict(200.0) == pytest.approx(0.1 * (m.PRIOR_OVERHEAD + 2 * (1 - m.PRIOR_OVERHEAD)))
    m.observe(1, 400.0, 0.09)  # bigger but faster: time does not grow with cost
    assert m.predict(10_000.0) == pytest.approx(0.095)


def test_demo_training_eta_after_each_scale_is_near_what_it_really_took():
    fast = get_preset("fast")
    assert fast.train.concurrent_stages == 3
    m = IterationTimeModel()
    costs = [iteration_cost(fast, DEMO_SHAPES, s) for s in range(6)]
    for k in range(1, 5):
        m.observe(k - 1, costs[k - 1], DEMO_SECONDS[k - 1] / DEMO_ITERS[k - 1])
        predicted = sum(m.predict(costs[s]) * DEMO_ITERS[s] for s in range(k, 6))
        actual = sum(DEMO_SECONDS[k:])
        # proportional-to-cost scaling of the last scale's rate said 1.96x, 1.74x, 1.58x, 1.28x
        assert 0.7 < predicted / actual < 1.4, (k, predicted, actual)


def test_concurrent_stages_and_channels_enter_the_cost():
    paper = get_preset("paper")
    three_stages = with_overrides(paper, {"train.concurrent_stages": 3})
    shapes = plan_pyramid(188, 250, paper.pyramid).shapes
    one = iteration_cost(paper, shapes, len(shapes) - 1)
    three = iteration_cost(three_stages, shapes, len(shapes) - 1)
    assert three > one
    assert iteration_cost(paper, shapes, len(shapes) - 1) > 100 * iteration_cost(paper, shapes, 0)


def test_train_reports_a_finite_eta_that_reaches_zero(tiny_rgb):
    cfg = with_overrides(get_preset("tiny"), {"train.iterations": 12, "train.lr_decay_iteration": 10})
    seen = []
    train(tiny_rgb, cfg, device="cpu", progress=seen.append)
    etas = [p.eta_s for p in seen]
    known = [k for k, e in enumerate(etas) if e != -1.0]  # -1: not measured yet (the first iterations)
    assert known and known == list(range(known[0], len(etas)))  # once known, never unknown again
    assert all(0 <= etas[k] < 3600 for k in known)
    assert all(p.eta_s >= 0 for p in seen if p.scale > 0)
    assert seen[-1].eta_s == 0.0 and seen[-1].scale_done
    mid = [p for p in seen if p.scale_done and p.scale < p.num_scales - 1]
    assert mid and all(p.eta_s > 0 for p in mid)


def _clock_run(clock: TrainingClock, seconds_per_unit: list[float], setup: float = 0.0) -> list[tuple]:
    """Feeds ``clock`` a training whose scale ``s`` runs at ``seconds_per_unit[s]`` after ``setup`` s;
    returns (now, eta, real time left) after every iteration."""
    rows, now = [], 0.0
    for s, (u, n) in enumerate(zip(clock.units, clock.iterations, strict=True)):
        clock.start_scale(s, now)
        now += setup
        for it in range(1, n + 1):
            now += seconds_per_unit[s] * u
            clock.iteration_done(it, now)
            rows.append((now, clock.eta()))
    return [(t, eta, now - t) for t, eta in rows]


def test_training_clock_measures_the_speed_and_applies_it_to_the_cost_left():
    units, iterations = [1.0, 2.0, 4.0], [50, 40, 30]
    rows = _clock_run(TrainingClock(units, iterations), [0.1, 0.1, 0.1], setup=2.0)
    assert rows[0][1] is None and rows[2][1] is None  # no figure before three timed spans
    # after the first scale's set-up is measured, every later scale's is expected: exact from then on
    for t, eta, real in rows[5:]:
        assert eta == pytest.approx(real, rel=0.01), t


def test_training_clock_follows_a_machine_that_gets_slower():
    """Twice as slow from the second scale on: within two minutes of it the ETA is the new speed's."""
    clock = TrainingClock([1.0, 1.0], [400, 400], memory=60.0)
    rows = _clock_run(clock, [0.5, 1.0])
    after = [(t, eta, real) for t, eta, real in rows if t > 200 + 120]
    assert after and all(eta == pytest.approx(real, rel=0.05) for _, eta, real in after)


def test_training_clock_counts_a_burst_as_a_stall_not_as_the_speed():
    """One 30 s iteration (a thread-count probe, another job) among 0.5 s ones: the speed stays 0.5 s,
    and the 29 s beyond 3x the usual are expected once per scale still to come (two here)."""
    clock = TrainingClock([1.0, 1.0, 1.0], [100, 100, 100])
    clock.start_scale(0, 0.0)
    for it in range(1, 51):
        clock.iteration_done(it, it * 0.5)
    clock.iteration_done(51, 25.0 + 30.0)
    assert clock.eta() == pytest.approx(0.5 * 249 + 2 * 28.5, rel=0.03)  # the mean would say 1.1 s


def test_training_clock_is_not_thrown_by_a_stall_among_its_first_samples():
    """Seen on the loaded 2-core machine: 62 s between iterations 3 and 4, then 0.2 s ones. The first
    figure was 22 h for a 12 min training when the mean of the first spans was the speed."""
    clock = TrainingClock([1.0, 1.0], [300, 300])
    clock.start_scale(0, 0.0)
    clock.iteration_done(3, 7.0)  # set-up
    clock.iteration_done(4, 69.0)
    clock.iteration_done(6, 69.4)
    clock.iteration_done(10, 70.2)
    eta = clock.eta()
    assert eta is not None and eta < 0.2 * 590 + 2 * 62  # not 62 s per iteration: a stall, per scale


def test_training_clock_resumed_starts_from_the_finished_scales_speed():
    clock = TrainingClock([1.0, 2.0], [10, 10], finished=[5.0])
    assert clock.speed() == pytest.approx(0.5)
    assert clock.eta() == pytest.approx(10.0)


def test_iteration_units_add_each_networks_overhead():
    fast = get_preset("fast")
    shapes = plan_pyramid(90, 120, fast.pyramid).shapes
    costs = [iteration_cost(fast, shapes, s) for s in range(len(shapes))]
    units = [iteration_units(fast, shapes, s) for s in range(len(shapes))]
    overheads = [u - c for u, c in zip(units, costs, strict=True)]
    assert overheads[0] < overheads[1] < overheads[2] == overheads[-1]  # 1, 2, then 3 generator stages


def test_the_cli_bar_says_left_unknown_until_the_speed_is_measured():
    import io

    from singan_core.cli.progress import ProgressBar
    from singan_core.train import TrainProgress

    out = io.StringIO()
    bar = ProgressBar(stream=out)
    bar(TrainProgress(0, 5, 2, 600, elapsed_s=3.0, eta_s=-1.0, scale_done=True))
    bar(TrainProgress(0, 5, 9, 600, elapsed_s=5.0, eta_s=400.0, scale_done=True))
    first, second = out.getvalue().splitlines()
    assert first.endswith("left ?") and second.endswith("left 06:40")
