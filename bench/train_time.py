"""Seconds per training iteration at every scale, total training time and peak memory, per preset.

Trains each preset for ``--iters`` iterations per scale with the real training loop (``train()``), then
reports each scale's measured seconds per iteration and the total for the preset's full iteration count
(EXTRAPOLATED as per-scale s/it x iterations, labelled so). Prints a Markdown table; not a test.

    python bench/train_time.py                       # paper and fast on colusseum (250x188)
    python bench/train_time.py --presets fast --iters 20 --image photo.png
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from singan_core.config import get_preset, iterations_at, with_overrides
from singan_core.imageio import load_image
from singan_core.train import train

DEFAULT_IMAGE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "singan-inputs" / "Images" / "colusseum.png"
)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(image, preset: str, iters: int, device: str, threads: int) -> dict:
    full = get_preset(preset)
    over = {
        "train.iterations": iters,
        "train.lr_decay_iteration": iters,
        "train.coarse_iterations_factor": 1.0,
    }
    if threads:
        over["exec.threads"] = threads
    cfg = with_overrides(full, over)
    t0 = time.perf_counter()
    model = train(image, cfg, device=device)
    wall = time.perf_counter() - t0
    per_it = [s / iters for s in model.train_seconds]
    n = len(per_it)
    full_iters = [iterations_at(full.train, s, n) for s in range(n)]
    return {
        "preset": preset,
        "shapes": [list(s) for s in model.shapes],
        "s_per_it": per_it,
        "iterations": full_iters,
        "total_s_extrapolated": sum(p * k for p, k in zip(per_it, full_iters, strict=True)),
        "measured_s": wall,
        "measured_iters": iters,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    p.add_argument("--presets", default="paper,fast")
    p.add_argument("--iters", type=int, default=5, help="iterations measured per scale")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--threads", type=int, default=0, help="fix the CPU thread count (0 = the preset's tuning)"
    )
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    image = load_image(args.image)
    rows = []
    for preset in args.presets.split(","):
        before = peak_rss_mib()
        row = measure(image, preset, args.iters, args.device, args.threads)
        row["peak_rss_mib"] = peak_rss_mib()
        row["peak_rss_note"] = "process peak so far" if before > 200 else "process peak"
        rows.append(row)
        print(f"measured {preset}", file=sys.stderr, flush=True)
    h, w = image.shape[:2]
    threads = args.threads or "tuned"
    print(
        f"\nImage: {args.image.name} ({w}x{h}); {args.iters} iterations measured per scale; threads {threads}.\n"
    )
    print("| preset | scale | size (WxH) | s/iteration | scale total (extrapolated) |")
    print("|---|---|---|---|---|")
    for row in rows:
        for i, (shape, s) in enumerate(zip(row["shapes"], row["s_per_it"], strict=True)):
            print(
                f"| {row['preset']} | {i + 1}/{len(row['shapes'])} | {shape[1]}x{shape[0]} | {s:.3f} | "
                f"{s * row['iterations'][i] / 60:.1f} min |"
            )
    print("\n| preset | scales | iterations/scale | total training (extrapolated) | peak RSS |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['preset']} | {len(row['shapes'])} | {'/'.join(map(str, row['iterations']))} | "
            f"{row['total_s_extrapolated'] / 60:.1f} min | {row['peak_rss_mib']:.0f} MiB ({row['peak_rss_note']}) |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
