"""The training ETA's time model (singan_core.eta) and the ETA train() reports."""

import pytest

from singan_core.config import get_preset, with_overrides
from singan_core.eta import IterationTimeModel, RecentRate, iteration_cost
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
    assert all(e >= 0 and e == e and e < 3600 for e in etas)
    assert seen[-1].eta_s == 0.0 and seen[-1].scale_done
    mid = [p for p in seen if p.scale_done and p.scale < p.num_scales - 1]
    assert mid and all(p.eta_s > 0 for p in mid)


def test_recent_rate_forgets_a_stall_at_the_start_of_a_scale() -> None:
    meter = RecentRate(window=10)
    assert meter.rate() is None
    t = 25.0  # iteration 2 took 25 s (set-up on a busy machine)
    for it in range(2, 60):
        meter.mark(it, t)
        t += 0.5
    assert meter.rate() == pytest.approx(0.5)  # the scale's mean would still say ~0.93 s
    meter.restart()
    assert meter.rate() is None
