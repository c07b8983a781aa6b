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


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    weight: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """weight * mean((||grad_x D(x_hat)|| - 1)^2) at x_hat = a*real + (1-a)*fake, a ~ U(0,1) per sample.

    As in the reference implementation, the norm is taken over channels at every pixel (the critic is a
    patch critic, so each pixel's gradient is pushed towards unit norm).
    """
    a = torch.rand(real.shape[0], 1, 1, 1, device=real.device, generator=generator, dtype=real.dtype)
    x_hat = (a * real + (1 - a) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return weight * ((grad.norm(2, dim=1) - 1) ** 2).mean()


def reconstruction_loss(reconstruction: torch.Tensor, real: torch.Tensor, weight: float) -> torch.Tensor:
    return weight * F.mse_loss(reconstruction, real)
