"""Animation: a random walk in noise space (tiny model from conftest)."""

import numpy as np
import pytest

from singan_core.errors import ConfigError
from singan_core.tasks.animate import animate
from singan_core.tasks.sample import generate


def mad(a, b):
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


@pytest.mark.parametrize("start", [0, 1])
def test_frames_are_distinct_but_close_in_time(tiny_model, start):
    frames = list(animate(tiny_model, frames=24, start_scale=start, seed=1))
    assert len(frames) == 24
    assert all(f.shape == tiny_model.image.shape and f.dtype == np.uint8 for f in frames)
    steps = [mad(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
    assert min(steps) > 0  # every frame differs from the previous one
    far = mad(frames[0], frames[-1])
    assert np.mean(steps) < far  # neighbours are closer than frames far apart
    # and much closer than two independent samples from the same start scale
    a, b = generate(tiny_model, n=2, seed=7, start_scale=start)
    assert np.mean(steps) < mad(a, b)


def test_seeded_lazy_and_any_size(tiny_model):
    it = animate(tiny_model, frames=3, seed=2, size=(20, 40))
    first = next(it)
    assert first.shape == (20, 40, 3)
    assert np.array_equal(first, next(iter(animate(tiny_model, frames=3, seed=2, size=(20, 40)))))


@pytest.mark.parametrize(
    "kw", [{"frames": 0}, {"alpha": 1.5}, {"beta": -0.1}, {"start_scale": 3}, {"start_scale": -1}]
)
def test_bad_arguments_raise_before_the_first_frame(tiny_model, kw):
    with pytest.raises(ConfigError):
        animate(tiny_model, **kw)
