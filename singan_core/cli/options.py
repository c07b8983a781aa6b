"""Command-line options shared by several ``singan`` commands."""

from __future__ import annotations

import argparse

from ..config import PRESETS

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
