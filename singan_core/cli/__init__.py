"""The ``singan`` command. Options are validated up front; errors print one line, no traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import SinGANError
from . import apps, instant, train_sample_info
from .eval import add_eval_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="singan",
        description="SinGAN Studio: learn a generative model from a single image, then sample from it.",
        epilog="Scale indices count from the coarsest scale: 0 is the paper's N, 1 is N-1, and so on.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train_sample_info.add_parsers(sub)
    apps.add_parsers(sub)
    instant.add_parsers(sub)
    add_eval_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SinGANError as exc:
        print(f"singan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("singan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
