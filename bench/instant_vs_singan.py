"""Instant (training-free) variations against samples of trained SinGAN models, on the paper's inputs.

    # 1. train (in the background, one at a time; hours on a busy 2-core CPU at 250 px):
    singan train IMAGE --preset fast --max-size 250 --out MODELS/<stem>.fast.singan
    #    and record each training's wall time in MODELS/train_times.txt as "<stem> <seconds>"
    # 2. compare every image that has a model:
    python bench/instant_vs_singan.py --models MODELS --out out/instant_vs --n 50

For each image: --n instant variations (seeds 0..n-1) of the input resized to the model's training size,
and --n random samples of the model (start scale 0, seeds 0..n-1); SIFID of each against that same
input (FID Inception weights, as bench/instant.py and bench/quality.py), diversity (as ``singan eval``),
and the wall time of each way: instant = the n variations; SinGAN = the training (from train_times.txt)
plus the n samples. OUT/index.html: input, 4 instant variations and 4 SinGAN samples per image at 100%.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from gallery import Page
from instant import IMAGES, resized

from singan_core.checkpoint import load_checkpoint
from singan_core.imageio import load_image, prepare_training_image
from singan_core.instant import variation
from singan_core.metrics.diversity import diversity
from singan_core.metrics.sifid import sifid_many
from singan_core.metrics.weights import load_inception
from singan_core.tasks.sample import generate

REPO = Path(__file__).resolve().parents[1]
SHOWN = 4


def train_times(models: Path) -> dict[str, float]:
    path = models / "train_times.txt"
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = float(parts[1])
    return out


def compare(
    stem: str, model_path: Path, args: argparse.Namespace, page: Page, inception, times: dict
) -> dict:
    source = next(p for p in IMAGES.iterdir() if p.stem == stem)
    model = load_checkpoint(model_path)
    longest = max(model.image.shape[:2])
    real = resized(prepare_training_image(load_image(source)), longest)
    t0 = time.perf_counter()
    instant = [variation(real, seed=seed) for seed in range(args.n)]
    instant_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    singan = generate(model, n=args.n, seed=0)
    sample_s = time.perf_counter() - t0
    row = {"image": f"{stem} {real.shape[1]}x{real.shape[0]}", "n": args.n}
    for name, fakes in (("instant", instant), ("singan", singan)):
        fakes = [f[:, :, : real.shape[2]] for f in fakes]
        same = [f if f.shape == real.shape else resized(f, longest) for f in fakes]
        s = sifid_many(real, same, stem=inception)
        row[f"{name}_sifid"] = round(float(np.mean(s.values)), 3)
        row[f"{name}_sifid_sd"] = round(float(np.std(s.values)), 3)
        row[f"{name}_diversity"] = round(diversity(same, real), 3)
    row["instant_s"] = round(instant_s, 1)
    row["instant_s_each"] = round(instant_s / args.n, 2)
    row["singan_sample_s"] = round(sample_s, 1)
    row["singan_train_s"] = round(times.get(stem, float("nan")), 0)
    row["singan_total_s"] = round(row["singan_train_s"] + sample_s, 0)
    items = [(page.image(real, f"{stem}_input.png"), f"{stem}: input ({real.shape[1]}x{real.shape[0]})")]
    items += [
        (page.image(instant[i], f"{stem}_instant{i}.png"), f"instant, seed {i}")
        for i in range(min(SHOWN, args.n))
    ]
    items += [
        (page.image(singan[i], f"{stem}_singan{i}.png"), f"SinGAN fast, sample {i}")
        for i in range(min(SHOWN, args.n))
    ]
    note = (
        f"instant: SIFID {row['instant_sifid']}, diversity {row['instant_diversity']}, {row['instant_s']} s for "
        f"{args.n}; SinGAN fast: SIFID {row['singan_sifid']}, diversity {row['singan_diversity']}, "
        f"{row['singan_train_s']:.0f} s training + {row['singan_sample_s']} s for {args.n}"
    )
    page.section(stem, note, items)
    print(json.dumps(row), flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=Path, required=True, help="folder of <stem>.fast.singan files")
    p.add_argument("--out", type=Path, default=REPO / "out" / "instant_vs")
    p.add_argument("--n", type=int, default=50)
    args = p.parse_args(argv)
    models = sorted(args.models.glob("*.fast.singan"))
    if not models or not IMAGES.is_dir():
        print(f"instant_vs_singan.py: no models in {args.models} or no {IMAGES}", file=sys.stderr)
        return 2
    page = Page(args.out, "Instant variations vs SinGAN fast (250 px, 100%)")
    inception, times = load_inception(), train_times(args.models)
    rows = [compare(m.name.split(".")[0], m, args, page, inception, times) for m in models]
    (args.out / "compare.json").write_text(json.dumps(rows, indent=2) + "\n")
    page.write("bench/instant_vs_singan.py")
    print("\n| image | way | SIFID (mean +- sd) | diversity | wall time for n (training included) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['image']} | instant | {r['instant_sifid']} +- {r['instant_sifid_sd']} | "
              f"{r['instant_diversity']} | {r['instant_s']} s ({r['instant_s_each']} s each) |")  # fmt: skip
        print(f"| | SinGAN fast | {r['singan_sifid']} +- {r['singan_sifid_sd']} | {r['singan_diversity']} | "
              f"{r['singan_total_s']:.0f} s ({r['singan_train_s']:.0f} s training) |")  # fmt: skip
    print(f"\n{args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
