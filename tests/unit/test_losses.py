import torch

from singan_core.config import NetworkConfig
from singan_core.losses import critic_wgan_loss, gradient_penalty, reconstruction_loss
from singan_core.networks import Discriminator, Generator, init_weights


def test_gradient_penalty_matches_direct_autograd():
    torch.manual_seed(0)
    d = Discriminator(3, 8, NetworkConfig())
    init_weights(d)
    real, fake = torch.randn(2, 3, 20, 24), torch.randn(2, 3, 20, 24)
    gen = torch.Generator().manual_seed(7)
    gp = gradient_penalty(d, real, fake, weight=0.1, generator=gen)

    a = torch.rand(2, 1, 1, 1, generator=torch.Generator().manual_seed(7))
    x = (a * real + (1 - a) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(d(x).sum(), x)
    norm = torch.sqrt((g**2).sum(dim=1))  # over channels at each pixel
    expected = 0.1 * ((norm - 1) ** 2).mean()
    assert torch.allclose(gp, expected, rtol=1e-5, atol=1e-7)
    assert gp.requires_grad  # differentiable for the critic update


def test_wgan_and_reconstruction_terms():
    assert critic_wgan_loss(torch.tensor([2.0]), torch.tensor([0.5])).item() == -1.5
    x = torch.zeros(1, 3, 4, 4)
    assert reconstruction_loss(x + 1, x, 10.0).item() == 10.0


def test_generator_keeps_size_and_is_residual():
    net = NetworkConfig()
    g = Generator(3, 8, net)
    init_weights(g)
    z, prev = torch.randn(1, 3, 25, 33), torch.randn(1, 3, 25, 33)
    out = g(z, prev)
    assert out.shape == prev.shape
    with torch.no_grad():
        g.tail[0].weight.zero_()
        g.tail[0].bias.zero_()
    assert torch.equal(g(z, prev), prev)  # tanh(0) = 0: output = up(x_{n+1}) + 0
    d = Discriminator(3, 8, net)
    assert d(prev).shape == (1, 1, 15, 23)
