"""Training speed benchmark: one Markdown table, every number measured in this one run (not a test).

Each row is one configuration ("before/after" one change, or a preset). For each row, as asked:

* **timing** (250 px shared image, machine otherwise idle, one row at a time): seconds per iteration
  at the coarsest, middle and finest scale, measured over ``--iters`` iterations per scale with
  untrained coarser scales (an iteration's cost does not depend on the weights); the frozen-pyramid
  bank is charged at its refresh rate. The total over all scales x their iterations is EXTRAPOLATED
  from those three scales by each scale's cost (H * W * channels^2);
* **measured** (rows marked so): a real full training on the 250 px image, its wall time;
* **quality**: a full training at a reduced size (``--quality-max-size``, default 64 px: the paper
  preset needs hours at 250 px on a CPU) on ``--quality-images``, then SIFID (mean over
  ``--samples`` samples) from the coarsest scale (the paper's N) and from N-1, and diversity at N,
  averaged over the images. Quality trainings run ``--jobs`` at a time with one thread each.

Each measurement runs in its own process, so "peak memory" is that process's peak resident memory (on
``--device cuda``: the peak GPU memory allocated). On CUDA, timings synchronize the device before reading
the clock, and the rows marked GPU-only (CUDA graphs) run; elsewhere they are skipped and say so.

    python bench/speed.py                               # everything, about an hour on a 2-core CPU
    python bench/speed.py --rows 0,1,2 --no-quality     # a few timing rows
    python bench/speed.py --rows 6 --no-timing          # one row's quality only
    python bench/speed.py --device cuda                 # the same table on a GPU
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO.parent / "shared" / "data" / "singan-inputs" / "Images"
DEFAULT_IMAGE = IMAGES / "colusseum.png"
DEFAULT_QUALITY_IMAGES = "colusseum.png,balloons.png"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed_rows import ROWS, resolve  # noqa: E402 - beside this script, which is run as a file


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _peak_memory(dev) -> float:
    """MiB: the process's peak resident memory on a CPU, peak allocated GPU memory on CUDA."""
    import torch

    if dev.type == "cuda":
        return torch.cuda.max_memory_allocated(dev) / 2**20
    return _peak_rss_mib()


def _sync(dev) -> None:
    import torch

    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _cost(shape: tuple[int, int], ch: int) -> float:
    return shape[0] * shape[1] * ch * ch


def _chosen_threads(model, cfg, reals, scale: int) -> int:
    """Run the thread tuner's probe (5 iterations) at ``scale`` and return the count it keeps."""
    from singan_core.acceleration import ThreadTuner
    from singan_core.train import _Timer, _train_scale

    tuner = ThreadTuner(0, model.device)
    model.config = dataclasses.replace(
        cfg, train=dataclasses.replace(cfg.train, iterations=5, coarse_iterations_factor=1.0)
    )
    _train_scale(model, scale, reals[scale], _Timer(model, scale), None, None, tuner)
    model.generators, model.noise_amps = model.generators[:scale], model.noise_amps[:scale]
    tuner.close()
    return tuner.chosen


