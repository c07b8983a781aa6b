"""Random samples from noise: any size and aspect ratio, from any start scale."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import ConfigError
from ..model import SinGANModel
from ..pyramid import resize, scaled_shapes
from ..tensors import to_arrays
from .stop import StopFn, stopping_noise

MAX_OUTPUT_PIXELS = 16_000_000
#: Variation strength's upper bound: 1 is as trained; 5x the trained noise is already far from the image.
MAX_VARIATION = 5.0


def sample_generator(seed: int, index: int) -> torch.Generator:
    """Sample ``index`` of a seeded request always gets the same noise, whatever ``n`` is."""
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, index]).generate_state(1)[0]))


def check_trained(model: SinGANModel) -> None:
    if model.num_trained == 0:
        raise ConfigError("the model has no trained scale yet")


def check_variation(variation: float) -> float:
    """``variation`` as a float, or :class:`ConfigError` when it is not a finite number in 0..MAX_VARIATION."""
    try:
        v = float(variation)
    except (TypeError, ValueError):
        raise ConfigError(f"variation must be a number, got {variation!r}") from None
    if not (math.isfinite(v) and 0.0 <= v <= MAX_VARIATION):
        raise ConfigError(
            f"variation {variation} is out of range: use 0 (the reconstruction) to {MAX_VARIATION:g}"
            " (1 = as trained)"
        )
    return v


def varied(model: SinGANModel, variation: float) -> SinGANModel:
    """``model`` sampling with ``variation`` times its own variation strength (``variation`` checked; see
    SinGANModel.variation): a model already varied by its caller keeps that, times this."""
    return model.with_variation(model.variation * check_variation(variation))


def check_start_scale(model: SinGANModel, start_scale: int) -> None:
    if not 0 <= start_scale < model.num_trained:
        raise ConfigError(
            f"start scale {start_scale} is out of range: use 0 (coarsest) to {model.num_trained - 1}"
        )


def output_shapes(
    model: SinGANModel, scale_h: float, scale_v: float, size: tuple[int, int] | None
) -> list[tuple[int, int]]:
    if size is not None:
        if size[0] < 1 or size[1] < 1:
            raise ConfigError(f"output size must be positive, got {size[1]}x{size[0]}")
    elif not (0 < scale_h <= 16 and 0 < scale_v <= 16):
        raise ConfigError("scale_h and scale_v must be in (0, 16]")
    shapes = scaled_shapes(model.shapes[: model.num_trained], scale_v, scale_h, size)
    h, w = shapes[-1]
    if h * w > MAX_OUTPUT_PIXELS:
        raise ConfigError(f"requested output {w}x{h} is over the {MAX_OUTPUT_PIXELS / 1e6:.0f} MP limit")
    return shapes


def work_shapes(model: SinGANModel, size: tuple[int, int]) -> list[tuple[int, int]]:
    """Per-scale shapes for an input of ``size`` = (H, W): the model's own for the training aspect ratio,
    otherwise the same pixel count as the training image with the input's aspect ratio."""
    trained = model.shapes[: model.num_trained]
    fh, fw = trained[-1]
    h, w = size
    if abs((h / w) / (fh / fw) - 1.0) <= 0.01:
        return list(trained)
    s = math.sqrt(fh * fw / (h * w))
    return scaled_shapes(trained, 1.0, 1.0, (max(round(h * s), 1), max(round(w * s), 1)))


@torch.no_grad()
def generate(
    model: SinGANModel,
    *,
    n: int = 1,
    seed: int = 0,
    scale_h: float = 1.0,
    scale_v: float = 1.0,
    size: tuple[int, int] | None = None,
    start_scale: int = 0,
    variation: float = 1.0,
    device: torch.device | str | None = None,
    should_stop: StopFn | None = None,
) -> list[np.ndarray]:
    """``n`` random samples (HxWxC arrays of the model's bit depth), reproducible from ``seed``.

    ``scale_h``/``scale_v`` stretch every noise map horizontally/vertically (the paper's retargeting);
    ``size=(H, W)`` asks for an exact output size instead. ``start_scale`` 0 starts at the coarsest
    scale; k > 0 keeps the reconstruction at the scales below k (same global layout, new details).
    ``variation`` scales the noise's departure from the reconstruction: 1 as trained, 0 the
    reconstruction itself, larger wilder (up to :data:`MAX_VARIATION`).
    ``should_stop`` is checked before every scale of every sample (:mod:`.stop`).
    """
    check_trained(model)
    check_start_scale(model, start_scale)
    check_variation(variation)
    if n < 1:
        raise ConfigError("n must be at least 1")
    if device is not None:
        model.to(device)
    model = varied(model, variation)
    shapes = output_shapes(model, scale_h, scale_v, size)
    base = None
    if start_scale > 0:
        base = resize(model.reconstruct(start_scale - 1), shapes[start_scale])
    out: list[np.ndarray] = []
    for k in range(n):
        gen = sample_generator(seed, k)

        def noise(s: int, m: int, shape: tuple[int, int], gen: torch.Generator = gen) -> torch.Tensor:
            return torch.randn(m, model.noise_channels(s), *shape, generator=gen)

        x = model.run(start_scale, base, shapes, stopping_noise(noise, should_stop, "generation"))
        out.extend(to_arrays(x, model.dtype))
    return out
