"""The scales trained at one step of the pyramid: their random inputs from the frozen coarser scales
(a bank, or a fresh pass per step as the reference) and the chain of generators being trained."""

from __future__ import annotations

import torch
import torch.nn as nn

from .acceleration import maybe_compile, memory_format, prepare_module
from .config import first_trained_scale
from .model import SinGANModel
from .pyramid import resize


class PrevSource:
    """Random inputs up(x_{base-1}) at scale ``base`` from the frozen coarser pyramid: a bank refreshed
    every few iterations (``prev_bank_size`` > 0) or a fresh pass for every step (``prev_bank_size``
    == 0, as the reference). ``base`` is the coarsest scale being trained."""

    def __init__(self, model: SinGANModel, base: int, gen: torch.Generator, cpu_gen: torch.Generator) -> None:
        self.model, self.base, self.gen, self.cpu_gen = model, base, gen, cpu_gen
        t = model.config.train
        self.size, self.refresh = t.prev_bank_size, t.prev_bank_refresh
        self.format = memory_format(model.config.execution)
        self.bank: torch.Tensor | None = None
        self.order: list[int] = []

    def _noise(self, s: int, n: int, shape: tuple[int, int]) -> torch.Tensor:
        dev = self.model.device
        return torch.randn(n, self.model.noise_channels(s), *shape, device=dev, generator=self.gen)

    CHUNK = 8  # samples per pass through the coarser pyramid: caps the bank's peak activation memory

    @torch.no_grad()
    def _draw(self, n: int) -> torch.Tensor:
        m, s = self.model, self.base
        if s == 0:
            return torch.zeros(n, m.channels, *m.shapes[0], device=m.device)
        parts = []
        for k in range(0, n, self.CHUNK):
            prev = torch.zeros(min(self.CHUNK, n - k), m.channels, *m.shapes[0], device=m.device)
            parts.append(resize(m.run(0, prev, list(m.shapes), self._noise, last=s - 1), m.shapes[s]))
        return torch.cat(parts).contiguous(memory_format=self.format)

    def start_iteration(self, it: int) -> None:
        if self.size > 0 and (self.bank is None or it % self.refresh == 0):
            self.bank = self._draw(self.size)
            self.order = torch.randperm(self.size, generator=self.cpu_gen).tolist()

    def state(self) -> tuple[torch.Tensor | None, list[int]]:
        """The bank and the draw order (the bank is replaced, never changed in place)."""
        return self.bank, list(self.order)

    def set_state(self, state: tuple[torch.Tensor | None, list[int]]) -> None:
        self.bank, self.order = state[0], list(state[1])

    def next(self) -> torch.Tensor:
        if self.size == 0:
            return self._draw(1)
        if not self.order:
            self.order = torch.randperm(self.size, generator=self.cpu_gen).tolist()
        i = self.order.pop()
        return self.bank[i : i + 1]


class Stages:
    """The scales trained together at scale n: ``first..n`` (``concurrent_stages`` of them, ConSinGAN),
    run as one chain from up(x_{first-1}). Only the newest has a fresh generator; the others are the
    model's own, unfrozen for this scale and frozen again by :meth:`freeze`."""

    def __init__(self, model: SinGANModel, scale: int, g: nn.Module, amp: float) -> None:
        t = model.config.train
        self.model, self.scale = model, scale
        self.first = first_trained_scale(t, scale)
        self.older = [model.generators[s] for s in range(self.first, scale)]
        self.nets = [*self.older, g]
        self.calls = [*self.older, maybe_compile(g, model.config.execution, model.device)]
        self.amps = [*model.noise_amps[self.first : scale], amp]
        self.format = memory_format(model.config.execution)
        for m in self.older:
            prepare_module(m, model.config.execution).train()
            for p in m.parameters():
                p.requires_grad_(True)

    def param_groups(self, lr: float, factor: float) -> list[dict]:
        """One group per scale; the scale k steps below the newest gets lr * factor**k."""
        n = len(self.nets)
        return [
            {"params": net.parameters(), "lr": lr * factor ** (n - 1 - i)} for i, net in enumerate(self.nets)
        ]

    def __call__(self, prev: torch.Tensor, noise: list[torch.Tensor]) -> torch.Tensor:
        """x_n from ``prev`` = up(x_{first-1}) [N, C, H, W] and one noise map per trained scale."""
        x = prev
        for i, (net, amp, z) in enumerate(zip(self.calls, self.amps, noise, strict=True)):
            p = resize(x, self.model.shapes[self.first + i]).contiguous(memory_format=self.format) if i else x
            x = net(amp * z.expand(-1, p.shape[1], -1, -1) + p, p)
        return x

    def random_noise(self, gen: torch.Generator) -> list[torch.Tensor]:
        m = self.model
        return [
            torch.randn(1, m.noise_channels(s), *m.shapes[s], device=m.device, generator=gen)
            for s in range(self.first, self.scale + 1)
        ]

    def rec_noise(self) -> list[torch.Tensor]:
        m = self.model
        return [m.reconstruction_noise(s, 1, m.shapes[s]) for s in range(self.first, self.scale + 1)]

    def rec_prev(self) -> torch.Tensor:
        """up(reconstruction_{first-1}) at scale ``first`` (zeros at the coarsest): fixed while n trains."""
        m = self.model
        if self.first == 0:
            return torch.zeros(1, m.channels, *m.shapes[0], device=m.device)
        return resize(m.reconstruct(self.first - 1), m.shapes[self.first]).contiguous(
            memory_format=self.format
        )

    def freeze(self) -> None:
        for net in self.nets:
            net.eval()
            for p in net.parameters():
                p.requires_grad_(False)
