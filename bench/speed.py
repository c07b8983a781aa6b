"""Training speed benchmark: one Markdown table, every row measured in this one run (not a test).

Timing rows: seconds per iteration at the coarsest, middle and finest scale of a preset on a 250 px
shared image, measured over ``--iters`` iterations per scale with untrained (randomly initialised)
coarser scales (the cost of an iteration does not depend on the weights); the frozen-pyramid bank is
charged at its refresh rate. The total for all scales x iterations is EXTRAPOLATED from those three
scales by each scale's cost (H * W * channels^2). Quality rows: a full training, its measured total
time, and SIFID (mean over samples from the coarsest scale) and diversity of ``--samples`` samples.
Each row runs in its own process, so "peak RSS" is that row's peak resident memory.

    python bench/speed.py                      # all rows, about 20-30 minutes on a loaded 2-core CPU
    python bench/speed.py --rows timing --iters 2
    python bench/speed.py --rows quality --quality fast,consingan
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = REPO.parent / "shared" / "data" / "singan-inputs" / "Images" / "colusseum.png"

# (label, preset, overrides): each row adds one change to the row before it ("before/after").
TIMING_ROWS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "paper: per-step regeneration + rec recomputed, all cores (before)",
        "paper",
        {"train.prev_bank_size": 0, "train.rec_cache": False, "train.threads": -1},
    ),
    ("paper: + frozen-pyramid bank + cached rec input", "paper", {"train.threads": -1}),
    ("paper: + thread tuning (default)", "paper", {}),
    ("paper: + channels_last", "paper", {"train.channels_last": True}),
    ("paper: + bf16 autocast (AMX)", "paper", {"train.autocast_bf16": True}),
    ("fast (before: fp32, 400 iterations)", "fast-old", {}),
    ("fast (bf16 autocast, 300 iterations)", "fast-300", {}),
    ("fast (now: + 6 scales, 200 iterations)", "fast", {}),
    ("consingan (fast schedule candidate)", "consingan", {}),
]

# Candidate presets measured here before any is adopted in config.py.
CANDIDATES: dict[str, dict[str, Any]] = {
    "consingan": {
        "pyramid.max_size": 160,
        "pyramid.scale_factor": 0.7,
        "network.num_layers": 3,
        "network.base_channels": 64,
        "network.max_channels": 64,
        "train.iterations": 400,
        "train.lr_decay_iteration": 320,
        "train.concurrent_stages": 3,
        "train.stage_lr_scale": 0.1,
        "train.prev_bank_size": 16,
        "train.prev_bank_refresh": 25,
    },
    "fast-old": {
        "pyramid.scale_factor": 0.75,
        "train.autocast_bf16": False,
        "train.iterations": 400,
        "train.lr_decay_iteration": 320,
    },
    "fast-300": {"pyramid.scale_factor": 0.75, "train.iterations": 300, "train.lr_decay_iteration": 240},
    "fast+earlystop": {"train.early_stop": True, "train.early_stop_window": 50},
    "paper-short": {"train.iterations": 600, "train.lr_decay_iteration": 480},
}


def resolve(preset: str, overrides: dict[str, Any]):
    from singan_core.config import get_preset, with_overrides

    if preset in CANDIDATES:
        base = "fast" if preset.startswith("fast") else "paper"
        cfg = with_overrides(get_preset(base), CANDIDATES[preset])
        cfg = dataclasses.replace(cfg, preset=preset)
    else:
        cfg = get_preset(preset)
    threads = overrides.pop("train.threads", None)
    cfg = with_overrides(cfg, overrides) if overrides else cfg
    if threads == -1:  # torch's default: every core, no tuning
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, threads=os.cpu_count() or 1))
    return cfg


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cost(shape: tuple[int, int], ch: int) -> float:
    return shape[0] * shape[1] * ch * ch


def _chosen_threads(model, cfg, reals, scale: int) -> int:
    """Run the thread tuner's probe (5 iterations) at ``scale`` and return the count it keeps."""
    from singan_core.acceleration import ThreadTuner
    from singan_core.train import _Timer, _train_scale

    tuner = ThreadTuner(0, model.device)
    model.config = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, iterations=5))
    _train_scale(model, scale, reals[scale], _Timer(model, scale), None, None, tuner)
    model.generators, model.noise_amps = model.generators[:scale], model.noise_amps[:scale]
    tuner.close()
    return tuner.chosen


