"""The per-scale generator and critic: a stack of conv blocks (conv 3x3, BatchNorm, LeakyReLU 0.2)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import NetworkConfig


class ConvBlock(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride=1, padding=0),
            nn.BatchNorm2d(cout),
            nn.LeakyReLU(0.2, inplace=True),
        )


def _stack(cin: int, nfc: int, net: NetworkConfig) -> list[nn.Module]:
    layers: list[nn.Module] = [ConvBlock(cin, nfc, net.kernel_size)]
    layers += [ConvBlock(nfc, nfc, net.kernel_size) for _ in range(net.num_layers - 2)]
    return layers


def init_weights(module: nn.Module) -> None:
    """The reference initialisation: conv N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """G_n: x_n = prev + tail(body(head(pad(z_in)))) where z_in = amp * z + prev; output keeps the size."""

    def __init__(self, channels: int, nfc: int, net: NetworkConfig) -> None:
        super().__init__()
        self.pad = net.num_layers * (net.kernel_size // 2)
        self.body = nn.Sequential(*_stack(channels, nfc, net))
        self.tail = nn.Sequential(nn.Conv2d(nfc, channels, net.kernel_size, padding=0), nn.Tanh())

    def forward(self, z_in: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        # z_in, prev: [N, C, H, W] -> [N, C, H, W]
        x = F.pad(z_in, [self.pad] * 4)
        return prev + self.tail(self.body(x))


class Discriminator(nn.Module):
    """D_n: the same stack ending in a 1-channel patch map (a WGAN critic, no activation)."""

    def __init__(self, channels: int, nfc: int, net: NetworkConfig) -> None:
        super().__init__()
        self.body = nn.Sequential(*_stack(channels, nfc, net))
        self.tail = nn.Conv2d(nfc, 1, net.kernel_size, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # [N, C, H, W] -> [N, 1, H - 2*num_layers*(k//2), W - ...]
        return self.tail(self.body(x))
