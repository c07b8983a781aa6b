"""Gallery of the paper's applications on the paper's own inputs, as one HTML page of before/after images.

    python bench/gallery.py --out gallery/                        # preset fast
    python bench/gallery.py --out gallery/ --iterations 60        # a short CPU run (see below)
    python bench/gallery.py --preset paper --device cuda          # the paper's settings, on a GPU

Measured: ``--iterations 60 --fine-tune`` took 39 min on a 2-core CPU shared with other jobs (the
fast preset at 160 px then; most of it training the five models, 4.5 min the two fine-tunings). Models
are kept in ``OUT/models/`` and reused, so re-running with the same options only redoes inference.

Trains (or reuses, from ``OUT/models/``) five models on ``shared/data/singan-inputs`` and runs:
harmonization (starry_night_naive + mask on starry_night), editing (stone_edit + mask on stone),
paint-to-image (Paint/cows on Images/cows, plain and quantised), super-resolution x4 of 33039_LR (its
own SR model, next to bicubic) and an animation of balloons. Writes ``OUT/index.html``, every image as
PNG, the animation as GIF (and a strip of frames as PNG) and ``OUT/gallery.json`` with the timings.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from singan_core.checkpoint import checkpoint_metadata, load_checkpoint, save_checkpoint
from singan_core.config import PRESETS, SinGANConfig, get_preset, iteration_overrides, with_overrides
from singan_core.device import describe_device, resolve_device
from singan_core.fingerprint import model_id
from singan_core.imageio import load_image, load_mask, prepare_training_image, save_image, to_uint8
from singan_core.model import SinGANModel
from singan_core.pyramid import resize
from singan_core.tasks import inject
from singan_core.tasks.animate import animate
from singan_core.tasks.super_resolve import sr_config, super_resolve
from singan_core.tensors import to_array, to_tensor
from singan_core.train import TrainProgress, train

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "singan-inputs"
APPS = ("harmonize", "edit", "paint", "sr", "animate")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DATA, help=f"the SinGAN inputs folder (default {DATA})")
    p.add_argument("--out", type=Path, default=Path("gallery"), help="output folder (default ./gallery)")
    p.add_argument("--preset", default="fast", choices=sorted(PRESETS), help="training preset (default fast)")
    p.add_argument("--iterations", type=int, help="iterations per scale (overrides the preset; ~120 for CPU)")
    p.add_argument("--max-size", type=int, help="finest scale's longer side (overrides the preset)")
    p.add_argument("--apps", default=",".join(APPS), help=f"comma-separated subset of {','.join(APPS)}")
    p.add_argument("--fine-tune", action="store_true", help="also show harmonization with fine-tuning")
    p.add_argument("--frames", type=int, default=40, help="animation frames (default 40)")
    p.add_argument("--seed", type=int, default=0, help="noise seed of every application")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    args = p.parse_args(argv)
    args.apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    unknown = sorted(set(args.apps) - set(APPS))
    if unknown:
        p.error(f"unknown app(s) {', '.join(unknown)}; choose from {', '.join(APPS)}")
    if not args.data.is_dir():
        p.error(f"{args.data} not found (the shared SinGAN inputs)")
    return args


def base_config(args: argparse.Namespace) -> SinGANConfig:
    overrides: dict[str, Any] = {}
    if args.iterations is not None:
        overrides.update(iteration_overrides(args.iterations))
    if args.max_size is not None:
        overrides["pyramid.max_size"] = args.max_size
    cfg = get_preset(args.preset)
    return with_overrides(cfg, overrides) if overrides else cfg


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def get_model(
    path: Path,
    image: np.ndarray,
    cfg: SinGANConfig,
    device: Any,
    timings: dict[str, float],
    reuse_any: bool = False,
) -> SinGANModel:
    """Load ``path`` if it holds this image + config, fully trained; otherwise train (resuming) and save.
    ``reuse_any``: load a fully trained ``path`` whatever config trained it (to compare inference on the
    same models after a preset changed)."""
    resume = None
    if path.is_file() and reuse_any:
        found = load_checkpoint(path, device)
        if found.is_complete:
            log(f"reusing {path.name} as it is ({found.num_scales} scales; --reuse-models)")
            return found
    if path.is_file() and checkpoint_metadata(path)["model_id"] == model_id(image, cfg):
        resume = load_checkpoint(path, device)
        if resume.is_complete:
            log(f"reusing {path.name} ({resume.num_scales} scales)")
            return resume

    def progress(p: TrainProgress) -> None:
        if p.scale_done:
            log(
                f"  {path.stem}: scale {p.scale + 1}/{p.num_scales} done, {p.elapsed_s:.0f}s, ~{p.eta_s:.0f}s left"
            )

    t0 = time.perf_counter()
    model = train(image, cfg, device=device, progress=progress, resume=resume,
                  on_scale_done=lambda m: save_checkpoint(m, path))  # fmt: skip
    timings[f"train {path.stem}"] = round(time.perf_counter() - t0, 1)
    return model


class Page:
    """Rows of captioned images, written as PNG files next to one index.html."""

    def __init__(self, out: Path, title: str) -> None:
        self.out, self.title, self.sections = out, title, []

    def image(self, arr: np.ndarray, name: str) -> str:
        save_image(to_uint8(arr), self.out / name)
        return name

    def section(self, title: str, note: str, items: list[tuple[str, str]]) -> None:
        self.sections.append((title, note, items))

    def write(self, footer: str) -> Path:
        parts = [
            "<!doctype html><meta charset='utf-8'>",
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:sans-serif;margin:2em;background:#fafafa}figure{display:inline-block;"
            "margin:0 1em 1em 0;vertical-align:top}img{image-rendering:auto;max-width:520px;border:1px solid #ccc}"
            "figcaption{font-size:13px;max-width:520px}p{max-width:60em}</style>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        for title, note, items in self.sections:
            parts.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(note)}</p>")
            for src, caption in items:
                parts.append(
                    f"<figure><img src='{html.escape(src)}'><figcaption>{html.escape(caption)}</figcaption></figure>"
                )
        parts.append(f"<hr><p><small>{html.escape(footer)}</small></p>")
        path = self.out / "index.html"
        path.write_text("\n".join(parts) + "\n")
        return path


def timed(timings: dict[str, float], key: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    result = fn()
    timings[key] = round(time.perf_counter() - t0, 2)
    return result


def blend_app(page: Page, args, cfg, dev, timings, task: str) -> None:
    spec = {
        "harmonize": (
            "starry_night",
            "Harmonization/starry_night_naive.png",
            "Harmonization/starry_night_naive_mask.png",
        ),
        "edit": ("stone", "Editing/stone_edit.png", "Editing/stone_edit_mask.png"),
    }[task]
    image = prepare_training_image(load_image(args.data / "Images" / f"{spec[0]}.png"))
    model = get_model(args.out / "models" / f"{spec[0]}.singan", image, cfg, dev, timings)
    src, mask = load_image(args.data / spec[1]), load_mask(args.data / spec[2])
    fn = inject.harmonize if task == "harmonize" else inject.edit
    default = inject.default_injection_scale(model, task)
    items = [(page.image(image, f"{task}_train.png"), f"training image {spec[0]}"),
             (page.image(src, f"{task}_input.png"), f"input ({Path(spec[1]).name})"),
             (page.image(mask, f"{task}_mask.png"), "mask")]  # fmt: skip
    for n in sorted({max(1, default - 1), default, min(model.num_trained - 1, default + 1)}):
        out = timed(
            timings, f"{task} n={n}", lambda n=n: fn(model, src, mask, injection_scale=n, seed=args.seed)
        )
        tag = " (default)" if n == default else ""
        items.append((page.image(out, f"{task}_n{n}.png"), f"injection scale {n}{tag}"))
    if task == "harmonize" and args.fine_tune:
        out = timed(
            timings, "harmonize fine-tuned", lambda: fn(model, src, mask, seed=args.seed, fine_tune=True)
        )
        items.append(
            (page.image(out, "harmonize_finetuned.png"), f"scale {default}, finest 2 scales fine-tuned")
        )
    title = "Harmonization" if task == "harmonize" else "Editing"
    note = (f"{model.num_scales} scales {model.shapes[-1][1]}x{model.shapes[-1][0]}; injection scales count "
            "from the coarsest (1 = the paper's N-1). Outside the dilated, blurred mask the input is kept.")  # fmt: skip
    page.section(title, note, items)


def paint_app(page: Page, args, cfg, dev, timings) -> None:
    image = prepare_training_image(load_image(args.data / "Images" / "cows.png"))
    model = get_model(args.out / "models" / "cows.singan", image, cfg, dev, timings)
    paint = load_image(args.data / "Paint" / "cows.png")
    items = [(page.image(image, "paint_train.png"), "training image cows"),
             (page.image(paint, "paint_input.png"), "paint")]  # fmt: skip
    for n in (1, 2):
        out = timed(
            timings,
            f"paint n={n}",
            lambda n=n: inject.paint_to_image(model, paint, injection_scale=n, seed=args.seed),
        )
        items.append((page.image(out, f"paint_n{n}.png"), f"injection scale {n}"))
    q = inject.quantize_paint(model, paint, injection_scale=1)
    items.append(
        (page.image(q, "paint_quantised.png"), "paint mapped to the image's 5 k-means colours (scale 1)")
    )
    out = timed(timings, "paint quantised+tuned n=1",
                lambda: inject.paint_to_image(model, paint, injection_scale=1, quantize=True, seed=args.seed))  # fmt: skip
    items.append((page.image(out, "paint_quantised_n1.png"), "quantised + scale 1 fine-tuned"))
    page.section("Paint to image", f"{model.num_scales} scales; paint 300x200 (another aspect ratio).", items)


def sr_app(page: Page, args, cfg, dev, timings) -> None:
    lr = prepare_training_image(load_image(args.data / "Images" / "33039_LR.png"))
    scfg = with_overrides(sr_config(cfg, 4), {"pyramid.max_size": max(lr.shape[:2])})
    model = get_model(args.out / "models" / "33039_LR.sr4.singan", lr, scfg, dev, timings)
    out = timed(timings, "sr x4", lambda: super_resolve(model, lr, factor=4, seed=args.seed))
    h, w = lr.shape[:2]
    bicubic = to_array(resize(to_tensor(lr), (4 * h, 4 * w)).clamp(-1, 1))
    nearest = np.repeat(np.repeat(lr, 4, 0), 4, 1)
    items = [(page.image(nearest, "sr_input_nearest.png"), f"input {w}x{h}, shown x4 nearest"),
             (page.image(bicubic, "sr_bicubic.png"), "bicubic x4"),
             (page.image(out, "sr_x4.png"), f"SinGAN x4 ({out.shape[1]}x{out.shape[0]})")]  # fmt: skip
    page.section(
        "Super-resolution x4", f"SR model: {model.num_scales} scales, rec weight 100, min size 18.", items
    )


def animate_app(page: Page, args, cfg, dev, timings) -> None:
    image = prepare_training_image(load_image(args.data / "Images" / "balloons.png"))
    model = get_model(args.out / "models" / "balloons.singan", image, cfg, dev, timings)
    frames = timed(
        timings, "animate", lambda: list(animate(model, frames=args.frames, start_scale=1, seed=args.seed))
    )
    pics = [Image.fromarray(to_uint8(f)) for f in frames]
    pics[0].save(args.out / "animation.gif", save_all=True, append_images=pics[1:], duration=100, loop=0)
    picks = np.linspace(0, len(frames) - 1, 6).round().astype(int)
    strip = np.concatenate([frames[i] for i in picks], axis=1)
    steps = [float(np.abs(frames[i].astype(float) - frames[i + 1]).mean()) for i in range(len(frames) - 1)]
    items = [(page.image(image, "animate_train.png"), "training image balloons"),
             ("animation.gif", f"{len(frames)} frames, start scale 1, alpha 0.1, beta 0.9"),
             (page.image(strip, "animate_strip.png"), f"frames {', '.join(map(str, picks))}")]  # fmt: skip
    timings["animate mean |frame step| (0-255)"] = round(float(np.mean(steps)), 2)
    page.section("Animation", "A random walk in noise space from scale 1.", items)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_flush_denormal(True)  # denormal floats can slow CPU training down many times over
    cfg = base_config(args)
    dev = resolve_device(args.device)
    args.out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    page = Page(
        args.out, f"SinGAN Studio applications gallery (preset {cfg.preset}, {cfg.train.iterations} it/scale)"
    )
    log(f"device {describe_device(dev)}, preset {cfg.preset}, {cfg.train.iterations} iterations per scale")
    t0 = time.perf_counter()
    runners = {
        "harmonize": lambda: blend_app(page, args, cfg, dev, timings, "harmonize"),
        "edit": lambda: blend_app(page, args, cfg, dev, timings, "edit"),
        "paint": lambda: paint_app(page, args, cfg, dev, timings),
        "sr": lambda: sr_app(page, args, cfg, dev, timings),
        "animate": lambda: animate_app(page, args, cfg, dev, timings),
    }
    for app in args.apps:
        log(f"{app}...")
        runners[app]()
        page.write("(partial: still running)")
    total = time.perf_counter() - t0
    footer = f"{describe_device(dev)}; total {total / 60:.1f} min; timings (s): {json.dumps(timings)}"
    path = page.write(footer)
    (args.out / "gallery.json").write_text(json.dumps({"config": cfg.preset, "iterations": cfg.train.iterations,
                                                       "timings_s": timings, "total_s": round(total, 1)}, indent=2))  # fmt: skip
    log(f"wrote {path} in {total / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