def timing_row(image: np.ndarray, preset: str, overrides: dict[str, Any], iters: int) -> dict[str, Any]:
    import torch

    from singan_core.acceleration import ThreadTuner
    from singan_core.config import channels_at
    from singan_core.networks import init_weights
    from singan_core.stages import PrevSource
    from singan_core.train import _Timer, _train_scale, new_model

    cfg = resolve(preset, dict(overrides))
    dev = torch.device("cpu")
    model, reals = new_model(image, cfg, dev)
    n = model.num_scales
    gens, amps = [], []
    for s in range(n - 1):  # untrained coarser scales: the cost per iteration does not depend on weights
        g = model.new_generator(s)
        init_weights(g)
        gens.append(g.eval().requires_grad_(False))
        amps.append(1.0 if s == 0 else 0.1)
    measured: dict[int, float] = {}
    threads_used: dict[int, int] = {}
    for scale in (0, n // 2, n - 1):
        model.generators = torch.nn.ModuleList(gens[:scale])
        model.noise_amps = amps[:scale]
        run_cfg = cfg
        if cfg.train.threads == 0:  # probe at the coarsest and middle scale; the finest reuses the middle's
            chosen = _chosen_threads(model, cfg, reals, scale) if scale < n - 1 else threads_used[n // 2]
            run_cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, threads=chosen))
        threads_used[scale] = run_cfg.train.threads
        times = {}
        for k in (0, iters):
            model.generators = torch.nn.ModuleList(gens[:scale])
            model.noise_amps = amps[:scale]
            model.config = dataclasses.replace(
                run_cfg, train=dataclasses.replace(run_cfg.train, iterations=k)
            )
            tuner = ThreadTuner(run_cfg.train.threads, dev)
            t0 = time.perf_counter()
            _train_scale(model, scale, reals[scale], _Timer(model, scale), None, None, tuner)
            times[k] = time.perf_counter() - t0
            tuner.close()
        bank = 0.0
        t = run_cfg.train
        if t.prev_bank_size > 0:
            model.generators = torch.nn.ModuleList(gens[:scale])
            model.noise_amps = amps[:scale]
            first = max(scale - t.concurrent_stages + 1, 0)
            src = PrevSource(model, first, torch.Generator().manual_seed(0), torch.Generator().manual_seed(1))
            torch.set_num_threads(max(t.threads, 1))
            t0 = time.perf_counter()
            src.start_iteration(0)
            bank = time.perf_counter() - t0
        per_it = max(times[iters] - times[0] - bank, 0.0) / iters + bank / t.prev_bank_refresh
        measured[scale] = per_it
    # extrapolate every scale from the nearest measured ones, by cost H*W*ch^2 (log-linear)
    pts = sorted(
        (np.log(_cost(model.shapes[s], channels_at(cfg.network, s))), np.log(v)) for s, v in measured.items()
    )
    xs, ys = zip(*pts, strict=True)
    total = 0.0
    for s in range(n):
        c = np.log(_cost(model.shapes[s], channels_at(cfg.network, s)))
        total += float(np.exp(np.interp(c, xs, ys))) * cfg.train.iterations
    return {
        "scales": n,
        "finest": model.shapes[-1],
        "per_it": [measured[0], measured[n // 2], measured[n - 1]],
        "threads": [threads_used[0], threads_used[n // 2], threads_used[n - 1]],
        "total_s": total,
        "total_kind": "extrapolated",
        "rss": _peak_rss_mib(),
    }


def quality_row(image: np.ndarray, preset: str, overrides: dict[str, Any], samples: int) -> dict[str, Any]:
    from singan_core.metrics.diversity import diversity
    from singan_core.metrics.sifid import sifid_many
    from singan_core.tasks.sample import generate
    from singan_core.train import TrainProgress, train

    cfg = resolve(preset, dict(overrides))
    stops: list[int] = []

    def progress(p: TrainProgress) -> None:
        if p.scale_done:
            stops.append(p.iteration)

    t0 = time.perf_counter()
    model = train(image, cfg, device="cpu", progress=progress)
    total = time.perf_counter() - t0
    fakes = generate(model, n=samples, seed=1)
    result = sifid_many(model.image, fakes)
    return {
        "scales": model.num_scales,
        "finest": model.shapes[-1],
        "per_it": [
            t / max(i, 1)
            for t, i in ((model.train_seconds[s], stops[s]) for s in (0, model.num_scales // 2, -1))
        ],
        "threads": None,
        "total_s": total,
        "total_kind": "measured",
        "rss": _peak_rss_mib(),
        "sifid": result.mean,
        "sifid_std": result.std,
        "pretrained": result.pretrained,
        "diversity": diversity(fakes, model.image),
        "iterations": stops,
    }


def _run_in_child(fn, *args) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(fn, args)


def _fmt_s(s: float) -> str:
    return f"{s:.3f}" if s < 10 else f"{s:.1f}"


def _fmt_total(s: float) -> str:
    return f"{s / 60:.1f} min" if s < 5400 else f"{s / 3600:.1f} h"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", default=str(DEFAULT_IMAGE), help="training image (default: colusseum 250x188)")
    ap.add_argument("--rows", default="timing,quality", help="timing, quality or both (comma separated)")
    ap.add_argument("--iters", type=int, default=2, help="iterations timed per scale in timing rows")
    ap.add_argument("--timing", default="", help="comma separated timing row numbers (default all)")
    ap.add_argument("--quality", default="fast,consingan", help="presets/candidates trained in full")
    ap.add_argument("--samples", type=int, default=8, help="samples for SIFID and diversity")
    ap.add_argument(
        "--quality-max-size",
        type=int,
        help="train the quality rows at this max size (a reduced-size comparison; timing rows unchanged)",
    )
    args = ap.parse_args(argv)

    from singan_core.imageio import load_image, prepare_training_image

    image = prepare_training_image(load_image(args.image))
    load = os.getloadavg()
    print(
        f"image {Path(args.image).name} {image.shape[1]}x{image.shape[0]}, {os.cpu_count()} cores, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start",
        file=sys.stderr,
    )
    rows: list[tuple[str, dict[str, Any]]] = []
    t_start = time.perf_counter()
    if "timing" in args.rows:
        pick = {int(x) for x in args.timing.split(",") if x} or set(range(len(TIMING_ROWS)))
        for i, (label, preset, overrides) in enumerate(TIMING_ROWS):
            if i in pick:
                r = _run_in_child(timing_row, image, preset, overrides, args.iters)
                print(f"  {label}: {r}", file=sys.stderr, flush=True)
                rows.append((label, r))
    if "quality" in args.rows:
        for preset in [p for p in args.quality.split(",") if p]:
            over = {"pyramid.max_size": args.quality_max_size} if args.quality_max_size else {}
            r = _run_in_child(quality_row, image, preset, over, args.samples)
            print(f"  {preset} (trained): {r}", file=sys.stderr, flush=True)
            size = f" at max size {args.quality_max_size}" if args.quality_max_size else ""
            rows.append((f"{preset}: full training{size}", r))
    base = rows[0][1]["per_it"] if rows else None
    load = os.getloadavg()
    print(
        f"\nMeasured in one run of {(time.perf_counter() - t_start) / 60:.1f} min; load average at end "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores. Speed-up = first row's "
        "s/it over this row's, at the same scale index (only meaningful between rows of one preset).\n"
    )
    print(
        "| row | scales (finest HxW) | s/it coarsest | s/it middle | s/it finest | speed-up c/m/f | "
        "threads c/m/f | total | peak RSS | SIFID | diversity |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, r in rows:
        ups = "/".join(f"{b / v:.2f}" for b, v in zip(base, r["per_it"], strict=True)) if base else ""
        thr = "/".join(str(t) for t in r["threads"]) if r["threads"] else "auto"
        sifid = f"{r['sifid']:.3f} ± {r['sifid_std']:.3f}" if "sifid" in r else "-"
        if "sifid" in r and not r["pretrained"]:
            sifid += " (random stem!)"
        div = f"{r['diversity']:.3f}" if "diversity" in r else "-"
        print(
            f"| {label} | {r['scales']} ({r['finest'][0]}x{r['finest'][1]}) | {_fmt_s(r['per_it'][0])} | "
            f"{_fmt_s(r['per_it'][1])} | {_fmt_s(r['per_it'][2])} | {ups} | {thr} | "
            f"{_fmt_total(r['total_s'])} {r['total_kind']} | {r['rss']:.0f} MiB | {sifid} | {div} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
