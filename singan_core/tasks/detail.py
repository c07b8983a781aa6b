"""Detail above the model's scale for generated content at document size, copied from a full-resolution
exemplar: the model decides what goes where, a real photo supplies the pixels' grain.

A model sees the document at 1/10-1/15 of its resolution; nothing it learnt says what the photo looks
like between its pixels. Running its finest generator again and again above its training scale (the
super-resolution ladder, :func:`.upscale.upscale`) draws the only thing it knows, its own 1-3 px
strokes, at every step: at 100% zoom that is hatching and ripples, not the photo's texture (see
bench/README.md, Native resolution). Here the generated image (at the work size) is plainly upsampled and
re-synthesised from ``exemplar``'s patches by the instant engine's coarse-to-fine patch search
(:mod:`singan_core.instant`), starting at the model's own size (so the model's layout is the starting
point), matched globally up to :data:`GLOBAL_SIDE` and copying the exemplar's full-resolution patches
above it; finally the low frequencies are put back to the model's (iterative back-projection, below
:data:`LOW_SCALE` x the model's pixel), so colours and layout are the model's and everything finer comes
from real patches of the exemplar.

The exemplar is a full-resolution image of the same scene at the output's scale: for paint-to-image the
paint itself (its unpainted photo pixels; flat patches, the paint's own strokes, and their edges are never
copied), for a variation placed over the trained region that region at document resolution.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..imageio import as_hwc
from ..instant.config import InstantConfig, InstantProgress, ProgressFn
from ..instant.engine import Engine, Field, Problem
from ..instant.levels import Level, _sized
from ..instant.patches import vote
from ..pyramid import resize
from ..tensors import to_array, to_tensor
from .channels import match_channels
from .masks import gaussian_blur
from .progress import StepFn, Steps
from .stop import StopFn, check_stop

#: the engine's settings here: few EM rounds per global level (the model's layout is kept, only its
#: texture is replaced), searched exactly at the model's size with GPNN's usage normalisation (plain
#: nearest neighbours repeated one vertical twig across a whole painted region, as stripes), the
#: default detail levels. 5 rounds, not 3: with the global levels below, NIQE of the bench's variations
#: at half size 1.71-1.90 -> 1.07-1.71 (bench/README.md, Native resolution, third pass). Measured and
#: not used (fourth pass): the engine's ``usage_penalty`` and ``blurred_keys`` on the global PatchMatch
#: levels brought the variations' NIQE closer to the photo's (3 of 4 within 10%) but moved paint's
#: further below it on 3 of 4 (picosdeeuropa 0.925 -> 0.829, its cloud crinkled like stone), and a
#: variation's exemplar cannot be told from a paint here (photos have flat, clipped or smooth sky too)
CONFIG = InstantConfig(em_iterations=5, exact_pairs=400_000_000)
#: levels up to this longer side (px) are searched globally with EM (re-matched against the whole
#: exemplar after each vote, so neighbouring patches come to agree); only the larger ones refine the
#: upsampled field locally. With the model's level alone global (the previous plan), the incoherent
#: matches of its 1-2 px mush were carried up to full size and averaged there into smears
GLOBAL_SIDE = 700
#: a source patch counts as detail when its grey level varies by more than this (in [0, 1] units):
#: flat paint strokes are excluded from what may be copied
FLAT_STD = 1.5 / 255
#: and the softest of the exemplar's patches (this share) are not copied either. Measured on the bench's
#: paint (bench/README.md): 0.4 put tree twigs on a hazy mountain (aitzgorri: sharpness 3.1), 0 filled a
#: bush with the defocused background (life: 0.54); 0.2 gave 0.86 and 0.85
SOFTEST = 0.2
MIN_KEYS = 64
#: the largest output synthesised: its feature maps take ~0.45 GiB per MP (1.5-1.9 GiB measured at
#: 2400x1600), so larger ones stay with the tiled ladder (``auto``) or are refused (``detail``)
MAX_PIXELS = 8_000_000
#: the grain band (the output minus its Gaussian blur of this sigma, px) whose lost energy is restored
GRAIN_SIGMA = 2.0
GRAIN_GAIN = (1.0, 4.0)
#: the model's output is put back (:func:`match_low`) only below 1/this of its own resolution: its finest
#: band is the finest generator's 1-2 px strokes, which, back-projected 10-15x larger, drew soft crossing
#: bands over the copied texture (part of life's paint lattice of twigs) and pulled it toward the
#: model's noise. Variations' NIQE vs the photo: 0.789/1.234/0.889/1.110 -> 0.797/1.146/0.900/1.008
#: (bench's four photos); paint's within 0.03 of before. Half-size trials and the full table: bench/README.md, Native resolution, fourth pass
LOW_SCALE = 2.0


#: peak memory of the synthesis per pixel of the output and the exemplar together (1.5-1.9 GiB measured
#: at 2400x1600 for both, bench/README.md)
BYTES_PER_PIXEL = 260


def peak_bytes(out_hw: tuple[int, int], exemplar_hw: tuple[int, int]) -> int:
    """Estimated peak memory of :func:`with_detail` for an output and an exemplar of these sizes."""
    return BYTES_PER_PIXEL * (out_hw[0] * out_hw[1] + exemplar_hw[0] * exemplar_hw[1])


class NoTexture(ConfigError):
    """No detail synthesis here: the exemplar has no textured patch to copy (a flat paint), or the
    output is over :data:`MAX_PIXELS`."""


def _unit(t: torch.Tensor) -> torch.Tensor:
    """[1, C, H, W] in [-1, 1] -> [C, H, W] in [0, 1]."""
    return ((t[0] + 1.0) * 0.5).clamp(0, 1)


def textured(img: torch.Tensor, k: int, quantile: float = 0.0) -> torch.Tensor:
    """Patch positions [gh, gw] of ``img`` ([C, H, W] in [0, 1]) with detail: the grey level's deviation
    from its 3x3 mean, RMS over the patch, above :data:`FLAT_STD` and above the ``quantile`` of all
    patches (so flat paint, and with ``quantile`` > 0 also the softest, defocused parts, are not copied)."""
    g = img.mean(0)[None, None]
    hp = g - F.avg_pool2d(F.pad(g, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    energy = F.avg_pool2d(hp * hp, k, stride=1)[0, 0].sqrt()
    limit = FLAT_STD / 3
    if quantile > 0:
        flat = energy.flatten()
        sample = flat[:: max(1, flat.numel() // 1_000_000)]
        limit = max(limit, float(torch.quantile(sample, quantile)))
    return energy > limit


def flat_areas(img: torch.Tensor) -> torch.Tensor:
    """[H, W] bool: pixels of ``img`` ([C, H, W] in [0, 1], the exemplar at full resolution) inside a
    flat area (a paint stroke: its 5x5 neighbourhood has one value per channel, within half a level)."""
    x = img[None]
    spread = F.max_pool2d(x, 5, stride=1, padding=2) + F.max_pool2d(-x, 5, stride=1, padding=2)
    return spread.amax(1)[0] < 0.5 / 255


def near_flat(flat: torch.Tensor, hw: tuple[int, int], k: int) -> torch.Tensor:
    """Patch positions [gh, gw] of an image of ``hw`` whose patch touches (or comes within 2 px of) a
    flat area ``flat`` (full resolution [H, W]): the edges of paint strokes, which are not detail either
    (copied into a smooth region they are straight hard lines: shards)."""
    f = F.interpolate(flat[None, None].float(), size=hw, mode="area")
    f = F.max_pool2d(f, k + 4, stride=1, padding=2)
    return f[0, 0] > 0


#: stroke edges are excluded from the levels at this scale of the exemplar and above, where the band is
#: narrow (at coarser ones a patch covers so much of the image that it would leave little to match), and
#: only where at least :data:`EDGE_KEEP` of the level's textured patches remain
EDGE_SCALE = 0.25
EDGE_KEEP = 0.25


def without_edges(ok: torch.Tensor, flat: torch.Tensor, lv: Level, k: int) -> torch.Tensor:
    """``ok`` (a level's patches to copy) less those at the edges of the flat areas ``flat``; unchanged
    at coarse levels or where that would leave too few (see :data:`EDGE_SCALE`). A level searched globally
    (:data:`GLOBAL_SIDE`) moves every match off the edges; the local refinement above it, within a few px,
    keeps the ones it cannot move, so the global levels near full size must exclude them too."""
    if lv.scale < EDGE_SCALE:
        return ok
    kept = ok & ~near_flat(flat, lv.src_hw, k)
    return kept if int(kept.sum()) >= max(MIN_KEYS, EDGE_KEEP * int(ok.sum())) else ok


def plan(
    work: tuple[int, int], out: tuple[int, int], src: tuple[int, int], cfg: InstantConfig
) -> list[Level]:
    """Levels from the work size (the model's output, global search) to ``out`` in steps of at most x2:
    global search up to :data:`GLOBAL_SIDE`, field upsampling + PatchMatch refinement above and at full
    resolution; the source at the same scale as the output at each level."""
    ratio = max(out[0] / work[0], out[1] / work[1])
    n = max(1, math.ceil(math.log2(ratio) - 1e-9))
    k = cfg.patch_size
    levels = []
    for i in range(n + 1):
        s = (1 / ratio) * ratio ** (i / n)
        o = _sized(out, s, k)
        levels.append(Level(s, _sized(src, s, k), o, detail=i > 0 and max(o) > GLOBAL_SIDE))
    levels[-1] = Level(1.0, tuple(src), tuple(out), True)  # full resolution: the field's own copies
    return levels


@torch.no_grad()
def with_detail(
    generated: torch.Tensor,
    size: tuple[int, int],
    exemplar: np.ndarray,
    *,
    dtype: type = np.uint8,
    seed: int = 0,
    config: InstantConfig = CONFIG,
    quantile: float = SOFTEST,
    progress: StepFn | None = None,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """``generated`` (``[1, C, h, w]`` in [-1, 1] at the work size) at ``size`` = (H, W) as an HxWxC
    array of ``dtype``, its detail above the work size copied from ``exemplar`` (HxWxC, any size at
    the output's scale; converted to ``generated``'s channels). Raises :class:`NoTexture` when the
    exemplar has no textured patch to copy (a flat paint) or an image is over :data:`MAX_PIXELS`.
    ``progress`` gets a :class:`StepProgress` per search iteration; ``should_stop`` raises
    :class:`~singan_core.errors.Cancelled` (see :mod:`.stop`)."""
    c = generated.shape[1]
    ex = match_channels(as_hwc(exemplar), c, dtype)
    work = tuple(generated.shape[-2:])
    if size[0] * size[1] > MAX_PIXELS or ex.shape[0] * ex.shape[1] > MAX_PIXELS:
        raise NoTexture(f"detail synthesis is limited to {MAX_PIXELS / 1e6:.0f} MP outputs and exemplars")
    if min(size) < config.patch_size or min(ex.shape[:2]) < config.patch_size:
        raise NoTexture(f"detail synthesis needs images of at least {config.patch_size} px a side")
    levels = plan(work, size, ex.shape[:2], config)
    src = _unit(to_tensor(ex))
    sources = [resize(src[None], lv.src_hw)[0].clamp(0, 1) for lv in levels]
    key_ok = [textured(s, config.patch_size, quantile) for s in sources]
    flat = flat_areas(src)
    if bool(flat.any()):  # nor the edges of paint strokes
        key_ok = [
            without_edges(ok, flat, lv, config.patch_size) for ok, lv in zip(key_ok, levels, strict=True)
        ]
    if any(int(ok.sum()) < MIN_KEYS for ok in key_ok):
        raise NoTexture("the exemplar has no textured area to copy detail from")
    gen = _unit(generated.float().cpu())
    init = resize(gen[None], levels[0].out_hw)[0].clamp(0, 1)
    engine = Engine(
        config,
        torch.Generator().manual_seed(int(seed)),
        level_steps(levels, config, progress),
        stop_check(should_stop),
    )
    y, field = engine.run(Problem(levels, sources, key_ok, init))
    y = restore_grain(y, sources[-1], field, config.patch_size)
    out = match_low(y[None] * 2 - 1, coarser(generated.float().cpu(), LOW_SCALE))
    return to_array(out, dtype)


def coarser(x: torch.Tensor, factor: float) -> torch.Tensor:
    """``x`` (``[1, C, h, w]``) antialiased down by ``factor`` (at least 1 px a side; 1: ``x`` itself)."""
    if factor <= 1:
        return x
    h, w = x.shape[-2:]
    return resize(x, (max(1, round(h / factor)), max(1, round(w / factor))))


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Per-channel Gaussian blur of ``[C, H, W]``."""
    return gaussian_blur(x[:, None], sigma)[:, 0]


def restore_grain(y: torch.Tensor, src: torch.Tensor, field: Field, k: int) -> torch.Tensor:
    """``y`` ([C, H, W], voted from ``src``'s patches by ``field``) with the energy of its finest band
    (above :data:`GRAIN_SIGMA`) brought back, per channel, to what the copied patches had: where neighbouring patches
    come from different places, their average cancels part of their grain (a flat-looking stroke); the
    expected energy is ``src``'s band energy voted through the same field, the gain per pixel its ratio
    to ``y``'s (both smoothed), within :data:`GRAIN_GAIN`."""
    band_src = src - _blur(src, GRAIN_SIGMA)
    acc, cnt = vote(band_src**2, field.ky, field.kx, k, tuple(y.shape[-2:]))
    low = _blur(y, GRAIN_SIGMA)
    band = y - low
    actual = band**2
    expected = torch.where(cnt[None] > 0, acc / cnt.clamp_min(1)[None], actual)
    smooth = 2 * GRAIN_SIGMA
    gain = (_blur(expected, smooth) / _blur(actual, smooth).clamp_min(1e-8)).sqrt().clamp(*GRAIN_GAIN)
    return (low + gain * band).clamp(0, 1)


def level_steps(levels: list[Level], cfg: InstantConfig, progress: StepFn | None) -> ProgressFn:
    """The engine's progress as :class:`~.progress.StepProgress`: one unit per EM round of a global level
    and per refinement round of a detail level; a level whose EM stopped early (converged) counts whole."""
    units = [(cfg.refine_iterations if lv.detail else cfg.em_iterations) or 1 for lv in levels]
    before = [sum(units[:i]) for i in range(len(units))]
    steps = Steps(progress, "detail", sum(units))

    def report(p: InstantProgress) -> None:
        done = before[p.level] + (min(p.iteration, units[p.level]) if p.iterations else 1)
        steps.step(max(0, done - steps.done))

    return report


def stop_check(should_stop: StopFn | None) -> StopFn | None:
    """The engine's stop check, raising the tasks' :class:`~singan_core.errors.Cancelled` itself (so that
    cancelling any task raises the same error, not the instant engine's own)."""
    if should_stop is None:
        return None

    def check() -> bool:
        check_stop(should_stop, "detail synthesis")
        return False

    return check


def match_low(x: torch.Tensor, src: torch.Tensor, rounds: int = 2) -> torch.Tensor:
    """``x`` (``[1, C, H, W]``) with its low frequencies put back to ``src``'s (``[1, C, h, w]``, h <= H):
    iterative back-projection, ``x += up(src - down(x))``, so that ``down(x)`` matches ``src``."""
    for _ in range(rounds):
        x = (x + resize(src - resize(x, tuple(src.shape[-2:])), tuple(x.shape[-2:]))).clamp(-1, 1)
    return x
