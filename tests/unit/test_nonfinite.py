"""Non-finite values in training and in model files (issue 23): training recovers or stops with one line
naming the scale and iteration; a damaged model is never written, loaded or described as fine."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from singan_core.checkpoint import checkpoint_problems, load_checkpoint, save_checkpoint
from singan_core.cli import main as cli_main
from singan_core.config import get_preset, with_overrides
from singan_core.errors import DamagedModel, TrainingDiverged
from singan_core.finite import model_problems
from singan_core.losses import gradient_penalty
from singan_core.tasks.sample import generate
from singan_core.train import train

train_module = importlib.import_module("singan_core.train")  # the package exports train()
step_module = importlib.import_module("singan_core.adversarial")  # the step shared with fine-tuning
TINY = get_preset("tiny")  # 3 scales, 30 iterations each, 3 critic steps per iteration
GP_CALLS_PER_SCALE = TINY.train.iterations * TINY.train.d_steps


class PoisonedPenalty:
    """Stands in for the gradient penalty and returns NaN on the chosen calls (1-based)."""

    def __init__(self, bad_calls: range) -> None:
        self.bad_calls = bad_calls
        self.calls = 0

    def __call__(self, *args, **kwargs) -> torch.Tensor:
        self.calls += 1
        out = gradient_penalty(*args, **kwargs)
        return out * float("nan") if self.calls in self.bad_calls else out


def test_a_nonfinite_loss_mid_scale_is_recovered(monkeypatch, tiny_rgb, tiny_model):
    # one NaN at scale 1 (the second), iteration 15: restore the scale's start (its last snapshot), retry
    bad = GP_CALLS_PER_SCALE + 15 * TINY.train.d_steps
    monkeypatch.setattr(step_module, "gradient_penalty", PoisonedPenalty(range(bad, bad + 1)))
    updates = []
    model = train(tiny_rgb, TINY, device="cpu", progress=updates.append)
    notices = [u.notice for u in updates if u.notice]
    assert len(notices) == 1
    assert "non-finite loss" in notices[0] and "scale 2 of 3, iteration 15" in notices[0]
    assert "restored iteration 0" in notices[0]
    assert model.is_complete and model_problems(model) == []
    samples = generate(model, n=2, seed=1)
    assert all(np.std(s.astype(float)) > 1.0 for s in samples)  # not one flat colour
    # the first scale did not see the NaN and is bit-identical to a clean training's
    for a, b in zip(model.generators[0].parameters(), tiny_model.generators[0].parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_persistent_nonfinite_loss_stops_with_one_line_naming_scale_and_iteration(
    monkeypatch, tiny_rgb, tmp_path
):
    start = GP_CALLS_PER_SCALE + 10 * TINY.train.d_steps  # scale 1, from iteration 10 on, every time
    monkeypatch.setattr(step_module, "gradient_penalty", PoisonedPenalty(range(start, 10**6)))
    path = tmp_path / "m.singan"
    updates = []
    with pytest.raises(TrainingDiverged) as info:
        train(
            tiny_rgb,
            TINY,
            device="cpu",
            progress=updates.append,
            on_scale_done=lambda m: save_checkpoint(m, path),
        )
    message = str(info.value)
    assert "\n" not in message
    assert "scale 2 of 3, iteration" in message and "non-finite loss" in message
    assert "1 finished scales are kept" in message
    assert len([u for u in updates if u.notice]) == 2  # two retries (fp32, then smaller steps) first
    assert "learning rates x0.5" in [u.notice for u in updates if u.notice][1]
    kept = info.value.model
    assert kept.num_trained == 1 and model_problems(kept) == []
    # the finished scale is on disk; resuming (without the poison) completes the model
    monkeypatch.setattr(step_module, "gradient_penalty", gradient_penalty)
    partial = load_checkpoint(path)
    assert partial.num_trained == 1
    model = train(tiny_rgb, TINY, device="cpu", resume=partial)
    assert model.is_complete and model_problems(model) == []


def test_nonfinite_weights_at_a_snapshot_are_caught(monkeypatch, tiny_rgb):
    # A NaN in the critic's running statistics leaves every training-mode loss finite: the weight check
    # at the next snapshot (every 50 iterations) catches it and restores the snapshot before it.
    cfg = with_overrides(TINY, {"train.iterations": 60, "train.lr_decay_iteration": 48})
    nets = []
    make_nets = train_module._make_nets

    def recording(*args, **kwargs):
        g, d = make_nets(*args, **kwargs)
        nets.append(d)
        return g, d

    calls = {"n": 0}

    def poison_stats(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 20 * cfg.train.d_steps:  # scale 0, iteration 20
            nets[-1].body[0][1].running_var.data.fill_(float("nan"))  # no autograd version bump
        return gradient_penalty(*args, **kwargs)

    monkeypatch.setattr(train_module, "_make_nets", recording)
    monkeypatch.setattr(step_module, "gradient_penalty", poison_stats)
    updates = []
    model = train(tiny_rgb, cfg, device="cpu", progress=updates.append)
    notices = [u.notice for u in updates if u.notice]
    assert notices == [
        "non-finite weights at scale 1 of 3, iteration 50: restored iteration 0 and retrying in fp32"
    ]
    assert model.is_complete and model_problems(model) == []


def _write_with_nan(source, target, key_prefix: str = "g1.") -> str:
    """Copy a model file with one weight set to NaN (as an old version could write it)."""
    with safe_open(str(source), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    key = next(k for k in tensors if k.startswith(key_prefix) and k.endswith("weight"))
    tensors[key] = tensors[key].clone()
    tensors[key].view(-1)[0] = float("nan")
    save_file(tensors, str(target), metadata=meta)
    return key


def test_the_loader_refuses_a_model_file_with_a_nan_weight(tiny_model, tmp_path):
    good = tmp_path / "good.singan"
    save_checkpoint(tiny_model, good)
    bad = tmp_path / "bad.singan"
    key = _write_with_nan(good, bad)
    with pytest.raises(DamagedModel, match="damaged and cannot be used") as info:
        load_checkpoint(bad)
    assert key[len("g1.") :] in str(info.value) and "scale 1 generator" in str(info.value)
    assert checkpoint_problems(good) == [] and len(checkpoint_problems(bad)) == 1


def test_the_loader_refuses_a_nan_noise_amplitude(tiny_model, tmp_path):
    good = tmp_path / "good.singan"
    save_checkpoint(tiny_model, good)
    with safe_open(str(good), framework="pt") as f:
        meta = json.loads(f.metadata()["singan"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    meta["noise_amps"][2] = float("nan")
    bad = tmp_path / "bad.singan"
    save_file(tensors, str(bad), metadata={"singan": json.dumps(meta)})
    with pytest.raises(DamagedModel, match="scale 2 noise amplitude is nan"):
        load_checkpoint(bad)


def test_save_refuses_a_damaged_model_and_keeps_the_good_file(tiny_model, tmp_path):
    path = tmp_path / "m.singan"
    save_checkpoint(tiny_model, path)
    before = path.read_bytes()
    w = tiny_model.generators[2].tail[0].weight
    saved = w[0, 0, 0, 0].item()
    try:
        w[0, 0, 0, 0] = float("inf")
        with pytest.raises(DamagedModel, match="not written.*scale 2 generator has non-finite tail.0.weight"):
            save_checkpoint(tiny_model, path)
    finally:
        w[0, 0, 0, 0] = saved
    assert path.read_bytes() == before and not list(tmp_path.glob("*.tmp"))


def test_info_flags_a_damaged_model(tiny_model, tmp_path, capsys):
    good = tmp_path / "good.singan"
    save_checkpoint(tiny_model, good)
    bad = tmp_path / "bad.singan"
    _write_with_nan(good, bad, "g0.")
    assert cli_main(["info", str(good)]) == 0
    assert "check: ok" in capsys.readouterr().out
    assert cli_main(["info", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "check: DAMAGED, do not use: scale 0 generator has non-finite" in out
    assert cli_main(["info", "--json", str(bad)]) == 1
    assert json.loads(capsys.readouterr().out)["problems"]


def test_cli_train_exits_nonzero_with_one_line_when_training_diverges(monkeypatch, tmp_path, capsys):
    from singan_core.imageio import save_image
    from tests.conftest import tiny_image

    image = tmp_path / "in.png"
    save_image(tiny_image(), image)
    monkeypatch.setattr(
        step_module, "gradient_penalty", PoisonedPenalty(range(GP_CALLS_PER_SCALE + 4, 10**6))
    )
    out = tmp_path / "m.singan"
    assert cli_main(["train", str(image), "--preset", "tiny", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("singan: error:"))
    assert "training diverged at scale 2 of 3" in line and "Traceback" not in err
    assert load_checkpoint(out).num_trained == 1  # the finished scale is kept for resuming


def test_a_fixed_seed_and_thread_count_train_bit_identical_models(tiny_rgb):
    # train.threads=0 (the default) picks 1 or all cores per scale by timing, so only a fixed count is
    # reproducible (README, "Reproducibility"): the rounding of a reduction depends on the thread count.
    cfg = with_overrides(TINY, {"train.threads": 2, "train.iterations": 10, "train.lr_decay_iteration": 8})
    a = train(tiny_rgb, cfg, device="cpu")
    b = train(tiny_rgb, cfg, device="cpu")
    assert a.noise_amps == b.noise_amps
    for ga, gb in zip(a.generators, b.generators, strict=True):
        for (name, x), y in zip(ga.state_dict().items(), gb.state_dict().values(), strict=True):
            assert torch.equal(x, y), name


def test_the_checks_do_not_change_what_a_finite_training_learns(tiny_rgb):
    # bench/divergence.py and bench/fidelity.py count a training that hits a non-finite value with the
    # checks on as one that would have written a broken model without them ("before"): this holds only
    # if the checks (loss sync, weight snapshots) leave the numerics of a finite training untouched.
    cfg = with_overrides(TINY, {"train.threads": 1, "train.iterations": 60, "train.lr_decay_iteration": 48})
    a = train(tiny_rgb, cfg, device="cpu", finite_checks=True)
    b = train(tiny_rgb, cfg, device="cpu", finite_checks=False)
    assert a.noise_amps == b.noise_amps
    for ga, gb in zip(a.generators, b.generators, strict=True):
        for (name, x), y in zip(ga.state_dict().items(), gb.state_dict().values(), strict=True):
            assert torch.equal(x, y), name


def test_the_gradient_penalty_is_finite_where_the_critic_gradient_vanishes():
    # a critic that sees only the left half: every pixel of the right half has a zero gradient
    w = torch.randn(1, 3, 1, 1, requires_grad=True)

    def critic(x: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return (x[..., :4] * w).sum(dim=1, keepdim=True).float()

    real, fake = torch.rand(1, 3, 6, 8), torch.rand(1, 3, 6, 8)
    gp = gradient_penalty(critic, real, fake, 0.1)
    (dw,) = torch.autograd.grad(gp, w)
    assert torch.isfinite(gp) and torch.isfinite(dw).all() and dw.abs().sum() > 0
    # half the pixels have norm 0: their term is (0 - 1)^2 = 1
    assert gp.item() >= 0.1 * 0.5 - 1e-6
