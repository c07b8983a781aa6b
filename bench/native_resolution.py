"""Results at the document's resolution: today's path (work at the model's size, resize back) against
the native one (singan_core.tasks.native / upscale), on sharp photos of >= 2000 px.

    python bench/native_resolution.py --out out/native_resolution --iterations 40
    python bench/native_resolution.py --out out/native_resolution --big     # + an 8000x8000 harmonize

Photos: bench/photos/*.jpg (three CC-BY-4.0 photos, 2400 px; see bench/photos/README.md) and shared's
wild_bush.jpg (2048x1536). One model per photo (preset fast, 160 px, with --iterations; kept in
OUT/models/ and reused). Per photo three tasks, each in a region of the photo:
- harmonize: an ellipse cut from the next photo, pasted; rows ``today`` (resolution=model),
  ``delta``, ``bands`` and ``ladder`` (resolution=native with that method);
- edit: a rectangle of the photo copied elsewhere in it; same rows;
- paint: an ellipse painted crudely in two flat colours; paint-to-image, the result blended into the
  photo inside the painted ellipse (as a host does with a selection); rows ``today`` (resized),
  ``ladder`` (through the finest generator) and ``detail`` (the paint's own textured pixels' detail,
  singan_core.tasks.detail; the default);
- generate: a sample placed at the photo's size (generate_at_size); rows ``today`` (resized),
  ``ladder`` and ``detail`` (the photo, i.e. the trained region at document resolution, as exemplar).
``--rows`` picks the rows (default: all), e.g. ``--rows today,delta,paint:ladder,generate:ladder,detail``.

Measures, in the mask (binary) and around it:
- sharp: mean |Laplacian| of the result inside / the same in the input there (harmonize, edit) or in
  a ring 24-96 px outside the blend (paint) or in the whole photo (generate); goal >= 0.8;
  sharp_photo (paint): the same ratio for the photo itself before painting (what the scene has there:
  sky or haze in the mask against rock in the ring reads well below 0.8 in the photo too);
- seam: mean |gradient| in the blend's outer half (0 < weight <= 0.5) / in a ring just outside it
  (0-24 px beyond the weight's support); goal <= 1.2 (generate: none);
- niqe: NIQE of a 512x512 100% crop centred on the mask / NIQE of the photo's same crop; goal 0.9-1.1;
  niqe_in: the same / NIQE of the input's crop (harmonize: the composite with the pasted object);
- time (s) and peak memory (MiB above the process's level before the call, RSS sampled every 5 ms).
Writes OUT/index.html (before / today / new 100% crops), OUT/results.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from gallery import Page, base_config, get_model, log

from singan_core.device import resolve_device
from singan_core.imageio import load_image
from singan_core.metrics.niqe import niqe
from singan_core.tasks import inject, masks, native, upscale

REPO = Path(__file__).resolve().parents[1]
PHOTOS = sorted((REPO / "bench" / "photos").glob("*.jpg")) + [
    REPO.parent / "shared" / "data" / "singan-inputs" / "Images" / "wild_bush.jpg"
]
CROP = 512


# ---- measuring ---------------------------------------------------------------------------------------
def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measured(fn: Callable[..., Any], *args: Any, **kw: Any) -> tuple[Any, float, float]:
    """(result, seconds, peak MiB above the RSS before the call)."""
    base, peak, done = rss_mib(), [0.0], threading.Event()

    def watch() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], rss_mib())

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    secs = time.perf_counter() - t0
    done.set()
    t.join()
    return out, secs, max(peak[0], rss_mib()) - base


def grey(a: np.ndarray) -> np.ndarray:
    return a[:, :, :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def laplacian(a: np.ndarray) -> np.ndarray:
    g = grey(a)
    out = np.zeros_like(g)
    out[1:-1, 1:-1] = np.abs(4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:])
    return out


def gradient(a: np.ndarray) -> np.ndarray:
    g = grey(a)
    out = np.zeros_like(g)
    out[:-1, :-1] = np.hypot(g[1:, :-1] - g[:-1, :-1], g[:-1, 1:] - g[:-1, :-1])
    return out


def full(crop: native.Crop, shape: tuple[int, int]) -> np.ndarray:
    w = np.zeros(shape, np.float32)
    h, ww = crop.weight.shape
    w[crop.top : crop.top + h, crop.left : crop.left + ww] = crop.weight.numpy()
    return w


def within(mask: np.ndarray, px: int) -> np.ndarray:
    """Pixels within ``px`` (chessboard) of ``mask``, by a square dilation done in two 1-D passes."""
    out = mask.copy()
    for axis in (0, 1):
        acc = out.copy()
        for d in range(1, px + 1):
            acc |= np.roll(out, d, axis) | np.roll(out, -d, axis)
        out = acc
    return out


def crop_box(mask: np.ndarray) -> tuple[slice, slice]:
    ys, xs = np.nonzero(mask)
    cy, cx = int(ys.mean()), int(xs.mean())
    t = min(max(cy - CROP // 2, 0), mask.shape[0] - CROP)
    left = min(max(cx - CROP // 2, 0), mask.shape[1] - CROP)
    return slice(t, t + CROP), slice(left, left + CROP)


def metrics(
    task: str, photo: np.ndarray, before: np.ndarray, result: np.ndarray, mask: np.ndarray, weight: np.ndarray
) -> dict[str, float]:
    lap = laplacian(result)
    support = weight > 0
    if task == "generate":
        box = crop_box(mask)
        return {
            "sharp": round(float(lap.mean() / laplacian(photo).mean()), 3),
            "seam": None,
            "niqe": round(float(niqe(result[box]) / niqe(photo[box])), 3),
            "niqe_in": None,
            "sharp_photo": None,
        }
    sharp_photo = None
    if task == "paint":
        ring = within(support, 96) & ~within(support, 24)
        photo_lap = laplacian(photo)
        sharp = lap[mask].mean() / photo_lap[ring].mean()
        sharp_photo = round(float(photo_lap[mask].mean() / photo_lap[ring].mean()), 3)
    else:
        sharp = lap[mask].mean() / laplacian(before)[mask].mean()
    band = support & (weight <= 0.5)
    outside = within(support, 24) & ~support
    grad = gradient(result)
    seam = grad[band].mean() / grad[outside].mean()
    box = crop_box(mask)
    ours = niqe(result[box])
    return {
        "sharp": round(float(sharp), 3),
        "seam": round(float(seam), 3),
        "niqe": round(float(ours / niqe(photo[box])), 3),
        "niqe_in": None if task == "paint" else round(float(ours / niqe(before[box])), 3),
        "sharp_photo": sharp_photo,
    }


# ---- scenes ------------------------------------------------------------------------------------------
def ellipse(shape: tuple[int, int], cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


def scenes(photo: np.ndarray, other: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """task -> (input, mask): a pasted object, a copy-paste edit and a crude paint."""
    h, w = photo.shape[:2]
    out = {}
    # harmonize: an ellipse of ``other`` (its centre) pasted at (0.6 h, 0.35 w)
    ry, rx = int(0.11 * h), int(0.08 * w)
    m = ellipse((h, w), 0.6 * h, 0.35 * w, ry, rx)
    src = other[
        other.shape[0] // 2 - ry : other.shape[0] // 2 + ry + 1,
        other.shape[1] // 2 - rx : other.shape[1] // 2 + rx + 1,
    ]
    comp = photo.copy()
    ys, xs = np.nonzero(m)
    comp[ys, xs] = src[ys - ys.min(), xs - xs.min()][:, :3]
    out["harmonize"] = (comp, m)
    # edit: a 0.18 h x 0.16 w rectangle from (0.25 h, 0.6 w) copied to (0.55 h, 0.66 w)
    eh, ew = int(0.18 * h), int(0.16 * w)
    edit = photo.copy()
    t, left = int(0.55 * h), int(0.66 * w)
    edit[t : t + eh, left : left + ew] = photo[
        int(0.25 * h) : int(0.25 * h) + eh, int(0.6 * w) : int(0.6 * w) + ew
    ]
    m = np.zeros((h, w), bool)
    m[t : t + eh, left : left + ew] = True
    out["edit"] = (edit, m)
    # paint: an ellipse at (0.3 h, 0.2 w), its upper half and lower half flat in their mean colours
    m = ellipse((h, w), 0.3 * h, 0.2 * w, 0.1 * h, 0.08 * w)
    paint = photo.copy()
    upper = m & (np.arange(h)[:, None] < 0.3 * h)
    for part in (upper, m & ~upper):
        paint[part] = photo[part].mean(axis=0).round().astype(photo.dtype)
    out["paint"] = (paint, m)
    out["generate"] = (photo, np.ones((h, w), bool))
    return out


# ---- one run -----------------------------------------------------------------------------------------
def run_task(model: Any, task: str, path: str, image: np.ndarray, mask: np.ndarray, seed: int) -> np.ndarray:
    m8 = mask.astype(np.uint8) * 255
    if task in ("harmonize", "edit"):
        fn = getattr(inject, task)
        if path == "today":
            return fn(model, image, m8, seed=seed, resolution="model")
        return fn(model, image, m8, seed=seed, resolution="native", method=path)
    if task == "generate":
        up = {"today": "plain"}.get(path, path)
        return upscale.generate_at_size(model, image.shape[:2], seed=seed, upscaler=up, exemplar=image)[0]
    out = inject.paint_to_image(
        model,
        image,
        seed=seed,
        resolution="model" if path == "today" else "native",
        upscaler="auto" if path == "today" else path,
    )
    # the painted region only, blended in as a host does with a paint selection
    crop = native.full_weight(m8, mask.shape, masks.HARMONIZE_DILATION, masks.BLUR_SIGMA)
    return masks.blend(image, out, full(crop, mask.shape)[:, :, None])


ROWS = {
    "harmonize": ("today", "delta", "bands", "ladder"),
    "edit": ("today", "delta", "bands", "ladder"),
    "paint": ("today", "ladder", "detail"),
    "generate": ("today", "ladder", "detail"),
}
DILATION = {
    "harmonize": masks.HARMONIZE_DILATION,
    "edit": masks.EDIT_DILATION,
    "paint": masks.HARMONIZE_DILATION,
    "generate": 0,
}


def big_run(model: Any, photo: np.ndarray, side: int) -> dict[str, float]:
    """Harmonize on a ``side`` x ``side`` mosaic of the photo (mirrored tiles) with a 1500 px mask."""
    reps = (side // photo.shape[0] + 1, side // photo.shape[1] + 1)
    tile = np.concatenate([photo, photo[::-1]], axis=0)
    tile = np.concatenate([tile, tile[:, ::-1]], axis=1)
    img = np.ascontiguousarray(np.tile(tile, (reps[0] // 2 + 1, reps[1] // 2 + 1, 1))[:side, :side])
    mask = np.zeros((side, side), np.uint8)
    mask[side // 2 - 750 : side // 2 + 750, side // 2 - 750 : side // 2 + 750] = 255
    region, secs, mib = measured(
        lambda: inject.harmonize(model, img, mask, resolution="native", as_region=True)
    )
    return {
        "side": side,
        "seconds": round(secs, 1),
        "peak_mib": round(mib),
        "region": list(region.pixels.shape[:2]),
        "input_mib": round(img.nbytes / 2**20),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("out/native_resolution"))
    p.add_argument("--preset", default="fast")
    p.add_argument("--iterations", type=int, default=40, help="training iterations per scale (default 40)")
    p.add_argument("--max-size", type=int, help="model size (overrides the preset)")
    p.add_argument("--photos", type=int, default=len(PHOTOS), help="use the first N photos")
    p.add_argument("--tasks", default="harmonize,edit,paint,generate")
    p.add_argument("--rows", default="", help="paths (delta) or task:path (paint:ladder) to run; default all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--big", action="store_true", help="also harmonize an 8000x8000 mosaic (memory)")
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--reuse-models",
        action="store_true",
        help="use OUT/models/ as they are, even if trained with another config",
    )
    args = p.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    photos = [f for f in PHOTOS[: args.photos] if f.is_file()]
    if not photos:
        p.error("no photos found (bench/photos, ../shared/data)")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "models").mkdir(exist_ok=True)
    device, cfg = resolve_device(args.device), base_config(args)
    images = [load_image(f)[:, :, :3] for f in photos]
    page = Page(args.out, "Results at the document's resolution: 100% crops")
    rows: list[dict[str, Any]] = []
    timings: dict[str, float] = {}
    model = None
    for i, (f, photo) in enumerate(zip(photos, images, strict=True)):
        model = get_model(
            args.out / "models" / f"{f.stem}.singan", photo, cfg, device, timings, args.reuse_models
        )
        for task, (image, mask) in scenes(photo, images[(i + 1) % len(images)]).items():
            if task not in tasks:
                continue
            crop = native.full_weight(
                mask.astype(np.uint8) * 255, mask.shape, DILATION[task], masks.BLUR_SIGMA
            )
            weight = full(crop, mask.shape)
            box = crop_box(mask)
            items = [(page.image(image[box], f"{f.stem}_{task}_before.png"), f"{f.stem} {task}: before")]
            wanted = set(args.rows.split(",")) if args.rows else set()
            for path in [r for r in ROWS[task] if not wanted or {r, f"{task}:{r}"} & wanted]:
                out, secs, mib = measured(run_task, model, task, path, image, mask, args.seed)
                row = {
                    "photo": f.stem,
                    "size": f"{photo.shape[1]}x{photo.shape[0]}",
                    "task": task,
                    "path": path,
                }
                row.update(metrics(task, photo, image, out, mask, weight))
                row.update({"seconds": round(secs, 1), "peak_mib": round(mib)})
                rows.append(row)
                log(" ".join(f"{k}={v}" for k, v in row.items()))
                items.append(
                    (
                        page.image(out[box], f"{f.stem}_{task}_{path}.png"),
                        f"{path}: sharp {row['sharp']}, seam {row['seam']}, niqe x{row['niqe']}",
                    )
                )
            page.section(
                f"{f.stem} ({row['size']}): {task}",
                f"{CROP}x{CROP} crops at 100%, centred on the mask",
                items,
            )
    big = big_run(model, images[-1], 8000) if args.big and model is not None else None
    keys = (
        "photo",
        "size",
        "task",
        "path",
        "sharp",
        "sharp_photo",
        "seam",
        "niqe",
        "niqe_in",
        "seconds",
        "peak_mib",
    )
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(str(r[k]) for k in keys))
    if big:
        print(f"8000x8000 harmonize (native, region): {big}")
    (args.out / "results.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "big": big,
                "timings": timings,
                "options": {k: str(v) for k, v in vars(args).items()},
            },
            indent=1,
        )
    )
    page.write(f"preset {args.preset}, {args.iterations} iterations per scale; seed {args.seed}")
    log(f"wrote {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
