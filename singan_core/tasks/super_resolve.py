"""Super-resolution (the paper's Sec. 4): upsample k times through the finest generator, with noise.

Training for SR uses :func:`sr_config`: reconstruction weight 100, min size 18 and a per-scale factor
r = factor^(1/k) with k = round(log(1/factor) / log((1/2)^(1/3))) (the reference's ``calc_init_scale``),
so k steps of r reach the factor exactly (x2: 3 steps, x4: 6, x8: 9; r = 2^(1/3) each time).

Any model can super-resolve any image: the generators are fully convolutional, so a region of the
training image, or another image of the same scene, is processed at its own resolution (the plugin's
"super-resolve selection" uses the model of the whole layer). The output is exactly factor x the input.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..config import SinGANConfig, with_overrides
from ..errors import ConfigError
from ..model import SinGANModel
from ..pyramid import resize
from ..tensors import to_array, to_tensor
from .channels import match_channels
from .sample import MAX_OUTPUT_PIXELS, check_trained, sample_generator
from .stop import StopFn, check_stop
from .upscale import match_low

SR_MIN_SIZE = 18
SR_REC_WEIGHT = 100.0
MAX_FACTOR = 16


def check_factor(factor: int) -> int:
    if isinstance(factor, bool) or int(factor) != factor or not 2 <= factor <= MAX_FACTOR:
        raise ConfigError(
            f"super-resolution factor must be an integer from 2 to {MAX_FACTOR} (paper: 2, 4, 8)"
        )
    return int(factor)


def sr_steps(factor: int) -> tuple[int, float]:
    """(k, r): the number of upsampling steps and the per-step factor, r**k == factor."""
    factor = check_factor(factor)
    k = max(1, round(math.log(1.0 / factor) / math.log(0.5 ** (1.0 / 3.0))))
    return k, factor ** (1.0 / k)


def sr_config(base: SinGANConfig, factor: int) -> SinGANConfig:
    """``base`` with the paper's SR training settings for ``factor``."""
    _, r = sr_steps(factor)
    return with_overrides(
        base,
        {
            "pyramid.scale_factor": 1.0 / r,
            "pyramid.min_size": SR_MIN_SIZE,
            "pyramid.max_size": max(base.pyramid.max_size, SR_MIN_SIZE),
            "train.rec_weight": SR_REC_WEIGHT,
        },
    )


def sr_shapes(h: int, w: int, factor: int) -> list[tuple[int, int]]:
    """The k intermediate sizes, the last exactly (factor*h, factor*w)."""
    k, r = sr_steps(factor)
    shapes = [(max(round(h * r**j), 1), max(round(w * r**j), 1)) for j in range(1, k)]
    return shapes + [(h * factor, w * factor)]


@torch.no_grad()
def super_resolve(
    model: SinGANModel,
    image: np.ndarray | None = None,
    *,
    factor: int = 4,
    seed: int = 0,
    noise: bool = True,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """Upsample ``image`` (default: the training image) by ``factor`` through the finest generator.

    Returns HxWxC of the model's channels and bit depth, exactly ``factor`` times the input's size.
    ``noise=False`` drops the noise (a deterministic but usually blurrier result). ``should_stop`` is
    checked before every step (:mod:`.stop`)."""
    check_trained(model)
    arr = model.image if image is None else match_channels(image, model.channels, model.dtype)
    h, w = arr.shape[:2]
    shapes = sr_shapes(h, w, factor)
    if shapes[-1][0] * shapes[-1][1] > MAX_OUTPUT_PIXELS:
        raise ConfigError(
            f"x{factor} of {w}x{h} is {w * factor}x{h * factor}, over the {MAX_OUTPUT_PIXELS / 1e6:.0f} MP limit"
        )
    scale = model.num_trained - 1
    gen = sample_generator(seed, 0)
    x = src = to_tensor(arr, model.device)
    for shape in shapes:
        check_stop(should_stop, "super-resolution")
        prev = resize(x, shape)
        z = torch.randn(1, model.noise_channels(scale), *shape, generator=gen).to(model.device)
        # clamp between steps, as the reference's uint8 round trip in imresize does
        x = model.step(scale, z if noise else torch.zeros_like(z), prev).clamp(-1, 1)
        x = match_low(x, src)  # the input's colours and low frequencies: no drift from step to step
    return to_array(match_box(x, src, factor), model.dtype)


def match_box(x: torch.Tensor, src: torch.Tensor, factor: int, rounds: int = 4) -> torch.Tensor:
    """``x`` ([1, C, f*h, f*w]) corrected so that its ``factor`` x ``factor`` block means are ``src``'s
    pixels ([1, C, h, w]): the back-projection above matches the antialiased resize, whose kernel reaches
    beyond each block, so a sharp input's box-downscaled result was off by 5-6 grey levels (a tiny model
    on a 32x24 sharp texture); the block residual, bilinearly upsampled, is added a few times."""
    for _ in range(rounds):
        err = src - F.avg_pool2d(x, factor)
        x = (x + F.interpolate(err, scale_factor=factor, mode="bilinear", align_corners=False)).clamp(-1, 1)
    return x
