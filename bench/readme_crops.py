"""The README's before / today / new 100% crops, one strip per application, from the gallery that
``bench/native_resolution.py`` writes (its OUT folder): the centre ``--size`` px of each 512 px crop,
side by side, unscaled (100% zoom), as small PNGs under docs/native/.

Usage: python bench/readme_crops.py out/native_resolution --photo life [--out docs/native] [--size 200]
[--tasks paint,generate]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from singan_core.imageio import load_image, save_image

#: task -> the path shown as "new": the default method of each application
NEW = {"harmonize": "delta", "edit": "delta", "paint": "detail", "generate": "detail"}
GAP = 4


def centre(arr: np.ndarray, size: int) -> np.ndarray:
    h, w = arr.shape[:2]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return arr[top : top + size, left : left + size, :3]


def strip(gallery: Path, photo: str, task: str, size: int) -> np.ndarray:
    crops = [
        centre(load_image(gallery / f"{photo}_{task}_{path}.png"), size)
        for path in ("before", "today", NEW[task])
    ]
    h = max(c.shape[0] for c in crops)
    out = np.full((h, sum(c.shape[1] for c in crops) + GAP * (len(crops) - 1), 3), 255, np.uint8)
    x = 0
    for c in crops:
        out[: c.shape[0], x : x + c.shape[1]] = c
        x += c.shape[1] + GAP
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("gallery", type=Path, help="bench/native_resolution.py's --out folder")
    p.add_argument("--photo", default="life")
    p.add_argument("--out", type=Path, default=Path("docs/native"))
    p.add_argument("--size", type=int, default=200)
    p.add_argument("--tasks", default=",".join(NEW), help="the strips to write (default: all four)")
    args = p.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    if unknown := [t for t in tasks if t not in NEW]:
        p.error(f"unknown task(s) {', '.join(unknown)}: choose from {', '.join(NEW)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        path = args.out / f"{task}.png"
        save_image(strip(args.gallery, args.photo, task, args.size), path)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
