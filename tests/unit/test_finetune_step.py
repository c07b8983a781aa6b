"""Fine-tuning runs training's own step (singan_core.adversarial): progress, cancellation, the lr
schedule and the non-finite guard, through the same callbacks as train()."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from singan_core.adversarial import Adversarial
from singan_core.config import get_preset
from singan_core.errors import TrainingCancelled, TrainingDiverged
from singan_core.losses import gradient_penalty, reconstruction_loss
from singan_core.tasks import inject

step_module = importlib.import_module("singan_core.adversarial")


def _composite(tiny_rgb):
    composite = tiny_rgb.copy()
    composite[3:6, 4:7] = (250, 20, 20)
    mask = np.zeros(tiny_rgb.shape[:2], np.uint8)
    mask[2:6, 3:8] = 255
    return composite, mask


KW = dict(injection_scale=1, dilation=2, blur_sigma=1.0, fine_tune=True)


def _params(model):
    return [p.clone() for g in model.generators for p in g.parameters()]


def test_harmonize_fine_tuning_reports_progress_per_tuned_scale(tiny_model, tiny_rgb):
    composite, mask = _composite(tiny_rgb)
    updates = []
    out = inject.harmonize(tiny_model, composite, mask, fine_tune_iterations=4, progress=updates.append, **KW)
    assert out.shape == composite.shape
    last = tiny_model.num_trained - 1
    ends = [(u.scale, u.iteration) for u in updates if u.iteration == u.iterations]
    assert ends == [(last - 1, 4), (last, 4)]  # the two finest scales, coarse to fine, each to its end
    assert all(u.num_scales == tiny_model.num_scales and u.iterations == 4 for u in updates)
    assert all({"d", "gp", "g_adv", "rec"} <= set(u.losses) for u in updates)
    assert all(np.isfinite(list(u.losses.values())).all() for u in updates)


def test_harmonize_fine_tuning_can_be_cancelled_and_leaves_the_model_alone(tiny_model, tiny_rgb):
    composite, mask = _composite(tiny_rgb)
    before = _params(tiny_model)
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 3  # after three iterations of the first tuned scale

    with pytest.raises(TrainingCancelled):
        inject.harmonize(tiny_model, composite, mask, fine_tune_iterations=50, should_stop=should_stop, **KW)
    assert len(asked) == 4
    assert all(torch.equal(a, b) for a, b in zip(before, _params(tiny_model), strict=True))


def test_paint_fine_tuning_reports_progress_and_can_be_cancelled(tiny_model, tiny_rgb):
    updates = []
    paint = np.zeros_like(tiny_rgb)
    paint[:, :16] = (40, 90, 160)
    kw = dict(injection_scale=1, quantize=True, fine_tune_iterations=3)
    inject.paint_to_image(tiny_model, paint, progress=updates.append, **kw)
    assert [(u.scale, u.iteration) for u in updates if u.iteration == u.iterations] == [(1, 3)]
    with pytest.raises(TrainingCancelled):
        inject.paint_to_image(tiny_model, paint, should_stop=lambda: True, **kw)


def test_a_nonfinite_loss_in_fine_tuning_is_recovered(monkeypatch, tiny_model, tiny_rgb):
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        out = gradient_penalty(*args, **kwargs)
        return out * float("nan") if calls["n"] == 7 else out  # iteration 3 of the first tuned scale

    monkeypatch.setattr(step_module, "gradient_penalty", poisoned)
    composite, mask = _composite(tiny_rgb)
    updates = []
    out = inject.harmonize(tiny_model, composite, mask, fine_tune_iterations=5, progress=updates.append, **KW)
    notices = [u.notice for u in updates if u.notice]
    assert len(notices) == 1 and "non-finite loss" in notices[0] and "retrying in fp32" in notices[0]
    assert out.dtype == np.uint8 and np.std(out.astype(float)) > 1.0


def test_a_persistent_nonfinite_loss_in_fine_tuning_stops_with_one_line(monkeypatch, tiny_model, tiny_rgb):
    def poisoned(*args, **kwargs):
        return gradient_penalty(*args, **kwargs) * float("nan")

    monkeypatch.setattr(step_module, "gradient_penalty", poisoned)
    composite, mask = _composite(tiny_rgb)
    before = _params(tiny_model)
    with pytest.raises(TrainingDiverged) as info:
        inject.harmonize(tiny_model, composite, mask, fine_tune_iterations=5, **KW)
    message = str(info.value)
    assert "\n" not in message and "non-finite loss" in message
    assert message.startswith("fine-tuning diverged at scale 2 of 3, iteration 1: non-finite loss (")
    assert message.endswith("the model is unchanged (run without fine-tuning, or with another seed)")
    assert all(torch.equal(a, b) for a, b in zip(before, _params(tiny_model), strict=True))


def test_the_shared_step_decays_the_learning_rates_and_updates_both_networks():
    torch.manual_seed(0)
    cfg = get_preset("tiny")
    critic = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.LeakyReLU(0.2), torch.nn.Conv2d(4, 1, 3)
    )
    g = torch.nn.Conv2d(3, 3, 3, padding=1)
    gen = torch.Generator().manual_seed(1)
    adv = Adversarial(
        critic,
        [{"params": g.parameters(), "lr": cfg.train.lr_g}],
        cfg.train,
        cfg.execution,
        torch.device("cpu"),
        2,
        gen,
    )
    real = torch.rand(1, 3, 12, 12, generator=gen) * 2 - 1
    g0, d0 = g.weight.detach().clone(), critic[0].weight.detach().clone()
    steps = {"g": 0, "d": 0}

    def next_prev(for_generator: bool) -> torch.Tensor:
        steps["g" if for_generator else "d"] += 1
        return torch.zeros(1, 3, 12, 12)

    def fake(prev: torch.Tensor) -> torch.Tensor:
        return g(prev + torch.randn(prev.shape, generator=gen))

    for _ in range(3):
        losses = adv.iteration(real, fake, next_prev, lambda: reconstruction_loss(g(real), real, 10.0))
    assert steps == {"g": 3 * cfg.train.g_steps, "d": 3 * cfg.train.d_steps}
    assert set(losses) == {"d", "gp", "g_adv", "rec"}
    assert not torch.equal(g.weight, g0) and not torch.equal(critic[0].weight, d0)
    gamma = cfg.train.lr_decay_gamma
    assert adv.opt_g.param_groups[0]["lr"] == pytest.approx(cfg.train.lr_g * gamma)
    assert adv.opt_d.param_groups[0]["lr"] == pytest.approx(cfg.train.lr_d * gamma)
