"""The instant (training-free) engine: quality at 250 px, speed and detail at 2048x1536, and a gallery.

    python bench/instant.py --out out/instant                 # everything (about 15-25 min on 2 cores)
    python bench/instant.py --out out/instant --n 10 --skip-big   # a quick look at the 250 px part

(a) On the paper's inputs (shared's singan-inputs/Images, longer side resized to 250 px as the paper's
    training): --n variations per image (seeds 0..n-1): SIFID against the input (FID Inception weights,
    see README "Quality metrics"), diversity, and seconds per variation.
(b) At 2048x1536 (shared's wild_bush.jpg and bench/photos/*.jpg, scaled and centre-cropped to
    2048x1536): a 400x400 fill in the middle and a variation; seconds (wall, and the process's CPU seconds
    with the load average: the machine is shared), peak memory, sharpness (mean
    |Laplacian| in the changed region / the same in a ring 24-96 px around it; a variation: of the
    output / of the input) and seam (mean |gradient| within 3 px of the mask's border / in a ring 8-24 px
    outside it).
(c) OUT/index.html: inputs and variations at 100%, and 512 px 100% crops of the big fills/variations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
from gallery import Page
from native_resolution import gradient, laplacian, measured, within
from PIL import Image

from singan_core.imageio import load_image, prepare_training_image
from singan_core.instant import fill, variation
from singan_core.metrics.diversity import diversity
from singan_core.metrics.sifid import sifid_many
from singan_core.metrics.weights import load_inception

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO.parent / "shared" / "data" / "singan-inputs" / "Images"
PHOTOS = [IMAGES / "wild_bush.jpg", *sorted((REPO / "bench" / "photos").glob("*.jpg"))]
SKIP = {"33039_LR", "wild_bush"}  # the SR input; the 2048 px photo is part (b)
BIG = (1536, 2048)
HOLE = 400
CROP = 512


def resized(img: np.ndarray, longest: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = longest / max(h, w)
    if s >= 1:
        return img
    mode = {1: "L", 3: "RGB", 4: "RGBA", 2: "LA"}[img.shape[2]]
    im = Image.fromarray(img[:, :, 0] if img.shape[2] == 1 else img, mode)
    out = np.asarray(im.resize((round(w * s), round(h * s)), Image.BICUBIC))
    return out[:, :, None] if out.ndim == 2 else out


def big_photo(path: Path) -> np.ndarray:
    """Scaled to cover 2048x1536 and centre-cropped to it."""
    img = prepare_training_image(load_image(path))[:, :, :3]
    h, w = img.shape[:2]
    s = max(BIG[1] / w, BIG[0] / h)
    if abs(s - 1) > 1e-6:
        img = np.asarray(Image.fromarray(img).resize((round(w * s), round(h * s)), Image.LANCZOS))
    h, w = img.shape[:2]
    t, left = (h - BIG[0]) // 2, (w - BIG[1]) // 2
    return np.ascontiguousarray(img[t : t + BIG[0], left : left + BIG[1]])


def part_a(args: argparse.Namespace, page: Page) -> list[dict]:
    stem = load_inception()
    rows = []
    for path in sorted(p for p in IMAGES.iterdir() if p.suffix in {".png", ".jpg"} and p.stem not in SKIP):
        real = resized(prepare_training_image(load_image(path)), 250)
        fakes, secs, cpu = [], [], []
        for seed in range(args.n):
            t0, c0 = time.perf_counter(), time.process_time()
            fakes.append(variation(real, seed=seed))
            secs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        wide = variation(real, size=(real.shape[0], real.shape[1] * 2), seed=0)
        s = sifid_many(real, fakes, stem=stem)
        row = {
            "image": f"{path.stem} {real.shape[1]}x{real.shape[0]}",
            "sifid": round(float(np.mean(s.values)), 3),
            "sifid_sd": round(float(np.std(s.values)), 3),
            "diversity": round(diversity(fakes, real), 3),
            "s_per_variation": round(float(np.median(secs)), 2),
            "cpu_s": round(float(np.median(cpu)), 2),
            "load": round(os.getloadavg()[0], 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        items = [(page.image(real, f"{path.stem}_input.png"), f"{path.stem} (input)")]
        items += [(page.image(fakes[i], f"{path.stem}_v{i}.png"), f"instant, seed {i}") for i in range(3)]
        items.append((page.image(wide, f"{path.stem}_wide.png"), "instant, twice as wide (seed 0)"))
        page.section(path.stem, f"SIFID {row['sifid']}, diversity {row['diversity']}", items)
    return rows


def ratio_metrics(before: np.ndarray, after: np.ndarray, hole: np.ndarray | None) -> dict[str, float]:
    lap = laplacian(after)
    if hole is None:
        return {"sharp": round(float(lap.mean() / laplacian(before).mean()), 3), "seam": None}
    ring = within(hole, 96) & ~within(hole, 24)
    band = within(hole, 3) & within(~hole, 3)
    outside = within(hole, 24) & ~within(hole, 8)
    grad = gradient(after)
    return {
        "sharp": round(float(lap[hole].mean() / lap[ring].mean()), 3),
        "seam": round(float(grad[band].mean() / grad[outside].mean()), 3),
    }


def part_b(args: argparse.Namespace, page: Page) -> list[dict]:
    rows = []
    for path in PHOTOS:
        photo = big_photo(path)
        hole = np.zeros(BIG, bool)
        t, left = (BIG[0] - HOLE) // 2, (BIG[1] - HOLE) // 2
        hole[t : t + HOLE, left : left + HOLE] = True
        box = (slice(t - 56, t - 56 + CROP), slice(left - 56, left - 56 + CROP))
        items = [(page.image(photo[box], f"{path.stem}_big_input.png"), f"{path.stem}: input, 100% crop")]
        for task in ("fill", "variation"):
            c0 = time.process_time()
            if task == "fill":
                out, secs, mib = measured(fill, photo, hole.astype(np.uint8) * 255, seed=0)
            else:
                out, secs, mib = measured(variation, photo, seed=0)
            row = {"photo": path.stem, "task": task, "s": round(secs, 1), "peak_mib_above": round(mib)}
            row.update(cpu_s=round(time.process_time() - c0, 1), load=round(os.getloadavg()[0], 1))
            row.update(ratio_metrics(photo, out, hole if task == "fill" else None))
            row["process_peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            rows.append(row)
            print(json.dumps(row), flush=True)
            caption = f"instant {task}: {row['s']} s, sharp {row['sharp']}, seam {row['seam']}"
            items.append((page.image(out[box], f"{path.stem}_big_{task}.png"), caption))
        page.section(f"{path.stem} at 2048x1536", "512 px crops at 100%; the fill's hole is 400x400", items)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "out" / "instant")
    p.add_argument("--n", type=int, default=50, help="variations per image in part (a) (default 50)")
    p.add_argument("--skip-small", action="store_true")
    p.add_argument("--skip-big", action="store_true")
    args = p.parse_args(argv)
    if not IMAGES.is_dir():
        print(
            f"bench/instant.py: {IMAGES} not found (the development workspace's shared data)", file=sys.stderr
        )
        return 2
    page = Page(args.out, "Instant engine (training-free, GPNN-style)")
    small = [] if args.skip_small else part_a(args, page)
    big = [] if args.skip_big else part_b(args, page)
    (args.out / "results.json").write_text(json.dumps({"small": small, "big": big}, indent=2) + "\n")
    machine = f"{platform.processor() or platform.machine()}, torch {torch.__version__}"
    page.write(f"bench/instant.py on {machine}")
    if small:
        print(
            "\n| image | SIFID (mean +- sd) | diversity | s / variation | CPU s | load |\n|---|---|---|---|---|---|"
        )
        for r in small:
            print(
                f"| {r['image']} | {r['sifid']} +- {r['sifid_sd']} | {r['diversity']} | {r['s_per_variation']} "
                f"| {r['cpu_s']} | {r['load']} |"
            )
        keys = ("sifid", "diversity", "s_per_variation", "cpu_s")
        mean = {k: round(float(np.mean([r[k] for r in small])), 3) for k in keys}
        print(
            f"| **mean** | {mean['sifid']} | {mean['diversity']} | {mean['s_per_variation']} | {mean['cpu_s']} | |"
        )
    if big:
        print(
            "\n| photo 2048x1536 | task | s | CPU s | load | peak MiB above | process peak MiB | sharp | seam |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for r in big:
            print(
                f"| {r['photo']} | {r['task']} | {r['s']} | {r['cpu_s']} | {r['load']} | {r['peak_mib_above']} "
                f"| {r['process_peak_mib']} | {r['sharp']} | {r['seam'] if r['seam'] is not None else '-'} |"
            )
    print(f"\n{args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
