"""``singan train`` (make a model from one image), ``singan sample`` (random samples) and ``singan info``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from ..checkpoint import checkpoint_metadata, checkpoint_problems, load_checkpoint, save_checkpoint
from ..config import config_to_dict, get_preset, iteration_overrides, parse_overrides, with_overrides
from ..device import describe_device, resolve_device
from ..errors import ConfigError, TrainingCancelled
from ..fingerprint import model_id
from ..finite import summary
from ..imageio import DEFAULT_MAX_PIXELS, load_image, prepare_training_image, save_image
from ..pyramid import plan_pyramid
from ..tasks.sample import generate
from ..train import train
from .options import add_device_arg, add_preset_arg, add_size_args, add_variation_arg, output_size, write_json
from .progress import ProgressBar, format_seconds


def add_parsers(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("train", help="train a model on one image", description="Train a SinGAN on one image.")
    t.add_argument("image", help="training image: PNG, JPEG, WebP or TIFF; 8 or 16 bit; grey, RGB or RGBA")
    add_preset_arg(t, "fast: minutes on a CPU; paper: the paper's settings, hours on a CPU (default: fast)")
    t.add_argument("--out", help="model file to write (default: <image name>.<preset>.singan here)")
    t.add_argument("--max-size", type=int, help="longer side of the finest scale in px (paper: 250)")
    t.add_argument("--min-size", type=int, help="shorter side of the coarsest scale in px (paper: 25)")
    t.add_argument("--scale-factor", type=float, help="per-scale factor before recomputation (paper: 0.75)")
    t.add_argument(
        "--iterations",
        type=int,
        help="iterations at the finest scale (paper: 2000; coarser scales get up to "
        "train.coarse_iterations_factor times more)",
    )
    t.add_argument("--seed", type=int, help="training seed (default 0)")
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="any other config field, e.g. --set train.rec_weight=100 (repeatable)",
    )
    t.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="refuse larger input images")
    t.add_argument("--fresh", action="store_true", help="start over even if a partial model file exists")
    add_device_arg(t)
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("sample", help="write random samples from a model", description="Random samples.")
    s.add_argument("model", help="a .singan model file")
    s.add_argument("--n", type=int, default=8, help="number of samples (default 8)")
    s.add_argument("--seed", type=int, default=1, help="seed: the same seed gives the same samples")
    add_variation_arg(s)
    add_size_args(s)
    s.add_argument("--out", default="samples", help="output folder (default ./samples)")
    add_device_arg(s)
    s.set_defaults(func=cmd_sample)

    i = sub.add_parser("info", help="describe a model file")
    i.add_argument("model")
    i.add_argument("--json", action="store_true", help="print JSON")
    i.set_defaults(func=cmd_info)


def resolve_train_config(args: argparse.Namespace):
    cfg = get_preset(args.preset)
    overrides: dict[str, Any] = {}
    for flag, key in [
        ("max_size", "pyramid.max_size"),
        ("min_size", "pyramid.min_size"),
        ("scale_factor", "pyramid.scale_factor"),
        ("seed", "train.seed"),
    ]:
        if getattr(args, flag) is not None:
            overrides[key] = getattr(args, flag)
    if args.iterations is not None:
        overrides.update(iteration_overrides(args.iterations))
    overrides.update(parse_overrides(args.set))
    return with_overrides(cfg, overrides) if overrides else cfg


def cmd_train(args: argparse.Namespace) -> int:
    cfg = resolve_train_config(args)
    image = prepare_training_image(load_image(args.image), args.max_pixels)
    plan_pyramid(image.shape[0], image.shape[1], cfg.pyramid)  # refuse a too-small image up front
    out = Path(args.out) if args.out else Path(f"{Path(args.image).stem}.{cfg.preset}.singan")
    device = resolve_device(args.device)
    resume = None
    if out.exists() and not args.fresh:
        meta = checkpoint_metadata(out)
        if meta["model_id"] != model_id(image, cfg):
            raise ConfigError(f"{out} holds a model of another image or config; use --fresh or another --out")
        resume = load_checkpoint(out, device)
        if resume.is_complete:
            print(
                f"{out} is already fully trained ({resume.num_scales} scales); nothing to do", file=sys.stderr
            )
            return 0
        print(f"resuming {out}: {resume.num_trained} of {resume.num_scales} scales done", file=sys.stderr)
    write_json(
        out.with_name(out.name + ".config.json"), {"config": config_to_dict(cfg), "image": str(args.image)}
    )
    print(f"training on {describe_device(device)}, preset {cfg.preset}, writing {out}", file=sys.stderr)
    stop = {"flag": False}

    def on_signal(signum: int, frame: Any) -> None:
        if stop["flag"]:
            raise KeyboardInterrupt
        stop["flag"] = True
        print("\nstopping after the current iteration (Ctrl-C again to abort)...", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_signal)
    t0 = time.perf_counter()
    try:
        model = train(
            image,
            cfg,
            device=device,
            progress=ProgressBar(),
            should_stop=lambda: stop["flag"],
            on_scale_done=lambda m: save_checkpoint(m, out),
            resume=resume,
        )
    except TrainingCancelled as exc:
        m = exc.model
        print(
            f"interrupted: {m.num_trained} of {m.num_scales} scales saved in {out}; "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    print(
        f"trained {model.num_scales} scales in {format_seconds(time.perf_counter() - t0)}; model: {out}",
        file=sys.stderr,
    )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    model = load_checkpoint(args.model, resolve_device(args.device))
    size = output_size(args, model)
    images = generate(
        model,
        n=args.n,
        seed=args.seed,
        scale_h=args.scale_h,
        scale_v=args.scale_v,
        size=size,
        start_scale=args.start_scale,
        variation=args.variation,
    )
    out = Path(args.out)
    for k, img in enumerate(images):
        save_image(img, out / f"sample_{k:03d}.png")
    options = {k: v for k, v in vars(args).items() if k != "func"}
    write_json(out / "sample.json", {"options": options, "model_id": model.model_id})
    h, w = images[0].shape[:2]
    print(f"wrote {len(images)} samples ({w}x{h}) to {out}/", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    meta = checkpoint_metadata(args.model)
    problems = checkpoint_problems(args.model)  # non-zero exit status for a damaged model
    if args.json:
        print(json.dumps({**meta, "problems": problems}, indent=2, sort_keys=True))
        return 1 if problems else 0
    shapes = meta["shapes"]
    rows = [
        ("model id", meta["model_id"]),
        ("preset", meta["config"].get("preset")),
        ("scales", f"{meta['num_trained']} of {len(shapes)} trained"),
        ("sizes", " ".join(f"{w}x{h}" for h, w in shapes)),
        ("scale factor", f"{meta['scale_factor']:.4f}"),
        ("channels", f"{meta['channels']} ({meta['bit_depth']}-bit)"),
        ("noise amps", " ".join(f"{a:.4f}" for a in meta["noise_amps"])),
        ("train time", format_seconds(sum(meta.get("train_seconds", [])))),
        ("created", time.strftime("%Y-%m-%d %H:%M", time.localtime(meta.get("created", 0)))),
    ]
    rows.append(("check", f"DAMAGED, do not use: {summary(problems)}" if problems else "ok"))
    for k, v in rows:
        print(f"{k:>13}: {v}")
    return 1 if problems else 0
