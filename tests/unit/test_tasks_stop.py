"""Inference stops when its caller goes (issues 17, 18): every long task checks ``should_stop`` at its
safe points, raises :class:`Cancelled` at the first True (no generator pass after it), and gives the
same result as before when it never turns True. On conftest's tiny model."""

from __future__ import annotations

import numpy as np
import pytest

from singan_core.errors import Cancelled, TrainingCancelled
from singan_core.tasks import inject, native, stop
from singan_core.tasks.animate import animate
from singan_core.tasks.sample import generate
from singan_core.tasks.super_resolve import super_resolve
from singan_core.tasks.upscale import generate_at_size


class StopAfter:
    """``should_stop`` that says False ``k`` times, then True; counts calls and the generator passes
    (``forwards``) run after it first said True."""

    def __init__(self, k: int, counter: list[int] | None = None) -> None:
        self.k, self.calls, self.counter, self.passes_at_stop = k, 0, counter, None

    def __call__(self) -> bool:
        self.calls += 1
        if self.calls > self.k:
            if self.passes_at_stop is None and self.counter is not None:
                self.passes_at_stop = self.counter[0]
            return True
        return False


@pytest.fixture
def passes(tiny_model):
    """Counts generator passes (whole-image steps and ladder tiles: both run ``body``)."""
    count = [0]
    hooks = [
        g.body.register_forward_hook(lambda *_: count.__setitem__(0, count[0] + 1))
        for g in tiny_model.generators
    ]
    yield count
    for h in hooks:
        h.remove()


def big(a: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(a, k, axis=0), k, axis=1)


def composite_and_mask(rgb: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    composite = rgb.copy()
    composite[3:6, 4:7] = (250, 20, 20)
    mask = np.zeros(rgb.shape[:2], np.uint8)
    mask[2:6, 3:8] = 255
    return big(composite, k), big(mask, k)


@pytest.fixture(autouse=True)
def small_strips(monkeypatch):
    """Composition strips of 16 rows (256 in use), so that small inputs have several."""
    monkeypatch.setattr(native, "STRIP", 16)


def tasks(model, rgb):
    """(name, run(should_stop)) for every task that can run long, at native sizes (6x the model's) so
    that composition strips and upscaling ladder steps are reached."""
    comp, mask = composite_and_mask(rgb, 6)
    kw = dict(injection_scale=1, dilation=2, blur_sigma=1.0)
    return {
        "generate": lambda s: generate(model, n=3, seed=1, should_stop=s),
        "generate_at_size": lambda s: generate_at_size(model, (96, 128), n=2, should_stop=s),
        "harmonize_delta": lambda s: inject.harmonize(model, comp, mask, should_stop=s, **kw),
        "harmonize_ladder": lambda s: inject.harmonize(
            model, comp, mask, method="ladder", should_stop=s, **kw
        ),
        "edit": lambda s: inject.edit(model, comp, mask, should_stop=s, **kw),
        "paint_to_image": lambda s: inject.paint_to_image(
            model, big(rgb, 6), injection_scale=1, should_stop=s
        ),
        "super_resolve": lambda s: super_resolve(model, factor=8, should_stop=s),
        "animate": lambda s: list(animate(model, frames=6, should_stop=s)),
    }


NAMES = [
    "generate",
    "generate_at_size",
    "harmonize_delta",
    "harmonize_ladder",
    "edit",
    "paint_to_image",
    "super_resolve",
    "animate",
]


def equal(a, b) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_a_stop_mid_task_ends_it_at_the_next_check(tiny_model, tiny_rgb, passes, name):
    run = tasks(tiny_model, tiny_rgb)[name]
    never = StopAfter(10**9)
    reference = run(never)
    checks = never.calls
    assert checks >= 3, f"{name} checks should_stop only {checks} times"
    assert equal(reference, run(None))  # the hook changes nothing when it never stops
    for k in (0, checks // 2, checks - 1):
        s = StopAfter(k, passes)
        with pytest.raises(Cancelled, match="cancelled"):
            run(s)
        assert s.calls == k + 1  # raised at the first True
        assert passes[0] == s.passes_at_stop  # no generator pass after it


def test_checks_are_spread_over_the_work(tiny_model, tiny_rgb, passes):
    """Between two checks there is at most one scale's step or one ladder tile (not the whole task)."""
    for name in ("generate", "generate_at_size", "harmonize_ladder", "super_resolve"):
        seen: list[int] = []

        def spy(seen: list[int] = seen) -> bool:
            seen.append(passes[0])
            return False

        tasks(tiny_model, tiny_rgb)[name](spy)
        gaps = np.diff(seen + [passes[0]])
        assert gaps.max() <= 1, f"{name}: {gaps.max()} generator passes between two checks"


def test_fine_tuning_stops_with_training_cancelled_which_is_a_cancel(tiny_model, tiny_rgb):
    comp, mask = composite_and_mask(tiny_rgb, 1)
    s = StopAfter(2)
    with pytest.raises(TrainingCancelled) as info:
        inject.harmonize(tiny_model, comp, mask, injection_scale=1, fine_tune=True, should_stop=s)
    assert isinstance(info.value, Cancelled)


def test_the_tuned_model_harmonizes_as_fine_tuning_does(tiny_model, tiny_rgb):
    """``tune_for_harmonize`` is harmonize's fine-tuning on its own (what the FineTune job stores)."""
    comp, mask = composite_and_mask(tiny_rgb, 1)
    kw = dict(injection_scale=1, seed=5)
    weights = [p.clone() for p in tiny_model.generators.parameters()]
    tuned = inject.tune_for_harmonize(tiny_model, comp, mask, iterations=3, **kw)
    assert all(p.equal(w) for p, w in zip(tiny_model.generators.parameters(), weights, strict=True))
    assert any(not a.equal(b) for a, b in zip(tuned.generators.parameters(), weights, strict=True))
    at_once = inject.harmonize(tiny_model, comp, mask, fine_tune=True, fine_tune_iterations=3, **kw)
    assert np.array_equal(inject.harmonize(tuned, comp, mask, **kw), at_once)
    assert not np.array_equal(inject.harmonize(tiny_model, comp, mask, **kw), at_once)


def test_check_stop_and_stopping_noise():
    stop.check_stop(None, "x")
    stop.check_stop(lambda: False, "x")
    with pytest.raises(Cancelled, match="^upscaling cancelled$"):
        stop.check_stop(lambda: True, "upscaling")

    def noise(s, n, hw):
        return s

    assert stop.stopping_noise(noise, None, "x") is noise
    assert stop.stopping_noise(noise, lambda: False, "x")(2, 1, (1, 1)) == 2