def timing_row(
    image: np.ndarray, preset: str, overrides: dict[str, Any], iters: int, device: str = "cpu"
) -> dict[str, Any]:
    import torch

    from singan_core.acceleration import ThreadTuner
    from singan_core.config import channels_at, first_trained_scale, iterations_at
    from singan_core.device import resolve_device
    from singan_core.networks import init_weights
    from singan_core.stages import PrevSource
    from singan_core.train import _Timer, _train_scale, new_model

    cfg = resolve(preset, overrides)
    dev = resolve_device(device)
    model, reals = new_model(image, cfg, dev)
    n = model.num_scales
    gens, amps = [], []
    for s in range(n - 1):  # untrained coarser scales: the cost per iteration does not depend on weights
        g = model.new_generator(s)
        init_weights(g)
        gens.append(g.to(dev).eval().requires_grad_(False))
        amps.append(1.0 if s == 0 else 0.1)
    measured: dict[int, float] = {}
    warmup: dict[int, float] = {}
    threads_used: dict[int, int] = {}
    for scale in (0, n // 2, n - 1):
        model.generators = torch.nn.ModuleList(gens[:scale])
        model.noise_amps = amps[:scale]
        run_cfg = cfg
        if (
            cfg.execution.threads == 0
        ):  # probe at the coarsest and middle scale; the finest reuses the middle's
            chosen = _chosen_threads(model, cfg, reals, scale) if scale < n - 1 else threads_used[n // 2]
            run_cfg = dataclasses.replace(cfg, execution=dataclasses.replace(cfg.execution, threads=chosen))
        threads_used[scale] = run_cfg.execution.threads
        times = {}
        # a discarded warm-up run (first-call kernel set-up), then 1 and 1 + iters iterations: their
        # difference excludes the per-scale set-up and each run's first iteration
        for k in (0, 1, 1 + iters):
            model.generators = torch.nn.ModuleList(gens[:scale])
            model.noise_amps = amps[:scale]
            model.config = dataclasses.replace(
                run_cfg,
                train=dataclasses.replace(run_cfg.train, iterations=max(k, 1), coarse_iterations_factor=1.0),
            )
            tuner = ThreadTuner(run_cfg.execution.threads, dev)
            _sync(dev)
            t0 = time.perf_counter()
            _train_scale(model, scale, reals[scale], _Timer(model, scale), None, None, tuner)
            _sync(dev)
            times[k] = time.perf_counter() - t0
            tuner.close()
        bank = 0.0
        t = run_cfg.train
        if t.prev_bank_size > 0:
            model.generators = torch.nn.ModuleList(gens[:scale])
            model.noise_amps = amps[:scale]
            first = first_trained_scale(t, scale)
            gen = torch.Generator(device=dev).manual_seed(0)
            src = PrevSource(model, first, gen, torch.Generator().manual_seed(1))
            torch.set_num_threads(max(run_cfg.execution.threads, 1))
            _sync(dev)
            t0 = time.perf_counter()
            src.start_iteration(0)
            _sync(dev)
            bank = time.perf_counter() - t0
        per_it = max(times[1 + iters] - times[1] - bank, 0.0) / iters + bank / t.prev_bank_refresh
        measured[scale] = per_it
        warmup[scale] = times[0] - times[1]  # compile and first-call set-up of the discarded warm-up run
    # extrapolate every scale from the nearest measured ones, by cost H*W*ch^2 (log-linear)
    pts = sorted(
        (np.log(_cost(model.shapes[s], channels_at(cfg.network, s))), np.log(v)) for s, v in measured.items()
    )
    xs, ys = zip(*pts, strict=True)
    total = 0.0
    for s in range(n):
        c = np.log(_cost(model.shapes[s], channels_at(cfg.network, s)))
        total += float(np.exp(np.interp(c, xs, ys))) * iterations_at(cfg.train, s, n)
    return {
        "scales": n,
        "finest": model.shapes[-1],
        "per_it": [measured[0], measured[n // 2], measured[n - 1]],
        "threads": [threads_used[0], threads_used[n // 2], threads_used[n - 1]],
        "total_s": total,
        "total_kind": "extrapolated",
        "warmup_s": [round(warmup[s], 1) for s in (0, n // 2, n - 1)],
        "rss": _peak_memory(dev),
    }


def _train_counted(image: np.ndarray, cfg, device: str = "cpu") -> tuple[Any, float, list[int]]:
    """``train()`` on ``device``: the model, its wall time and the iterations each scale ran."""
    from singan_core.device import resolve_device
    from singan_core.train import TrainProgress, train

    stops: list[int] = []

    def progress(p: TrainProgress) -> None:
        if p.scale_done:
            stops.append(p.iteration)

    dev = resolve_device(device)
    t0 = time.perf_counter()
    model = train(image, cfg, device=dev, progress=progress)
    _sync(dev)
    return model, time.perf_counter() - t0, stops


def measured_row(
    image: np.ndarray,
    preset: str,
    overrides: dict[str, Any],
    device: str = "cpu",
    out_dir: Path = REPO / "out" / "speed",
) -> dict[str, Any]:
    """A real full training at full size: wall time and the iterations each scale ran; four samples
    of the trained model are written to ``out_dir`` to look at."""
    from singan_core.imageio import save_image
    from singan_core.tasks.sample import generate

    model, total, stops = _train_counted(image, resolve(preset, overrides), device)
    out_dir.mkdir(parents=True, exist_ok=True)
    for k, sample in enumerate(generate(model, n=4, seed=1)):
        save_image(sample, out_dir / f"{preset}-sample{k}.png")
    return {
        "total_s": total,
        "iterations": stops,
        "rss": _peak_memory(model.device),
        "scales": model.num_scales,
    }


def quality_row(
    path: str, preset: str, overrides: dict[str, Any], max_size: int, samples: int, device: str = "cpu"
) -> dict[str, Any]:
    """Train at the reduced size with one thread, then SIFID (N and N-1) and diversity (N)."""
    from singan_core.imageio import load_image, prepare_training_image
    from singan_core.metrics.report import evaluate_model

    # quality trainings share the machine: one thread each
    cfg = resolve(preset, {**overrides, "exec.threads": 1, "pyramid.max_size": max_size})
    model, train_s, stops = _train_counted(prepare_training_image(load_image(path)), cfg, device)
    report = evaluate_model(model, n=samples, seed=1, with_niqe=False)
    by = {r.start_scale: r for r in report.scales}
    return {
        "image": Path(path).name,
        "train_s": train_s,
        "iterations": stops,
        "sifid_N": by[0].sifid_mean,
        "sifid_N1": by[1].sifid_mean if 1 in by else float("nan"),
        "diversity_N": by[0].diversity,
        "pretrained": report.pretrained,
    }


def _run_in_child(fn, *args) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(fn, args)


def _fmt_s(s: float) -> str:
    return f"{s:.3f}" if s < 10 else f"{s:.1f}"


def _fmt_total(s: float) -> str:
    return f"{s / 60:.1f} min" if s < 5400 else f"{s / 3600:.1f} h"


def _load() -> str:
    a, b, c = os.getloadavg()
    return f"load average {a:.1f} {b:.1f} {c:.1f} on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", default=str(DEFAULT_IMAGE), help="timing image (default: colusseum 250x188)")
    ap.add_argument("--rows", default="", help="comma separated row numbers (default all)")
    ap.add_argument("--iters", type=int, default=2, help="iterations timed per scale in timing rows")
    ap.add_argument("--no-timing", action="store_true", help="skip the per-iteration timings")
    ap.add_argument("--no-measured", action="store_true", help="skip the full-size trainings")
    ap.add_argument("--no-quality", action="store_true", help="skip the reduced-size quality trainings")
    ap.add_argument("--quality-max-size", type=int, default=64, help="reduced size for quality (px)")
    ap.add_argument("--quality-images", default=DEFAULT_QUALITY_IMAGES, help="comma separated shared images")
    ap.add_argument("--samples", type=int, default=50, help="samples per start scale for SIFID / diversity")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="quality trainings at a time")
    ap.add_argument(
        "--device", default="cpu", help="cpu (default), cuda or auto; GPU-only rows run only on cuda"
    )
    args = ap.parse_args(argv)

    from singan_core.device import describe_device, resolve_device
    from singan_core.errors import ConfigError
    from singan_core.imageio import load_image, prepare_training_image

    image = prepare_training_image(load_image(args.image))
    try:
        dev = resolve_device(args.device)
    except ConfigError as exc:
        ap.error(str(exc))
    pick = [int(x) for x in args.rows.split(",") if x] or list(range(len(ROWS)))
    skipped = [i for i in pick if ROWS[i].cuda_only and dev.type != "cuda"]
    pick = [i for i in pick if i not in skipped]
    if dev.type == "cuda":
        args.jobs = 1  # one GPU: trainings one at a time
    print(
        f"image {Path(args.image).name} {image.shape[1]}x{image.shape[0]}, device {describe_device(dev)}, "
        f"{_load()} at start"
        + (f"; rows {', '.join(map(str, skipped))} skipped (they need CUDA)" if skipped else ""),
        file=sys.stderr,
    )
    t_start = time.perf_counter()
    timing: dict[int, dict[str, Any]] = {}
    measured: dict[int, dict[str, Any]] = {}
    quality: dict[int, list[dict[str, Any]]] = {}
    if not args.no_timing:
        for i in [i for i in pick if ROWS[i].timing]:
            row = ROWS[i]
            timing[i] = _run_in_child(timing_row, image, row.preset, row.overrides, args.iters, args.device)
            print(f"  [{i}] {row.label}: {timing[i]}", file=sys.stderr, flush=True)
    if not args.no_measured:
        for i in [i for i in pick if ROWS[i].measured]:
            row = ROWS[i]
            measured[i] = _run_in_child(measured_row, image, row.preset, row.overrides, args.device)
            print(f"  [{i}] {row.label} trained in full: {measured[i]}", file=sys.stderr, flush=True)
    if not args.no_quality:
        default = [name for name in args.quality_images.split(",") if name]
        jobs = [
            (i, str(IMAGES / name)) for i in pick if ROWS[i].quality for name in ROWS[i].images or default
        ]
        # the longest trainings first (the paper preset's rows), so the pool ends together
        jobs.sort(
            key=lambda job: ROWS[job[0]].preset != "paper" or "train.iterations" in ROWS[job[0]].overrides
        )
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx, max_tasks_per_child=1) as pool:
            futures = {
                pool.submit(
                    quality_row,
                    p,
                    ROWS[i].preset,
                    ROWS[i].overrides,
                    args.quality_max_size,
                    args.samples,
                    args.device,
                ): i
                for i, p in jobs
            }
            for fut, i in futures.items():
                r = fut.result()
                quality.setdefault(i, []).append(r)
                print(f"  [{i}] {ROWS[i].label} quality: {r}", file=sys.stderr, flush=True)
    _print_table(pick, timing, measured, quality, args, time.perf_counter() - t_start)
    return 0


def _mean(rs: list[dict[str, Any]], key: str) -> float:
    return float(np.mean([r[key] for r in rs]))


def _print_table(pick, timing, measured, quality, args, seconds: float) -> None:
    base = next((timing[i]["per_it"] for i in pick if i in timing), None)
    names = args.quality_images.replace(",", ", ")
    print(
        f"\nMeasured in one run of {seconds / 60:.1f} min on {args.device}; {_load()} at the end. Speed-up = first row's s/it "
        "over this row's at the same scale index (only meaningful between rows of one preset). Total = "
        "extrapolated from the timings, or measured where a full training ran. Quality: trained at "
        f"{args.quality_max_size} px on {names} (one thread each, {args.jobs} at a time), "
        f"{args.samples} samples per start scale, averaged over the images.\n"
    )
    print(
        "| # | row | scales (finest HxW) | s/it coarsest | s/it middle | s/it finest | speed-up c/m/f | "
        "threads c/m/f | total 250 px | peak memory | SIFID N | SIFID N-1 | diversity N | train time (reduced) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i in pick:
        t, m, q = timing.get(i), measured.get(i), quality.get(i)
        cells = ["-"] * 6
        if t:
            ups = "/".join(f"{b / v:.2f}" for b, v in zip(base, t["per_it"], strict=True)) if base else "-"
            thr = "/".join(str(x) for x in t["threads"])
            cells = [
                f"{t['scales']} ({t['finest'][0]}x{t['finest'][1]})",
                *(_fmt_s(x) for x in t["per_it"]),
                ups,
                thr,
            ]
        total = "-"
        if t:
            total = f"{_fmt_total(t['total_s'])} extrapolated"
        if m:
            total = f"**{_fmt_total(m['total_s'])} measured**" + (f" ({total})" if t else "")
        rss = max([x["rss"] for x in (t, m) if x] or [0.0])
        qcells = ["-"] * 4
        if q:
            mark = "" if all(r["pretrained"] for r in q) else " (random stem!)"
            qcells = [
                f"{_mean(q, 'sifid_N'):.2f}{mark}",
                f"{_mean(q, 'sifid_N1'):.2f}",
                f"{_mean(q, 'diversity_N'):.3f}",
                f"{_mean(q, 'train_s'):.0f} s",
            ]
        print(
            f"| {i} | {ROWS[i].label} | "
            + " | ".join([*cells, total, f"{rss:.0f} MiB" if rss else "-", *qcells])
            + " |"
        )
    if quality:
        print("\nPer image (SIFID N / N-1, diversity N, reduced-size training time, iterations per scale):\n")
        for i in pick:
            for r in quality.get(i, []):
                print(
                    f"- [{i}] {r['image']}: {r['sifid_N']:.2f} / {r['sifid_N1']:.2f}, {r['diversity_N']:.3f}, "
                    f"{r['train_s']:.0f} s, {'/'.join(map(str, r['iterations']))}"
                )


if __name__ == "__main__":
    sys.exit(main())
