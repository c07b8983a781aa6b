"""Early stop for one scale: stop when the reconstruction loss and the critic's gap have plateaued.

Losses are accumulated on the device as tensors and read (one host sync) once per window. A scale
stops when, after at least ``min_iterations``, the window means of both the reconstruction loss and
the critic's gap E[D(real)] - E[D(fake)] changed by less than ``tol`` relative to the previous
window (the gap's change is measured against the larger of its magnitude and the reconstruction
loss, so a gap hovering around zero does not block the stop forever).
"""

from __future__ import annotations

import torch


class PlateauStop:
    def __init__(self, window: int, tol: float, min_iterations: int) -> None:
        self.window, self.tol, self.min_iterations = window, tol, min_iterations
        self.rec_sum: torch.Tensor | float = 0.0
        self.gap_sum: torch.Tensor | float = 0.0
        self.count = 0
        self.previous: tuple[float, float] | None = None
        self.history: list[tuple[float, float]] = []  # (rec, gap) window means, for reports and tests

    def update(self, rec: torch.Tensor, critic_loss: torch.Tensor) -> None:
        """Add one iteration's losses (no host sync). ``critic_loss`` is E[D(fake)] - E[D(real)]."""
        self.rec_sum = self.rec_sum + rec.detach()
        self.gap_sum = self.gap_sum - critic_loss.detach()
        self.count += 1

    def should_stop(self, done: int) -> bool:
        """Call after each iteration with the number of iterations done; True = stop this scale."""
        if self.count < self.window:
            return False
        rec = float(self.rec_sum) / self.count
        gap = float(self.gap_sum) / self.count
        self.rec_sum, self.gap_sum, self.count = 0.0, 0.0, 0
        self.history.append((rec, gap))
        prev, self.previous = self.previous, (rec, gap)
        if prev is None or done < self.min_iterations:
            return False
        rec_flat = abs(rec - prev[0]) <= self.tol * max(abs(prev[0]), 1e-12)
        gap_flat = abs(gap - prev[1]) <= self.tol * max(abs(prev[1]), abs(rec), 1e-12)
        return rec_flat and gap_flat
