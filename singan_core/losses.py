"""WGAN-GP and reconstruction terms as small pure functions."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

GP_EPS = 1e-12  # inside the gradient penalty's square root


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
    patch critic, so each pixel's gradient is pushed towards unit norm). It is ``sqrt(sum g^2 + eps)`` in
    fp32 whatever dtype the critic ran in: differentiable everywhere (the plain norm's derivative at a
    zero gradient is 0/0, finite only where a backend masks it) and not rounded to bf16.
    """
    a = torch.rand(real.shape[0], 1, 1, 1, device=real.device, generator=generator, dtype=real.dtype)
    x_hat = (a * real + (1 - a) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norm = torch.sqrt(grad.float().pow(2).sum(dim=1) + GP_EPS)  # [N, H, W]
    return weight * ((norm - 1) ** 2).mean()


def reconstruction_loss(reconstruction: torch.Tensor, real: torch.Tensor, weight: float) -> torch.Tensor:
    return weight * F.mse_loss(reconstruction, real)
