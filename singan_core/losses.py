"""WGAN-GP and reconstruction terms as small pure functions."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def critic_wgan_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The critic minimises E[D(fake)] - E[D(real)]."""
    return d_fake.mean() - d_real.mean()


def generator_wgan_loss(d_fake: torch.Tensor) -> torch.Tensor:
    return -d_fake.mean()


def common_crop(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``a`` and ``b`` ([N, C, H, W]) cropped, centred, to their common height and width."""
    h, w = min(a.shape[-2], b.shape[-2]), min(a.shape[-1], b.shape[-1])

    def crop(x: torch.Tensor) -> torch.Tensor:
        top, left = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
        return x[..., top : top + h, left : left + w]

    return crop(a), crop(b)


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    weight: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """weight * mean((||grad_x D(x_hat)|| - 1)^2) at x_hat = a*real + (1-a)*fake, a ~ U(0,1) per sample.

    As in the reference implementation, the norm is taken over channels at every pixel (the critic is a
    patch critic, so each pixel's gradient is pushed towards unit norm). ``real`` and ``fake`` may differ
    in height and width (fine-tuning on a composite of another aspect than the training image): x_hat is
    then taken on their centred common crop; when they agree (training) nothing is cropped.
    """
    real, fake = common_crop(real, fake)
    a = torch.rand(real.shape[0], 1, 1, 1, device=real.device, generator=generator, dtype=real.dtype)
    x_hat = (a * real + (1 - a) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return weight * ((grad.norm(2, dim=1) - 1) ** 2).mean()


def reconstruction_loss(reconstruction: torch.Tensor, real: torch.Tensor, weight: float) -> torch.Tensor:
    return weight * F.mse_loss(reconstruction, real)
