"""Fine-tuning on a composite whose aspect is not the training image's (issue 18: the fuzz's seed 17 case
1216, a Harmonize with fine_tune=True, answered INTERNAL "The size of tensor a (32) must match the size of
tensor b (28)": the gradient penalty mixed the training image at its shape with fakes at the composite's)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from singan_core.errors import ConfigError
from singan_core.losses import common_crop, gradient_penalty
from singan_core.tasks.inject import harmonize


def test_common_crop_is_centred_and_a_no_op_on_equal_sizes() -> None:
    a = torch.arange(24 * 32, dtype=torch.float32).reshape(1, 1, 24, 32)
    b = torch.zeros(1, 1, 28, 28)
    ca, cb = common_crop(a, b)
    assert ca.shape[-2:] == cb.shape[-2:] == (24, 28)
    assert torch.equal(ca, a[..., :, 2:30])
    assert cb.shape == (1, 1, 24, 28) and torch.equal(cb, b[..., 2:26, :])
    same_a, same_b = common_crop(a, a.clone())
    assert same_a is not None and torch.equal(same_a, a) and torch.equal(same_b, a)


def test_gradient_penalty_of_different_sizes_is_that_of_their_common_crops() -> None:
    critic = torch.nn.Conv2d(3, 1, 3)
    real, fake = torch.randn(1, 3, 24, 32), torch.randn(1, 3, 28, 28)
    got = gradient_penalty(critic, real, fake, 0.1, generator=torch.Generator().manual_seed(3))
    want = gradient_penalty(
        critic, real[..., :, 2:30], fake[..., 2:26, :], 0.1, generator=torch.Generator().manual_seed(3)
    )
    assert torch.isfinite(got) and torch.allclose(got, want)


@pytest.mark.parametrize("size", [(79, 79), (45, 16)])
def test_harmonize_fine_tunes_on_another_aspect(tiny_model, size: tuple[int, int]) -> None:
    w, h = size
    composite = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.uint8)
    mask[h // 4 : h // 2, w // 4 : w // 2] = 255
    n = tiny_model.num_trained - 1
    out = harmonize(
        tiny_model, composite, mask, injection_scale=n, fine_tune=True, fine_tune_iterations=2, seed=1
    )
    assert out.shape == (h, w, 3) and out.dtype == np.uint8
    assert np.array_equal(out[-2:, -2:], composite[-2:, -2:])  # far from the mask: the composite's own
    assert not np.array_equal(
        out[h // 4 : h // 2, w // 4 : w // 2], composite[h // 4 : h // 2, w // 4 : w // 2]
    )


def test_fine_tune_on_a_composite_too_thin_for_the_critic_is_a_config_error(tiny_model) -> None:
    composite = np.zeros((3, 79, 3), np.uint8)
    with pytest.raises(ConfigError, match="fine-tuning needs at least 11 px a side"):
        harmonize(
            tiny_model,
            composite,
            np.full((3, 79), 255, np.uint8),
            injection_scale=tiny_model.num_trained - 1,
            fine_tune=True,
            fine_tune_iterations=1,
        )
