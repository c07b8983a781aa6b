"""Training-speed switches (issue 8): what they must not change, and that each one really acts."""

import numpy as np
import pytest
import torch

from singan_core.acceleration import ThreadTuner, autocast, cpu_has_native_bf16, uses_bf16
from singan_core.config import ConfigError, get_preset, with_overrides
from singan_core.plateau import PlateauStop
from singan_core.tasks.sample import generate
from singan_core.train import train


def _weights(model):
    return [v.clone() for g in model.generators for v in g.state_dict().values()]


def _same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_cached_reconstruction_input_changes_nothing(tiny_rgb, tiny_model):
    # the cache only skips recomputing a fixed tensor: the trained model is bit-identical
    cfg = with_overrides(get_preset("tiny"), {"train.rec_cache": False})
    slow = train(tiny_rgb, cfg, device="cpu")
    assert _same(_weights(slow), _weights(tiny_model))
    assert slow.noise_amps == tiny_model.noise_amps


def test_bank_and_per_step_regeneration_give_alike_samples(tiny_rgb, tiny_model):
    # same method, different random draws: sample statistics agree, weights do not
    per_step = train(tiny_rgb, with_overrides(get_preset("tiny"), {"train.prev_bank_size": 0}), device="cpu")
    assert not _same(_weights(per_step), _weights(tiny_model))
    a = np.stack(generate(tiny_model, n=8, seed=3)).astype(float)
    b = np.stack(generate(per_step, n=8, seed=3)).astype(float)
    assert abs(a.mean() - b.mean()) < 0.1 * 255
    assert abs(a.std() - b.std()) < 0.1 * 255
    assert a.std(axis=0).mean() > 0 and b.std(axis=0).mean() > 0  # both still diverse


def test_concurrent_stages_keep_training_the_scales_below(tiny_rgb, tiny_model):
    cfg = with_overrides(get_preset("tiny"), {"train.concurrent_stages": 3, "train.stage_lr_scale": 0.1})
    model = train(tiny_rgb, cfg, device="cpu")
    assert model.is_complete
    # scale 0 is trained identically in both (nothing below it); later scales then update it again
    g0 = model.generators[0].state_dict()
    ref0 = tiny_model.generators[0].state_dict()
    assert any(not torch.equal(g0[k], ref0[k]) for k in g0)
    assert all(not p.requires_grad for p in model.generators.parameters())  # frozen again
    assert generate(model, n=1)[0].shape == tiny_rgb.shape


def test_stage_learning_rates_fall_by_the_factor_per_stage_back(tiny_model):
    from singan_core.stages import Stages

    cfg = with_overrides(tiny_model.config, {"train.concurrent_stages": 3})
    tiny_model.config = cfg
    try:
        g = tiny_model.new_generator(2)
        stages = Stages(tiny_model, 2, g, 0.1)
        lrs = [group["lr"] for group in stages.param_groups(1.0, 0.1)]
        assert lrs == pytest.approx([0.01, 0.1, 1.0])
        stages.freeze()
    finally:
        tiny_model.config = get_preset("tiny")
        tiny_model.eval()


def test_plateau_stop_waits_for_both_losses_to_flatten():
    flat = PlateauStop(window=4, tol=0.05, min_iterations=8)
    stopped = []
    for i in range(40):
        flat.update(torch.tensor(1.0), torch.tensor(-0.5))
        stopped.append(flat.should_stop(i + 1))
    assert stopped.index(True) + 1 == 8  # first window at 4 (nothing to compare), second at 8
    assert flat.history[0] == pytest.approx((1.0, 0.5))
    falling = PlateauStop(window=4, tol=0.05, min_iterations=0)
    for i in range(40):
        falling.update(torch.tensor(1.0 / (i + 1)), torch.tensor(-0.5))
        assert not falling.should_stop(i + 1)
    gap_moving = PlateauStop(window=4, tol=0.05, min_iterations=0)
    for i in range(40):
        gap_moving.update(torch.tensor(1.0), torch.tensor(-float(i)))
        assert not gap_moving.should_stop(i + 1)


