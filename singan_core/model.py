"""A trained (or partly trained) SinGAN pyramid and the coarse-to-fine pass every task shares."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn

from .config import SinGANConfig, channels_at
from .fingerprint import TuningRecord
from .networks import Generator
from .pyramid import resize

# noise_fn(scale, n, (H, W)) -> [n, Cz, H, W] noise for that scale
NoiseFn = Callable[[int, int, tuple[int, int]], torch.Tensor]


@dataclass
class SinGANModel:
    config: SinGANConfig
    shapes: tuple[tuple[int, int], ...]  # (H, W) per scale, coarsest first
    scale_factor: float
    channels: int  # image channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    bit_depth: int  # 8 or 16: the dtype tasks return
    image: np.ndarray  # the training image at the finest scale's size, HxWxC uint8/uint16
    image_hash: str  # of the image as given (before resizing)
    model_id: str
    z_rec: torch.Tensor  # [1, Cz, H0, W0] fixed reconstruction noise at the coarsest scale
    generators: nn.ModuleList = field(default_factory=nn.ModuleList)
    noise_amps: list[float] = field(default_factory=list)
    critic_state: dict[str, torch.Tensor] | None = None  # last scale's critic, for warm-starting a resume
    train_seconds: list[float] = field(default_factory=list)
    created: float = 0.0
    # The fine-tunings this model was made by, oldest first (empty for a trained model): its id is
    # fingerprint.lineage_model_id(image_hash, config, tunings); stored in the checkpoint.
    tunings: tuple[TuningRecord, ...] = ()
    # Variation strength of random sampling (never stored): a factor v on the noise amplitudes above the
    # coarsest scale; at the coarsest, z becomes sqrt(1 - v^2) z* + v z for v <= 1 (unit variance, as
    # trained; z* = z_rec) and v z above. 1 = as trained, 0 = the reconstruction, larger = wilder.
    variation: float = 1.0

    @property
    def num_scales(self) -> int:
        return len(self.shapes)

    @property
    def num_trained(self) -> int:
        return len(self.generators)

    @property
    def is_complete(self) -> bool:
        return self.num_trained == self.num_scales

    @property
    def device(self) -> torch.device:
        return self.z_rec.device

    @property
    def dtype(self) -> type:
        return np.uint16 if self.bit_depth == 16 else np.uint8

    def new_generator(self, scale: int) -> Generator:
        return Generator(self.channels, channels_at(self.config.network, scale), self.config.network)

    def noise_channels(self, scale: int) -> int:
        if scale == 0 and self.config.network.coarse_noise_channels == 1:
            return 1
        return self.channels

    def to(self, device: torch.device | str) -> SinGANModel:
        self.generators.to(device)
        self.z_rec = self.z_rec.to(device)
        return self

    def eval(self) -> SinGANModel:
        self.generators.eval()
        for p in self.generators.parameters():
            p.requires_grad_(False)
        return self

    # ---- the coarse-to-fine pass -------------------------------------------------------------
    def with_variation(self, variation: float) -> SinGANModel:
        """This model (sharing its generators) sampling with ``variation`` (see :attr:`variation`)."""
        return self if variation == self.variation else dataclasses.replace(self, variation=float(variation))

    def noise_amp(self, scale: int) -> float:
        """The amplitude of the random noise at ``scale`` (> 0) as sampled: trained x :attr:`variation`."""
        return self.noise_amps[scale] * self.variation

    def step(self, scale: int, z: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """x_n = G_n(amp_n * z + prev, prev); ``z`` with 1 channel is broadcast to every image channel.
        At the coarsest scale ``z`` is moved towards z* by :attr:`variation` (see there)."""
        v = self.variation
        if scale == 0 and v < 1.0:
            star = self.reconstruction_noise(0, z.shape[0], tuple(z.shape[-2:])).to(z.device)
            z = math.sqrt(1.0 - v * v) * star + v * z
        elif scale == 0 and v > 1.0:
            z = v * z
        if z.shape[1] != prev.shape[1]:
            z = z.expand(-1, prev.shape[1], -1, -1)
        amp = self.noise_amps[scale] if scale == 0 else self.noise_amp(scale)
        return self.generators[scale](amp * z + prev, prev)

    def run(
        self,
        first: int,
        prev: torch.Tensor | None,
        shapes: list[tuple[int, int]],
        noise_fn: NoiseFn,
        last: int | None = None,
    ) -> torch.Tensor:
        """Run scales ``first..last`` (default: every trained scale). ``prev`` is the input in place of
        up(x_{first-1}) at ``shapes[first]`` (None = zeros at the coarsest). Returns [N, C, H, W]."""
        last = self.num_trained - 1 if last is None else last
        n = 1 if prev is None else prev.shape[0]
        if prev is None:
            prev = torch.zeros(n, self.channels, *shapes[first], device=self.device)
        x = prev
        for scale in range(first, last + 1):
            prev = resize(x, shapes[scale]) if scale > first else prev
            x = self.step(scale, noise_fn(scale, n, shapes[scale]).to(self.device), prev)
        return x

    def reconstruction_noise(self, scale: int, n: int, shape: tuple[int, int]) -> torch.Tensor:
        """z* at the coarsest scale, zero above it (the reconstruction path)."""
        if scale == 0:
            z = self.z_rec if tuple(shape) == tuple(self.z_rec.shape[-2:]) else resize(self.z_rec, shape)
            return z.expand(n, -1, -1, -1)
        return torch.zeros(n, self.noise_channels(scale), *shape, device=self.device)

    @torch.no_grad()
    def reconstruct(self, last: int | None = None) -> torch.Tensor:
        """The reconstruction of the training image at scale ``last`` ([1, C, H, W]); the variation
        strength does not apply (it is the reconstruction at any)."""
        model = self.with_variation(1.0)
        return model.run(0, None, list(self.shapes), model.reconstruction_noise, last)
