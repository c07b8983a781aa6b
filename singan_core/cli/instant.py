"""``singan instant``, ``singan fill`` and ``singan extend``: results in seconds without a trained model."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

from ..device import describe_device, resolve_device
from ..errors import ImageError
from ..imageio import DEFAULT_MAX_PIXELS, load_image, load_mask, save_image
from ..instant import InstantConfig, InstantProgress, extend, fill, variation
from .options import add_device_arg


def parse_size(value: str) -> tuple[int, int]:
    """``WxH`` -> (H, W)."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", value)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT in px, e.g. 640x480 (got {value!r})")
    return (int(m.group(2)), int(m.group(1)))


def _common(p: argparse.ArgumentParser, tag: str) -> None:
    p.add_argument("--seed", type=int, default=0, help="seed: the same seed gives the same image (default 0)")
    p.add_argument("--out", help=f"output image (default: <image>.{tag}.png here)")
    p.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="refuse larger images")
    p.add_argument(
        "--memory-mb",
        type=int,
        default=InstantConfig.memory_mb,
        help="scratch memory budget in MiB (default 1024)",
    )
    add_device_arg(p)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser(
        "instant",
        help="a random variation of an image in seconds, no training (GPNN patch nearest neighbours)",
        description="Instant variation: rearranges the image's own patches coarse to fine (no model needed).",
    )
    i.add_argument("image", help="PNG, JPEG, WebP or TIFF; 8 or 16 bit; grey, RGB or RGBA")
    i.add_argument("--size", type=parse_size, help="output WIDTHxHEIGHT, any aspect (default: the image's)")
    _common(i, "instant")
    i.set_defaults(func=cmd_instant)

    f = sub.add_parser(
        "fill",
        help="fill the white part of a mask from the rest of the image (or from --source), no training",
        description="Instant fill (inpainting). Pixels outside the mask are kept bit for bit.",
    )
    f.add_argument("image")
    f.add_argument("mask", help="mask image of the same size: white = fill (alpha is used if colour is flat)")
    f.add_argument("--source", help="take the patches from this image instead of the rest of IMAGE")
    _common(f, "fill")
    f.set_defaults(func=cmd_fill)

    e = sub.add_parser(
        "extend",
        help="extend the canvas and outpaint the new border from the image, no training",
        description="Instant extend canvas (outpainting). The image itself is kept bit for bit.",
    )
    e.add_argument("image")
    for side in ("left", "top", "right", "bottom"):
        e.add_argument(f"--{side}", type=int, default=0, help=f"px to add on the {side} (default 0)")
    _common(e, "extended")
    e.set_defaults(func=cmd_extend)


class _Reporter:
    """One line per level on a terminal (redrawn), nothing on a pipe."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, p: InstantProgress) -> None:
        if self.tty and p.iteration == p.iterations:
            h, w = p.shape
            sys.stderr.write(f"\r\033[Klevel {p.level + 1}/{p.num_levels} ({w}x{h}) {p.elapsed_s:.1f} s")
            sys.stderr.flush()


def _load(path: str, max_pixels: int) -> np.ndarray:
    img = load_image(path)
    h, w = img.shape[:2]
    if h * w > max_pixels:
        raise ImageError(
            f"{path} is {w}x{h} = {h * w / 1e6:.1f} MP, over the limit of {max_pixels / 1e6:.1f} MP "
            "(--max-pixels)"
        )
    return img


def _run(args: argparse.Namespace, tag: str, what: str, work) -> int:
    device = resolve_device(args.device)
    config = InstantConfig(memory_mb=args.memory_mb)
    t0 = time.perf_counter()
    reporter = _Reporter()
    out = work(config, device, reporter)
    if reporter.tty:
        sys.stderr.write("\n")
    target = Path(args.out) if args.out else Path(f"{Path(args.image).stem}.{tag}.png")
    save_image(out, target)
    h, w = out.shape[:2]
    print(
        f"wrote {what} ({w}x{h}) to {target} in {time.perf_counter() - t0:.1f} s on {describe_device(device)}",
        file=sys.stderr,
    )
    return 0


def cmd_instant(args: argparse.Namespace) -> int:
    image = _load(args.image, args.max_pixels)
    if args.size and args.size[0] * args.size[1] > args.max_pixels:
        raise ImageError(f"--size {args.size[1]}x{args.size[0]} is over the limit of --max-pixels")
    return _run(
        args,
        "instant",
        "variation",
        lambda cfg, dev, rep: variation(
            image, args.size, seed=args.seed, config=cfg, device=dev, progress=rep
        ),
    )


def cmd_fill(args: argparse.Namespace) -> int:
    image = _load(args.image, args.max_pixels)
    mask = load_mask(args.mask)
    source = _load(args.source, args.max_pixels) if args.source else None
    return _run(
        args,
        "fill",
        "filled image",
        lambda cfg, dev, rep: fill(
            image, mask, source=source, seed=args.seed, config=cfg, device=dev, progress=rep
        ),
    )


def cmd_extend(args: argparse.Namespace) -> int:
    image = _load(args.image, args.max_pixels)
    borders = (args.left, args.top, args.right, args.bottom)
    h, w = image.shape[:2]
    if (h + args.top + args.bottom) * (w + args.left + args.right) > args.max_pixels:
        raise ImageError("the extended canvas is over the limit of --max-pixels")
    return _run(
        args,
        "extended",
        "extended image",
        lambda cfg, dev, rep: extend(image, *borders, seed=args.seed, config=cfg, device=dev, progress=rep),
    )
