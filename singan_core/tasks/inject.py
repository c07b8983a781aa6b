"""Injection at scale n, and the three applications built on it: harmonization, editing, paint-to-image.

Injection (the paper's Sec. 4): an input image is downsampled to scale n-1's size, upsampled to scale
n's (as the reference scripts do), fed to G_n in place of up(x_{n-1}), and generation continues with
fresh noise up to the finest scale. Scale indices count from the coarsest (0 = the paper's N); valid
injection scales are 1 .. num_trained-1, the same meaning as the reference's ``*_start_scale``.

Inputs of any size are accepted: the work happens at the training image's size (or, for another aspect
ratio, at the same pixel count with the input's aspect). With ``resolution="model"`` (the paper's way;
what ``auto`` does for inputs no larger than the model) the result is resized back to the input's size,
converted to the model's channels and bit depth. For larger inputs (``auto`` or ``native``) harmonization
and editing carry only the model's change to the input's resolution (:mod:`.native`: the input's detail,
channels and bit depth are kept), and paint-to-image brings the generated image to the paint's size
through the finest generator (:mod:`.upscale`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypedDict

import numpy as np
import torch

from ..errors import ConfigError
from ..imageio import as_hwc
from ..model import SinGANModel
from ..pyramid import resize
from ..tensors import to_array, to_tensor
from ..train import ProgressFn
from . import finetune, masks, native, upscale
from .channels import match_channels
from .quantize import PAINT_COLOURS, image_palette, to_centres
from .sample import check_trained, sample_generator, varied, work_shapes
from .stop import StopFn, stopping_noise


class Tuning(TypedDict, total=False):
    """Fine-tuning's callbacks, as training's: progress reports and a cancellation check (which the
    inference after the tuning checks too, see :mod:`.stop`)."""

    progress: ProgressFn | None
    should_stop: Callable[[], bool] | None


# ---- inputs ----------------------------------------------------------------------------------------
def default_injection_scale(model: SinGANModel, task: str) -> int:
    """Defaults: paint at N-1 (index 1); editing near the middle; harmonization one finer."""
    top = model.num_trained - 1
    n = {"paint": 1, "edit": model.num_trained // 2, "harmonize": model.num_trained // 2 + 1}[task]
    return max(1, min(n, top))


def check_injection_scale(model: SinGANModel, n: int) -> None:
    check_trained(model)
    if model.num_trained < 2:
        raise ConfigError("injection needs a model with at least 2 trained scales")
    if not 1 <= n < model.num_trained:
        raise ConfigError(
            f"injection scale {n} is out of range: use 1 (coarse, the paper's N-1) to "
            f"{model.num_trained - 1} (finest)"
        )


# ---- injection -------------------------------------------------------------------------------------
def injected_input(
    x: torch.Tensor, shapes: list[tuple[int, int]], n: int, *, through_coarser: bool = True
) -> torch.Tensor:
    """The input in place of up(x_{n-1}): ``x`` (``[1, C, H, W]``, any size) at scale n-1, then up to n."""
    src = resize(x, shapes[n - 1]) if through_coarser else x
    return resize(src, shapes[n]).clamp(-1, 1)


@torch.no_grad()
def run_from(
    model: SinGANModel,
    prev: torch.Tensor,
    shapes: list[tuple[int, int]],
    n: int,
    seed: int,
    should_stop: StopFn | None = None,
) -> torch.Tensor:
    """Generate from scale ``n`` (input ``prev`` at shapes[n]) to the finest with fresh seeded noise;
    ``should_stop`` is checked before every scale."""
    gen = sample_generator(seed, 0)

    def noise(s: int, m: int, shape: tuple[int, int]) -> torch.Tensor:
        return torch.randn(m, model.noise_channels(s), *shape, generator=gen)

    return model.run(n, prev.to(model.device), shapes, stopping_noise(noise, should_stop, "injection"))


def inject(
    model: SinGANModel,
    image: np.ndarray,
    *,
    injection_scale: int,
    seed: int = 0,
    resolution: native.Resolution = "model",
    upscaler: upscale.Upscaler = "auto",
    should_stop: StopFn | None = None,
    exemplar: np.ndarray | None = None,
) -> np.ndarray:
    """Inject ``image`` at ``injection_scale`` and return the generated image at the input's size:
    resized from the work size (``resolution="model"``) or through :func:`upscale.to_size` (with
    ``exemplar``'s detail, see :mod:`.detail`)."""
    check_injection_scale(model, injection_scale)
    arr = match_channels(image, model.channels, model.dtype)
    shapes = work_shapes(model, arr.shape[:2])
    x = to_tensor(arr, model.device)
    prev = injected_input(x, shapes, injection_scale)
    out = run_from(model, prev, shapes, injection_scale, seed, should_stop)
    return upscale.to_size(
        model,
        out,
        arr.shape[:2],
        resolution=resolution,
        upscaler=upscaler,
        seed=seed,
        should_stop=should_stop,
        exemplar=exemplar,
    )


# ---- harmonization and editing ---------------------------------------------------------------------
class _Blend(NamedTuple):
    """What a harmonize / edit works on (:func:`_blend_inputs`)."""

    arr: np.ndarray  # the input in the model's channels and bit depth
    shapes: list[tuple[int, int]]  # per-scale work shapes
    at_native: bool  # the result goes back at the input's resolution
    weight: torch.Tensor  # [1, 1, H, W] the blend weight at the work size
    x: torch.Tensor  # [1, C, h, w] the input tensor
    prev: torch.Tensor  # [1, C, H_n, W_n] its injection at scale n


def _blend_inputs(
    model: SinGANModel, image: np.ndarray, mask: np.ndarray, n: int, dilation: int, blur: float, res: str
) -> _Blend:
    check_injection_scale(model, n)
    arr = match_channels(image, model.channels, model.dtype)
    shapes = work_shapes(model, arr.shape[:2])
    at_native = native.use_native(res, arr.shape[:2], shapes[-1])
    # radius and sigma are in the input's pixels; the mask is processed at the (smaller) work size
    ratio = max(shapes[-1]) / max(arr.shape[:2])
    weight = masks.soft_mask(mask, shapes[-1], round(dilation * ratio), blur * ratio)
    x = native.work_tensor(arr, shapes[-1], model.device) if at_native else to_tensor(arr, model.device)
    return _Blend(arr, shapes, at_native, weight, x, injected_input(x, shapes, n))


def _tune(
    model: SinGANModel,
    b: _Blend,
    n: int,
    scales: int,
    iterations: int | None,
    seed: int,
    tuning: Tuning | None,
) -> SinGANModel:
    """:func:`finetune.tune_for_composite` on :func:`_blend_inputs`' tensors."""
    return finetune.tune_for_composite(
        model,
        b.prev,
        resize(b.x, b.shapes[-1]),
        b.weight.to(model.device),
        n,
        b.shapes,
        scales=scales,
        iterations=iterations,
        seed=seed,
        **(tuning or {}),
    )


def _blend_task(
    model: SinGANModel,
    image: np.ndarray,
    mask: np.ndarray,
    n: int,
    seed: int,
    dilation: int,
    blur_sigma: float,
    fine_tune: bool,
    fine_tune_scales: int,
    fine_tune_iterations: int | None,
    resolution: str = "model",
    method: str = "delta",
    tuning: Tuning | None = None,
) -> native.Region:
    native.check_choice(method, native.METHODS, "method")
    should_stop = (tuning or {}).get("should_stop")
    b = _blend_inputs(model, image, mask, n, dilation, blur_sigma, resolution)
    arr, shapes, at_native, weight, x, prev = b
    if fine_tune:
        model = _tune(model, b, n, fine_tune_scales, fine_tune_iterations, seed, tuning)
    out = run_from(model, prev, shapes, n, seed, should_stop)
    if at_native:
        crop = native.full_weight(mask, arr.shape[:2], dilation, blur_sigma, should_stop)
        detail = None
        if method == "ladder":
            h, w = crop.weight.shape
            roi = (slice(crop.top, crop.top + h), slice(crop.left, crop.left + w))
            detail = (
                upscale.upscale(model, out, arr.shape[:2], seed=seed, roi=roi, should_stop=should_stop),
                arr,
            )
        return native.compose(
            as_hwc(image),
            x,
            out,
            crop,
            method=method,
            alpha_from_model=model.channels in (2, 4),
            detail=detail,
            should_stop=should_stop,
        )
    generated = to_array(resize(out, arr.shape[:2]), model.dtype)
    full_weight = masks.resize_weight(weight, arr.shape[:2])
    return native.region_of(arr, masks.blend(arr, generated, full_weight), full_weight)


def _result(
    region: native.Region, image: np.ndarray, model: SinGANModel, as_region: bool
) -> np.ndarray | native.Region:
    if as_region:
        return region
    base = as_hwc(image)
    if base.shape[2] != region.pixels.shape[2] or base.dtype != region.pixels.dtype:
        base = match_channels(base, model.channels, model.dtype)  # the model path's output format
    return region.paste(base)


def harmonize(
    model: SinGANModel,
    composite: np.ndarray,
    mask: np.ndarray,
    *,
    injection_scale: int | None = None,
    seed: int = 0,
    fine_tune: bool = False,
    dilation: int = masks.HARMONIZE_DILATION,
    blur_sigma: float = masks.BLUR_SIGMA,
    fine_tune_scales: int = 2,
    fine_tune_iterations: int | None = None,
    resolution: native.Resolution = "auto",
    method: native.Method = "delta",
    as_region: bool = False,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    variation: float = 1.0,
) -> np.ndarray | native.Region:
    """Blend a pasted object (``mask``, HxW, white = object) into the training image's look.

    out = (1 - m) * composite + m * generated with m the dilated, blurred, normalised mask; pixels with
    m == 0 are the composite's, exactly. ``dilation`` and ``blur_sigma`` are in the composite's pixels
    (the reference's values at its 250 px inputs); the mask is processed at the model's size. ``fine_tune`` first tunes the finest ``fine_tune_scales``
    generators on this composite (slower; see :mod:`singan_core.tasks.finetune`).

    ``resolution``: ``model`` is the paper's way (work at the model's size, resize the result back);
    ``native`` carries only the model's change to the input's resolution with ``method`` (see
    :mod:`singan_core.tasks.native`; the output then keeps the input's channels and bit depth); ``auto``
    (default) is native for inputs larger than the model's size. ``as_region`` returns the changed
    rectangle only (a :class:`~singan_core.tasks.native.Region`) instead of the whole image.
    ``progress`` is the fine-tuning's, as training's; ``should_stop`` stops the fine-tuning (raising
    :class:`~singan_core.errors.TrainingCancelled`) and the inference (raising its base class
    :class:`~singan_core.errors.Cancelled`, see :mod:`.stop`). ``variation`` is the strength of the
    generated noise (:func:`~singan_core.tasks.sample.generate`'s; the fine-tuning samples with it too)."""
    model = varied(model, variation)
    n = default_injection_scale(model, "harmonize") if injection_scale is None else injection_scale
    region = _blend_task(
        model,
        composite,
        mask,
        n,
        seed,
        dilation,
        blur_sigma,
        fine_tune,
        fine_tune_scales,
        fine_tune_iterations,
        resolution,
        method,
        Tuning(progress=progress, should_stop=should_stop),
    )
    return _result(region, composite, model, as_region)


def tune_for_harmonize(
    model: SinGANModel,
    composite: np.ndarray,
    mask: np.ndarray,
    *,
    injection_scale: int | None = None,
    seed: int = 0,
    scales: int = 2,
    iterations: int | None = None,
    dilation: int = masks.HARMONIZE_DILATION,
    blur_sigma: float = masks.BLUR_SIGMA,
    resolution: native.Resolution = "auto",
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> SinGANModel:
    """The fine-tuning of :func:`harmonize` (``fine_tune=True``) on its own: a copy of ``model`` with its
    finest ``scales`` generators tuned on this composite (the model passed in is unchanged). Harmonizing
    the same composite with the tuned model, the same seed and injection scale and ``fine_tune=False``
    gives what ``harmonize(model, ..., fine_tune=True)`` gives. ``should_stop`` raises
    :class:`~singan_core.errors.TrainingCancelled`."""
    n = default_injection_scale(model, "harmonize") if injection_scale is None else injection_scale
    b = _blend_inputs(model, composite, mask, n, dilation, blur_sigma, resolution)
    return _tune(model, b, n, scales, iterations, seed, Tuning(progress=progress, should_stop=should_stop))


def edit(
    model: SinGANModel,
    image: np.ndarray,
    mask: np.ndarray,
    *,
    injection_scale: int | None = None,
    seed: int = 0,
    dilation: int = masks.EDIT_DILATION,
    blur_sigma: float = masks.BLUR_SIGMA,
    resolution: native.Resolution = "auto",
    method: native.Method = "delta",
    as_region: bool = False,
    should_stop: StopFn | None = None,
    variation: float = 1.0,
) -> np.ndarray | native.Region:
    """Make a copy-pasted rearrangement of the training image (edited region = ``mask``) seamless;
    ``resolution``, ``method``, ``as_region``, ``should_stop`` and ``variation`` as in :func:`harmonize`."""
    model = varied(model, variation)
    n = default_injection_scale(model, "edit") if injection_scale is None else injection_scale
    stop = Tuning(should_stop=should_stop)
    region = _blend_task(
        model, image, mask, n, seed, dilation, blur_sigma, False, 0, None, resolution, method, stop
    )
    return _result(region, image, model, as_region)


# ---- paint-to-image --------------------------------------------------------------------------------
def paint_palette(model: SinGANModel, scale: int, k: int = PAINT_COLOURS) -> torch.Tensor:
    """The k-means colour centres ``[k, C]`` of the training image at ``scale``."""
    return image_palette(finetune.real_at(model, scale), k)


def paint_to_image(
    model: SinGANModel,
    paint: np.ndarray,
    *,
    injection_scale: int | None = None,
    quantize: bool = False,
    seed: int = 0,
    fine_tune: bool | None = None,
    fine_tune_iterations: int | None = None,
    colours: int = PAINT_COLOURS,
    resolution: native.Resolution = "auto",
    upscaler: upscale.Upscaler = "auto",
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    variation: float = 1.0,
) -> np.ndarray:
    """Turn a clipart-like paint into a realistic image in the training image's style.

    ``quantize`` maps the paint to the ``colours`` k-means colours of the training image at the
    injection scale and (unless ``fine_tune=False``) briefly re-trains that scale's generator on
    quantised inputs, as the paper's optional step does. The image is generated at the model's size;
    ``resolution`` ``auto`` (default: for a paint larger than that) or ``native`` brings it to the paint's
    size with the detail of the paint's own unpainted (textured) pixels (``upscaler="detail"``, see
    :mod:`singan_core.tasks.detail`; ``auto``, the default, falls back to the ladder for a paint with no
    texture at all), through the finest generator (``"ladder"``, see :mod:`singan_core.tasks.upscale`)
    or a plain resize (``"plain"``); ``model`` resizes it (the paper's way). ``progress``,
    ``should_stop`` and ``variation`` as in :func:`harmonize`."""
    model = varied(model, variation)
    n = default_injection_scale(model, "paint") if injection_scale is None else injection_scale
    check_injection_scale(model, n)
    if not quantize:
        return inject(
            model,
            paint,
            injection_scale=n,
            seed=seed,
            resolution=resolution,
            upscaler=upscaler,
            should_stop=should_stop,
            exemplar=paint,
        )
    arr = match_channels(paint, model.channels, model.dtype)
    shapes = work_shapes(model, arr.shape[:2])
    centres = paint_palette(model, n, colours).to(model.device)
    if fine_tune is None or fine_tune:
        model = finetune.tune_for_paint(
            model,
            n,
            centres,
            iterations=fine_tune_iterations,
            seed=seed,
            progress=progress,
            should_stop=should_stop,
        )
    x = to_centres(to_tensor(arr, model.device), centres)
    prev = injected_input(x, shapes, n, through_coarser=False)  # the reference injects it at n directly
    out = run_from(model, prev, shapes, n, seed, should_stop)
    return upscale.to_size(
        model,
        out,
        arr.shape[:2],
        resolution=resolution,
        upscaler=upscaler,
        seed=seed,
        should_stop=should_stop,
        exemplar=paint,
    )


def quantize_paint(
    model: SinGANModel, paint: np.ndarray, *, injection_scale: int | None = None
) -> np.ndarray:
    """The paint mapped to the training image's palette at the injection scale (for previews and tests)."""
    n = default_injection_scale(model, "paint") if injection_scale is None else injection_scale
    check_injection_scale(model, n)
    arr = match_channels(paint, model.channels, model.dtype)
    centres = paint_palette(model, n).to(model.device)
    return to_array(to_centres(to_tensor(arr, model.device), centres), model.dtype)
