"""Command-line options shared by several ``singan`` commands, and the options file written next to outputs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..config import PRESETS
from ..errors import ConfigError
from ..model import SinGANModel
from ..tasks.sample import MAX_VARIATION, check_variation

#: The presets ``--help`` offers. ``tiny`` (3 scales on a 32 px image, trained in seconds) is for tests and
#: scripts: ``--preset tiny`` works, but it is not advertised to users.
OFFERED_PRESETS = ("fast", "paper")


def preset_name(value: str) -> str:
    """``--preset`` value: any preset name; an unknown one is an argparse error naming the offered ones."""
    if value not in PRESETS:
        raise argparse.ArgumentTypeError(f"unknown preset {value!r}: use {' or '.join(OFFERED_PRESETS)}")
    return value


def add_preset_arg(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument(
        "--preset", default="fast", type=preset_name, metavar="{" + ",".join(OFFERED_PRESETS) + "}", help=help
    )


def add_device_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device", default="auto", help="auto (CUDA, then Apple MPS, then CPU), cpu, cuda, cuda:N or mps"
    )


def add_size_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scale-h", type=float, default=1.0, help="horizontal scale of the output (e.g. 1.5 = 50%% wider)"
    )
    p.add_argument("--scale-v", type=float, default=1.0, help="vertical scale of the output")
    p.add_argument("--width", type=int, help="exact output width in px (overrides --scale-h/--scale-v)")
    p.add_argument("--height", type=int, help="exact output height in px (with --width)")
    p.add_argument(
        "--start-scale",
        type=int,
        default=0,
        help="0 = start from noise at the coarsest scale; k > 0 keeps the training image's layout below scale k",
    )


def variation_value(value: str) -> float:
    """``--variation`` value: a number in 0..MAX_VARIATION, else an argparse error saying the range."""
    try:
        return check_variation(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_variation_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--variation",
        type=variation_value,
        default=1.0,
        help=f"variation strength: 1 = as trained (default), 0 = the training image's reconstruction, "
        f"larger = wilder (up to {MAX_VARIATION:g}); a factor on the noise the model draws",
    )


def output_size(args: argparse.Namespace, model: SinGANModel) -> tuple[int, int] | None:
    if args.width is None and args.height is None:
        return None
    fh, fw = model.shapes[-1]
    w = args.width if args.width is not None else round(args.height * fw / fh)
    h = args.height if args.height is not None else round(args.width * fh / fw)
    return (h, w)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
