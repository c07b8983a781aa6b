"""Animation from a single image (the paper's Sec. 4): a random walk in noise space at a start scale.

At every scale from ``start_scale`` up, the noise follows the reference's second-order walk:

    z_t = alpha * z* + (1 - alpha) * (z_{t-1} + beta * (z_{t-1} - z_{t-2}) + (1 - beta) * noise)

where z* is the reconstruction noise (z_rec at the coarsest scale, zero above it): alpha pulls the walk
towards the reconstruction (small alpha = more motion), beta gives it momentum (smoothness). Scales
below ``start_scale`` keep the reconstruction, so the global layout stays and the content moves.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from ..errors import ConfigError
from ..model import SinGANModel
from ..pyramid import resize
from ..tensors import to_array
from .sample import check_start_scale, check_trained, check_variation, output_shapes, sample_generator
from .stop import StopFn, check_stop

MAX_FRAMES = 10_000


def animate(
    model: SinGANModel,
    *,
    frames: int = 100,
    start_scale: int = 1,
    alpha: float = 0.1,
    beta: float = 0.9,
    seed: int = 0,
    scale_h: float = 1.0,
    scale_v: float = 1.0,
    size: tuple[int, int] | None = None,
    should_stop: StopFn | None = None,
    variation: float = 1.0,
) -> Iterator[np.ndarray]:
    """Yield ``frames`` HxWxC frames (the model's bit depth), one at a time. Arguments are checked now,
    before the first frame; ``scale_h``/``scale_v``/``size`` give any output size as in sampling.
    ``should_stop`` is checked before every frame (:mod:`.stop`). ``variation`` scales how far each
    frame's noise departs from the reconstruction's, z* + variation * (z_t - z*) (1 as trained, 0 a
    still reconstruction; above the coarsest scale a factor on the noise amplitudes, as in sampling)."""
    check_trained(model)
    check_start_scale(model, start_scale)
    variation = check_variation(variation)
    if not 1 <= frames <= MAX_FRAMES:
        raise ConfigError(f"frames must be from 1 to {MAX_FRAMES}")
    if not (0.0 <= alpha <= 1.0 and 0.0 <= beta <= 1.0):
        raise ConfigError("alpha and beta must be in [0, 1]")
    shapes = output_shapes(model, scale_h, scale_v, size)
    return _frames(model, frames, start_scale, alpha, beta, seed, shapes, should_stop, variation)


@torch.no_grad()
def _frames(
    model: SinGANModel,
    frames: int,
    start: int,
    alpha: float,
    beta: float,
    seed: int,
    shapes: list[tuple[int, int]],
    should_stop: StopFn | None = None,
    variation: float = 1.0,
) -> Iterator[np.ndarray]:
    model = model.with_variation(1.0)  # applied to the walk below, the same way at every scale
    gen = sample_generator(seed, 0)
    base = None if start == 0 else resize(model.reconstruct(start - 1), shapes[start])
    scales = range(start, model.num_trained)

    def randn(s: int) -> torch.Tensor:
        return torch.randn(1, model.noise_channels(s), *shapes[s], generator=gen).to(model.device)

    z_star = {s: model.reconstruction_noise(s, 1, shapes[s]) for s in scales}
    z1 = {s: 0.95 * z_star[s] + 0.05 * randn(s) for s in scales}  # z_{t-1}
    z2 = {s: z_star[s].clone() for s in scales}  # z_{t-2}
    for _ in range(frames):
        check_stop(should_stop, "animation")
        current = {}
        for s in scales:
            step = beta * (z1[s] - z2[s]) + (1.0 - beta) * randn(s)
            current[s] = alpha * z_star[s] + (1.0 - alpha) * (z1[s] + step)
            z2[s], z1[s] = z1[s], current[s]
        x = model.run(
            start, base, shapes, lambda s, n, hw, c=current: z_star[s] + variation * (c[s] - z_star[s])
        )
        yield to_array(x, model.dtype)
