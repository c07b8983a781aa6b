"""``singan harmonize``, ``edit``, ``paint2image``, ``sr`` and ``animate``: the paper's applications."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..checkpoint import load_checkpoint, save_checkpoint
from ..config import get_preset, iteration_overrides, with_overrides
from ..device import describe_device, resolve_device
from ..errors import ConfigError, ImageError
from ..imageio import DEFAULT_MAX_PIXELS, load_image, load_mask, prepare_training_image, save_image, to_uint8
from ..model import SinGANModel
from ..tasks import inject, native, upscale
from ..tasks.animate import animate
from ..tasks.masks import BLUR_SIGMA, EDIT_DILATION, HARMONIZE_DILATION
from ..tasks.super_resolve import sr_config, sr_steps, super_resolve
from ..train import train
from .options import (
    add_device_arg,
    add_preset_arg,
    add_size_args,
    add_variation_arg,
    output_size,
    write_json,
)
from .progress import ProgressBar, format_seconds

ANIMATION_FORMATS = {".gif": "GIF", ".webp": "WEBP"}
SCALE_HELP = (
    "injection scale, counted from the coarsest: 1 (the paper's N-1, coarse) to the number of scales - 1 "
    "(finest); see `singan info MODEL` (default: {})"
)


def _model(args: argparse.Namespace) -> SinGANModel:
    return load_checkpoint(args.model, resolve_device(args.device))


def _default_out(src: str, tag: str) -> Path:
    return Path(f"{Path(src).stem}.{tag}.png")


def _write(img: np.ndarray, out: Path, what: str) -> None:
    save_image(img, out)
    h, w = img.shape[:2]
    print(f"wrote {what} ({w}x{h}) to {out}", file=sys.stderr)


def _write_result(result: np.ndarray | native.Region, out: Path, what: str) -> None:
    """An image, or a region as a cropped layer (transparent where unchanged) with its offset printed."""
    if isinstance(result, np.ndarray):
        _write(result, out, what)
        return
    if not result.changed.any():
        raise ImageError("nothing changed: the blend weight is zero everywhere")
    save_image(result.layer(), out)
    h, w = result.changed.shape
    print(
        f"wrote the changed region of the {what} ({w}x{h} at x={result.left}, y={result.top} of "
        f"{result.size[1]}x{result.size[0]}) to {out}",
        file=sys.stderr,
    )


def _add_blend_args(p: argparse.ArgumentParser, dilation: int, default_scale: str) -> None:
    p.add_argument("mask", help="mask image: white = the region to change (alpha is used if colour is flat)")
    p.add_argument("--injection-scale", type=int, help=SCALE_HELP.format(default_scale))
    p.add_argument(
        "--dilation",
        type=int,
        default=dilation,
        help=f"mask dilation radius in px of the input (default {dilation})",
    )
    p.add_argument(
        "--blur",
        type=float,
        default=BLUR_SIGMA,
        help=f"mask blur sigma in px of the input (default {BLUR_SIGMA:g})",
    )
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    add_variation_arg(p)
    p.add_argument("--out", help="output image (default: <input>.<command>.png here)")
    _add_resolution_arg(p)
    p.add_argument(
        "--method",
        choices=native.METHODS,
        default="delta",
        help="native: how the model's change meets the input's detail: delta (the change, upsampled) or "
        "bands (also the input's finer bands scaled to the grain around the mask) or ladder (detail drawn by "
        "the finest generator; slow, weak with small models) (default delta)",
    )
    p.add_argument(
        "--region",
        action="store_true",
        help="write only the changed rectangle, transparent where unchanged, and print its offset",
    )
    add_device_arg(p)


def _add_resolution_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--resolution",
        choices=native.RESOLUTIONS,
        default="auto",
        help="native: the result at the input's resolution (its detail kept); model: work at the model's "
        "size and resize back (the paper's way); auto (default): native for inputs larger than the model",
    )


def add_parsers(sub: argparse._SubParsersAction) -> None:
    h = sub.add_parser(
        "harmonize",
        help="blend a pasted object into the model's image",
        description="Harmonize a composite (an object pasted on the training image) given the object's mask.",
    )
    h.add_argument("model", help="a .singan model of the background image")
    h.add_argument("composite", help="the composite image (any size; resized to the model and back)")
    _add_blend_args(h, HARMONIZE_DILATION, "the middle scale + 1")
    h.add_argument(
        "--fine-tune", action="store_true", help="first fine-tune the finest scales on the composite"
    )
    h.add_argument("--fine-tune-iterations", type=int, help="fine-tuning iterations per scale")
    h.set_defaults(func=cmd_harmonize)

    e = sub.add_parser(
        "edit",
        help="make a copy-paste rearrangement seamless",
        description="Edit: regenerate the masked region of a rearranged copy of the training image.",
    )
    e.add_argument("model", help="a .singan model of the original image")
    e.add_argument("image", help="the edited image (any size)")
    _add_blend_args(e, EDIT_DILATION, "the middle scale")
    e.set_defaults(func=cmd_edit)

    p = sub.add_parser(
        "paint2image", help="turn a rough paint into a realistic image", description="Paint-to-image."
    )
    p.add_argument("model", help="a .singan model of the image whose look the paint should take")
    p.add_argument("paint", help="a clipart-like paint (any size)")
    p.add_argument("--injection-scale", type=int, help=SCALE_HELP.format("1"))
    p.add_argument(
        "--quantize",
        action="store_true",
        help="map the paint to the image's 5 main colours and briefly fine-tune that scale (paper's option)",
    )
    p.add_argument("--no-fine-tune", action="store_true", help="with --quantize: skip the fine-tuning")
    p.add_argument("--fine-tune-iterations", type=int, help="fine-tuning iterations")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    add_variation_arg(p)
    p.add_argument("--out", help="output image (default: <paint>.paint2image.png here)")
    _add_resolution_arg(p)
    p.add_argument(
        "--upscaler",
        choices=upscale.UPSCALERS,
        default="auto",
        help="native: from the model's size to the paint's with the detail of the paint's own textured "
        "pixels (detail), through the finest generator (ladder, the paper's super-resolution) or a plain "
        "resize; auto (default): detail, or the ladder for a paint with no texture",
    )
    add_device_arg(p)
    p.set_defaults(func=cmd_paint)

    s = sub.add_parser(
        "sr",
        help="super-resolve an image (trains on it first unless --model is given)",
        description="Super-resolution x2, x4 or x8: train on the low-resolution image with the paper's SR "
        "settings (or use --model), then upsample through the finest scale.",
    )
    s.add_argument("image", help="the low-resolution image (or a region, with --model)")
    s.add_argument("--factor", type=int, default=4, help="2, 4 or 8 (any integer 2..16; default 4)")
    s.add_argument(
        "--model", help="use this model instead of training (e.g. one of a larger image of the scene)"
    )
    add_preset_arg(s, "training preset (default fast)")
    s.add_argument("--iterations", type=int, help="training iterations per scale")
    s.add_argument("--max-size", type=int, help="longer side for training (default: the image's own)")
    s.add_argument("--train-seed", type=int, help="training seed (default 0)")
    s.add_argument("--save-model", help="also write the trained model here")
    s.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="refuse larger input images")
    s.add_argument("--seed", type=int, default=0, help="noise seed of the upsampling (default 0)")
    s.add_argument("--out", help="output image (default: <image>.x<factor>.png here)")
    add_device_arg(s)
    s.set_defaults(func=cmd_sr)

    a = sub.add_parser(
        "animate",
        help="a random-walk animation (WebP, GIF or PNG frames)",
        description="Animation from one image.",
    )
    a.add_argument("model", help="a .singan model file")
    a.add_argument("--frames", type=int, default=100, help="number of frames (default 100)")
    a.add_argument("--fps", type=float, default=10.0, help="frames per second of the GIF/WebP (default 10)")
    a.add_argument("--alpha", type=float, default=0.1, help="pull towards the image (0..1, default 0.1)")
    a.add_argument("--beta", type=float, default=0.9, help="momentum of the walk (0..1, default 0.9)")
    a.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    add_variation_arg(a)
    add_size_args(a)
    a.set_defaults(start_scale=1)
    a.add_argument("--out", help="anim.webp, anim.gif, or a folder for PNG frames (default <model>.webp)")
    a.add_argument("--frames-dir", help="also write every frame as PNG into this folder")
    add_device_arg(a)
    a.set_defaults(func=cmd_animate)


def cmd_harmonize(args: argparse.Namespace) -> int:
    model = _model(args)
    composite, mask = load_image(args.composite), load_mask(args.mask)
    if args.fine_tune_iterations is not None and args.fine_tune_iterations < 1:
        raise ConfigError("--fine-tune-iterations must be at least 1")
    out = inject.harmonize(
        model,
        composite,
        mask,
        injection_scale=args.injection_scale,
        seed=args.seed,
        fine_tune=args.fine_tune,
        dilation=args.dilation,
        blur_sigma=args.blur,
        fine_tune_iterations=args.fine_tune_iterations,
        resolution=args.resolution,
        method=args.method,
        as_region=args.region,
        variation=args.variation,
    )
    _write_result(
        out, Path(args.out) if args.out else _default_out(args.composite, "harmonized"), "harmonized image"
    )
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    model = _model(args)
    image, mask = load_image(args.image), load_mask(args.mask)
    out = inject.edit(
        model,
        image,
        mask,
        injection_scale=args.injection_scale,
        seed=args.seed,
        dilation=args.dilation,
        blur_sigma=args.blur,
        resolution=args.resolution,
        method=args.method,
        as_region=args.region,
        variation=args.variation,
    )
    _write_result(out, Path(args.out) if args.out else _default_out(args.image, "edited"), "edited image")
    return 0


def cmd_paint(args: argparse.Namespace) -> int:
    model = _model(args)
    paint = load_image(args.paint)
    if args.fine_tune_iterations is not None and args.fine_tune_iterations < 1:
        raise ConfigError("--fine-tune-iterations must be at least 1")
    out = inject.paint_to_image(
        model,
        paint,
        injection_scale=args.injection_scale,
        quantize=args.quantize,
        seed=args.seed,
        fine_tune=not args.no_fine_tune,
        fine_tune_iterations=args.fine_tune_iterations,
        resolution=args.resolution,
        upscaler=args.upscaler,
        variation=args.variation,
    )
    _write(out, Path(args.out) if args.out else _default_out(args.paint, "paint2image"), "image")
    return 0


def _train_for_sr(args: argparse.Namespace, image: np.ndarray) -> SinGANModel:
    cfg = sr_config(get_preset(args.preset), args.factor)
    h, w = image.shape[:2]
    if min(h, w) < cfg.pyramid.min_size:
        raise ImageError(
            f"{args.image} is {w}x{h}: training for super-resolution needs a shorter side of at least "
            f"{cfg.pyramid.min_size} px (or pass --model with a model of a larger image of the scene)"
        )
    overrides: dict[str, Any] = {"pyramid.max_size": args.max_size or max(image.shape[:2])}
    if args.iterations is not None:
        overrides.update(iteration_overrides(args.iterations))
    if args.train_seed is not None:
        overrides["train.seed"] = args.train_seed
    cfg = with_overrides(cfg, overrides)
    device = resolve_device(args.device)
    k, r = sr_steps(args.factor)
    print(
        f"training for x{args.factor} SR ({k} steps of x{r:.4f}) on {describe_device(device)}, "
        f"preset {cfg.preset}",
        file=sys.stderr,
    )
    t0 = time.perf_counter()
    model = train(image, cfg, device=device, progress=ProgressBar(sys.stderr))
    print(f"trained {model.num_scales} scales in {format_seconds(time.perf_counter() - t0)}", file=sys.stderr)
    if args.save_model:
        save_checkpoint(model, args.save_model)
        print(f"model: {args.save_model}", file=sys.stderr)
    return model


def cmd_sr(args: argparse.Namespace) -> int:
    sr_steps(args.factor)  # validate before any work
    image = load_image(args.image)
    if args.model:
        model = _model(args)
    else:
        image = prepare_training_image(image, args.max_pixels)
        model = _train_for_sr(args, image)
    out = super_resolve(model, image, factor=args.factor, seed=args.seed)
    target = Path(args.out) if args.out else _default_out(args.image, f"x{args.factor}")
    _write(out, target, f"x{args.factor} image")
    return 0


def save_animation(frames: Iterable[np.ndarray], out: Path, fps: float, frames_dir: Path | None) -> int:
    """Write frames as an animated GIF/WebP (by ``out``'s suffix) or, without a suffix, as PNGs into the
    folder ``out``; ``frames_dir`` also gets PNGs. Returns the number of frames."""
    suffix = out.suffix.lower()
    if suffix and suffix not in ANIMATION_FORMATS:
        raise ImageError(f"{out}: use .gif, .webp, or a folder name without an extension for PNG frames")
    folders = [d for d in (None if suffix else out, frames_dir) if d is not None]
    pictures: list[Image.Image] = []
    count = 0
    for k, frame in enumerate(frames):
        for d in folders:
            save_image(frame, d / f"frame_{k:04d}.png")
        if suffix:
            small = to_uint8(frame)
            pictures.append(Image.fromarray(small[:, :, 0] if small.shape[2] == 1 else small))
        count += 1
    if suffix:
        out.parent.mkdir(parents=True, exist_ok=True)
        duration = max(int(round(1000.0 / fps)), 10)
        # lossless: libwebp's lossy mode merges frames that differ only slightly (slow, subtle walks)
        extra = {"lossless": True} if suffix == ".webp" else {"disposal": 2}
        pictures[0].save(
            out, format=ANIMATION_FORMATS[suffix], save_all=True, append_images=pictures[1:],
            duration=duration, loop=0, **extra,
        )  # fmt: skip
    return count


def cmd_animate(args: argparse.Namespace) -> int:
    if not 0 < args.fps <= 100:
        raise ConfigError("--fps must be in (0, 100]")
    model = _model(args)
    frames = animate(
        model,
        frames=args.frames,
        start_scale=args.start_scale,
        alpha=args.alpha,
        beta=args.beta,
        seed=args.seed,
        variation=args.variation,
        scale_h=args.scale_h,
        scale_v=args.scale_v,
        size=output_size(args, model),
    )
    out = Path(args.out) if args.out else Path(f"{Path(args.model).stem}.webp")
    frames_dir = Path(args.frames_dir) if args.frames_dir else None
    n = save_animation(frames, out, args.fps, frames_dir)
    options = {k: v for k, v in vars(args).items() if k != "func"}
    if frames_dir is not None:
        write_json(frames_dir / "animate.json", {"options": options, "model_id": model.model_id})
    print(f"wrote {n} frames to {out}", file=sys.stderr)
    return 0