def test_early_stop_ends_a_scale_before_its_iterations(tiny_rgb):
    cfg = with_overrides(
        get_preset("tiny"),
        {
            "train.early_stop": True,
            "train.early_stop_window": 5,
            "train.early_stop_tol": 10.0,  # anything counts as flat
            "train.early_stop_min_fraction": 0.5,
        },
    )
    done = []
    model = train(tiny_rgb, cfg, device="cpu", progress=lambda p: p.scale_done and done.append(p.iteration))
    assert model.is_complete and done == [15, 15, 15]


def test_thread_tuner_keeps_the_faster_count_and_restores():
    import time

    before = torch.get_num_threads()
    tuner = ThreadTuner(0, torch.device("cpu"), every=50)
    tuner.candidates = [2, 1]  # as on a 2-core machine, whatever this one has
    for it in range(12):
        tuner.before(it)
        time.sleep(0.02 if torch.get_num_threads() == 2 else 0.001)  # 2 threads "slow", as under load
        tuner.after(it)
    assert tuner.chosen == 1 and torch.get_num_threads() == 1
    tuner.close()
    assert torch.get_num_threads() == before
    fixed = ThreadTuner(1, torch.device("cpu"))
    fixed.before(0)
    assert torch.get_num_threads() == 1
    fixed.close()
    assert torch.get_num_threads() == before


def test_hardware_switches_are_safe_on_cpu(tiny_rgb):
    t = get_preset("tiny").execution
    assert not uses_bf16(t, torch.device("cpu"))
    on = with_overrides(
        get_preset("tiny"), {"train.autocast_bf16": True, "train.cuda_graphs": True}
    ).execution
    assert uses_bf16(on, torch.device("cpu")) == cpu_has_native_bf16()
    with autocast(on, torch.device("cpu")):
        y = torch.nn.functional.conv2d(torch.randn(1, 3, 8, 8), torch.randn(4, 3, 3, 3))
    assert y.dtype == (torch.bfloat16 if cpu_has_native_bf16() else torch.float32)
    cfg = with_overrides(
        get_preset("tiny"),
        {
            "train.channels_last": True,
            "train.autocast_bf16": True,
            "train.cuda_graphs": True,
            "train.iterations": 5,
        },
    )
    model = train(tiny_rgb, cfg, device="cpu")
    out = generate(model, n=2, seed=1)
    assert model.is_complete and out[0].shape == tiny_rgb.shape and not np.array_equal(out[0], out[1])


def test_bad_speed_settings_are_config_errors():
    for key, value in [
        ("train.concurrent_stages", 0),
        ("train.stage_lr_scale", 0),
        ("train.threads", -1),
        ("train.early_stop_window", 0),
    ]:
        with pytest.raises(ConfigError):
            with_overrides(get_preset("tiny"), {key: value})


def test_thread_tuner_probes_again_when_iterations_suddenly_slow_down():
    import time

    before = torch.get_num_threads()
    tuner = ThreadTuner(0, torch.device("cpu"), every=1000)
    tuner.candidates = [2, 1]
    load = {"on": False}

    def cost() -> float:  # idle: 2 threads win; under load: 2 threads are much slower
        if torch.get_num_threads() == 2:
            return 0.03 if load["on"] else 0.002
        return 0.006

    for it in range(40):
        if it == 10:
            load["on"] = True  # another program starts
        tuner.before(it)
        time.sleep(cost())
        tuner.after(it)
        if it == 9:
            assert tuner.chosen == 2
    assert tuner.chosen == 1, "the tuner kept 2 threads although they became 5x slower"
    tuner.close()
    assert torch.get_num_threads() == before


def test_coarse_iterations_factor_schedules_more_iterations_at_coarse_scales(tiny_rgb):
    from singan_core.config import iterations_at, lr_decay_at

    cfg = with_overrides(get_preset("tiny"), {"train.iterations": 10, "train.coarse_iterations_factor": 4})
    t = cfg.train
    assert [iterations_at(t, s, 3) for s in range(3)] == [40, 20, 10]  # 4x, geometric, 1x
    assert [lr_decay_at(t, s, 3) for s in range(3)] == [96, 48, 24]  # same fraction of each scale
    assert iterations_at(t, 0, 1) == 10  # a one-scale pyramid is its own finest scale
    seen: dict[int, int] = {}
    done = []

    def progress(p):
        seen[p.scale] = p.iterations
        if p.scale_done:
            done.append(p.iteration)

    model = train(tiny_rgb, cfg, device="cpu", progress=progress)
    assert model.is_complete and done == [40, 20, 10] and seen == {0: 40, 1: 20, 2: 10}
    with pytest.raises(ConfigError):
        with_overrides(cfg, {"train.coarse_iterations_factor": 0.5})


def test_paper_preset_uses_bf16_where_native_and_stays_fp32_on_request():
    paper = get_preset("paper")
    assert paper.execution.autocast_bf16
    fp32 = with_overrides(paper, {"train.autocast_bf16": False})
    assert not uses_bf16(fp32.execution, torch.device("cpu"))
    # an execution choice: the same image and schedule keep the same model id either way
    from singan_core.fingerprint import model_id

    img = np.zeros((8, 8, 3), np.uint8)
    assert model_id(img, paper) == model_id(img, fp32)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # importing torch._dynamo: torch.jit notices
def test_compile_switch_allows_one_graph_per_scale_and_grad_mode():
    import torch._dynamo.config as dynamo_config

    from singan_core.acceleration import maybe_compile

    cfg = with_overrides(get_preset("paper"), {"train.compile": True}).execution
    net = torch.nn.Conv2d(3, 3, 3)
    compiled = maybe_compile(net, cfg, torch.device("cpu"))  # lazy: nothing compiles until called
    assert compiled is not net
    # 10 scales x (no_grad, grad) graphs: dynamo's default limit of 8 would silently fall back to eager
    assert dynamo_config.recompile_limit >= 20


def test_thread_tuner_drops_a_much_slower_count_after_one_iteration_and_backs_off(monkeypatch):
    """Issue 17's stalls: under load one iteration with both cores took 20-110 s; a probe must not
    time it twice at every scale start and every 200 iterations."""
    import time

    import singan_core.acceleration as acc

    monkeypatch.setattr(acc, "busy", lambda: False)
    before = torch.get_num_threads()
    tuner = ThreadTuner(0, torch.device("cpu"), every=10)
    tuner.candidates, tuner.chosen = [2, 1], 1
    slow_runs = []
    for it in range(60):
        tuner.before(it)
        if torch.get_num_threads() == 2:
            slow_runs.append(it)
        time.sleep(0.02 if torch.get_num_threads() == 2 else 0.002)  # 2 threads 10x slower
        tuner.after(it)
        if it == 29:
            tuner.restart()  # a new scale: the back-off holds across scales
    assert tuner.chosen == 1
    # probe at 0: iterations 1-2 time one thread, 3 times two (10x slower: dropped, not probed again for
    # 10 x 2 iterations, so not at 10 or 20); probe at 30 (a new scale, back-off over): 33 slow, dropped for
    # 10 x 4: 2 slow iterations instead of 2 per probe x 6 probes
    assert slow_runs == [3, 33], slow_runs
    tuner.close()
    assert torch.get_num_threads() == before


def test_thread_tuner_starts_with_one_thread_on_a_busy_machine(monkeypatch):
    import singan_core.acceleration as acc

    monkeypatch.setattr(acc, "busy", lambda: True)
    assert ThreadTuner(0, torch.device("cpu")).chosen == 1
    assert ThreadTuner(2, torch.device("cpu")).chosen == 2
    monkeypatch.setattr(acc, "busy", lambda: False)
    assert ThreadTuner(0, torch.device("cpu")).chosen == acc.available_cores()
