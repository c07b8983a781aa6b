"""How often training hits a non-finite value, recovers, and ends with a usable model (issue 23).

The protocol of the issue: 5 photos x 4 seeds with the shipped ``paper`` preset and the same with
``fast``, at 64 px and 600 iterations per scale, default threads, before and after the fix. Each
training runs in its own process (``--jobs`` at a time); results are appended to a JSON-lines file so a
long protocol can be stopped and continued (runs already in the file are skipped). Prints a Markdown
table; not a test.

Variants:

- ``after``: the code as it is (loss checks every iteration, weight checks at snapshots, restore and
  retry).
- ``before``: no checks (``train(finite_checks=False)``), i.e. what was shipped when the issue was filed.

Counts per preset and variant: trainings that hit a non-finite value, that recovered (finished with
a usable model after at least one restore), that ended with a usable model (complete, every weight
finite, samples not one flat colour), that stopped with TrainingDiverged, and broken models that would
have been written silently (complete but damaged, no error).

    python bench/divergence.py                                   # the full protocol (many CPU-hours)
    python bench/divergence.py --images balloons.png --seeds 0 --presets paper --iterations 200
    python bench/divergence.py --cost 3 --iterations 100         # time per iteration, checks on/off
    python bench/divergence.py --force-lr 10 --iterations 300    # forced divergence (lr x10)
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

from singan_core.finite import SNAPSHOT_EVERY

IMAGES_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "singan-inputs" / "Images"
DEFAULT_IMAGES = ["mountains3.png", "seascape.png", "birds.png", "tree.png", "lightning1.png"]
FLAT_STD = 2.0  # a sample whose pixel std (of 255) is below this is "one flat colour"


def _poisoned(penalty, cfg, image, where: str):
    """``penalty`` that returns NaN once, at the last critic step of iteration ITERATION of SCALE."""
    from singan_core.config import iterations_at
    from singan_core.imageio import prepare_training_image
    from singan_core.pyramid import plan_pyramid

    scale, it = (int(v) for v in where.split(":"))
    arr = prepare_training_image(image)
    n = plan_pyramid(arr.shape[0], arr.shape[1], cfg.pyramid).num_scales
    before = sum(iterations_at(cfg.train, s, n) for s in range(scale))
    target = (before + it + 1) * cfg.train.d_steps
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        out = penalty(*args, **kwargs)
        return out * float("nan") if calls["n"] == target else out

    return poisoned


def config_for(preset: str, size: int, iterations: int, seed: int, overrides: dict[str, str]):
    from singan_core.config import get_preset, iteration_overrides, with_overrides

    over: dict[str, object] = {
        "pyramid.max_size": size,
        "train.seed": seed,
        **iteration_overrides(iterations),
    }
    over.update(overrides)
    return with_overrides(get_preset(preset), over)


def run_one(job: dict) -> dict:
    """One training in this (fresh) process; returns its record."""
    import importlib

    import numpy as np

    from singan_core.config import iterations_at
    from singan_core.errors import TrainingDiverged
    from singan_core.finite import model_problems
    from singan_core.imageio import load_image
    from singan_core.tasks.sample import generate

    train_module = importlib.import_module("singan_core.train")
    before = job["variant"] == "before"
    penalty = train_module.gradient_penalty
    cfg = config_for(job["preset"], job["size"], job["iterations"], job["seed"], job["overrides"])
    train_module.gradient_penalty = penalty
    image = load_image(IMAGES_DIR / job["image"] if not Path(job["image"]).is_file() else job["image"])
    if job.get("inject"):  # one NaN penalty at SCALE:ITERATION (0-based scale): a forced divergence
        train_module.gradient_penalty = _poisoned(penalty, cfg, image, job["inject"])
    seen: dict[str, object] = {"first": None, "notices": []}

    def progress(p) -> None:
        if p.notice:
            seen["notices"].append(p.notice)
        if seen["first"] is None and any(not math.isfinite(v) for v in p.losses.values()):
            seen["first"] = [p.scale, p.iteration]

    t0 = time.perf_counter()
    record = {**job, "error": "", "problems": [], "complete": False, "flat": None}
    try:
        model = train_module.train(image, cfg, device="cpu", progress=progress, finite_checks=not before)
    except TrainingDiverged as exc:
        model = exc.model
        record["error"] = str(exc)
    seconds = time.perf_counter() - t0
    record["complete"] = model.is_complete
    record["problems"] = model_problems(model)
    if model.is_complete and not record["problems"]:
        samples = generate(model, n=4, seed=1)
        record["flat"] = sum(float(np.std(s.astype(np.float64))) < FLAT_STD for s in samples)
    iterations = sum(iterations_at(cfg.train, s, model.num_scales) for s in range(model.num_trained))
    record.update(
        seconds=seconds,
        s_per_it=sum(model.train_seconds) / max(iterations, 1),
        first_nonfinite=seen["first"],
        notices=seen["notices"],
        hit=bool(seen["notices"] or seen["first"] or record["problems"] or record["error"]),
        usable=model.is_complete and not record["problems"] and record["flat"] == 0,
    )
    return record


def _key(r: dict) -> tuple:
    return (
        r["variant"],
        r["preset"],
        r["image"],
        r["seed"],
        r["size"],
        r["iterations"],
        json.dumps(r["overrides"]),
    )


def _extra(r: dict) -> str:
    """The run's overrides and forced NaN, as the table shows them."""
    parts = [f"{k}={v}" for k, v in sorted(r["overrides"].items())]
    return " ".join(parts + ([f"NaN at {r['inject']}"] if r.get("inject") else []))


def summarise(records: list[dict]) -> str:
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["preset"], r["variant"], r["size"], r["iterations"], _extra(r)), []).append(r)
    lines = [
        "| preset | variant | size | it/scale | overrides, forced | runs | hit non-finite | recovered | usable | "
        "stopped with error | broken written silently | median s/it |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (preset, variant, size, iters, over), rs in sorted(groups.items()):
        recovered = sum(r["hit"] and r["usable"] for r in rs)
        broken = sum(r["complete"] and bool(r["problems"]) and not r["error"] for r in rs)
        lines.append(
            f"| {preset} | {variant} | {size} | {iters} | {over} | {len(rs)} | "
            f"{sum(r['hit'] for r in rs)} | {recovered} | {sum(r['usable'] for r in rs)} | "
            f"{sum(bool(r['error']) for r in rs)} | {broken} | {statistics.median(r['s_per_it'] for r in rs):.3f} |"
        )
    return "\n".join(lines)


def cost(args: argparse.Namespace) -> None:
    """Seconds per iteration with and without the checks, alternating runs on one image and seed."""
    from singan_core.imageio import load_image
    from singan_core.train import train

    image = load_image(IMAGES_DIR / args.images[0])
    cfg = config_for(args.presets[0], args.size, args.iterations, args.seeds[0], _overrides(args))
    per: dict[bool, list[float]] = {True: [], False: []}
    for rep in range(args.cost):
        for checks in (rep % 2 == 0, rep % 2 == 1):  # alternate the order against drift
            model = train(image, cfg, device="cpu", finite_checks=checks)
            per[checks].append(sum(model.train_seconds) / (args.iterations * model.num_scales))
            print(f"rep {rep} checks={checks}: {per[checks][-1]:.4f} s/it", file=sys.stderr, flush=True)
    on, off = statistics.median(per[True]), statistics.median(per[False])
    check_s, snap_s = _check_costs(model)
    print("| preset | size | it/scale | runs each | s/it with checks | s/it without | difference |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.presets[0]} | {args.size} | {args.iterations} | {args.cost} | {on:.4f} | {off:.4f} | "
        f"{(on / off - 1) * 100:+.1f}% |"
    )
    per_it = check_s + snap_s / SNAPSHOT_EVERY
    print(
        f"\nThe checks alone (timed in isolation, less exposed to other load): loss check {check_s * 1e6:.0f} us "
        f"per iteration, snapshot of the finest scale's state {snap_s * 1e3:.2f} ms every {SNAPSHOT_EVERY} "
        f"iterations: {per_it * 1e6:.0f} us per iteration = {per_it / off * 100:.3f}% of {off:.4f} s/it."
    )


def _check_costs(model, reps: int = 2000) -> tuple[float, float]:
    """Seconds for one loss check (4 scalars) and one snapshot of a scale's state like training takes
    (generator, critic, two Adam optimizers with state, schedulers, generators, bank)."""
    import torch

    from singan_core.finite import Snapshot, all_finite
    from singan_core.networks import Discriminator

    losses = [torch.tensor(float(k), requires_grad=True) * 2 for k in range(4)]
    t0 = time.perf_counter()
    for _ in range(reps):
        all_finite(losses)
    check = (time.perf_counter() - t0) / reps
    g = model.generators[-1].train().requires_grad_(True)
    d = Discriminator(model.channels, g.body[0][0].out_channels, model.config.network)
    opts = [torch.optim.Adam(g.parameters()), torch.optim.Adam(d.parameters())]
    for net, opt in zip((g, d), opts, strict=True):  # give Adam its state
        sum(p.sum() for p in net.parameters()).backward()
        opt.step()
    snap = Snapshot([g, d, *opts, torch.Generator()])
    t0 = time.perf_counter()
    for _ in range(20):
        snap.take(0)
    return check, (time.perf_counter() - t0) / 20


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    from singan_core.config import parse_overrides

    over = parse_overrides(args.set)
    if args.threads is not None:
        over["exec.threads"] = str(args.threads)
    if args.force_lr != 1.0:
        over["train.lr_g"] = str(5e-4 * args.force_lr)
        over["train.lr_d"] = str(5e-4 * args.force_lr)
    return over


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--images", nargs="+", default=DEFAULT_IMAGES, help="names in the paper's inputs, or paths"
    )
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3])
    ap.add_argument("--presets", nargs="+", default=["paper", "fast"])
    ap.add_argument("--variants", nargs="+", default=["before", "after"], choices=["before", "after"])
    ap.add_argument("--size", type=int, default=64, help="pyramid.max_size (default 64)")
    ap.add_argument("--iterations", type=int, default=600, help="per scale; the lr drop stays at 80%%")
    ap.add_argument(
        "--threads", type=int, default=None, help="exec.threads (default: the preset's, 0 = tune)"
    )
    ap.add_argument(
        "--force-lr", type=float, default=1.0, help="multiply both learning rates (force divergence)"
    )
    ap.add_argument("--inject", default="", metavar="SCALE:ITERATION", help="force one NaN loss there")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    ap.add_argument("--jobs", type=int, default=1, help="trainings at a time, one process each")
    ap.add_argument(
        "--out", default="out/divergence.jsonl", help="JSON lines; runs already there are skipped"
    )
    ap.add_argument("--cost", type=int, default=0, metavar="N", help="only time checks on/off, N runs each")
    args = ap.parse_args()
    if args.cost:
        cost(args)
        return 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    known = {_key(r) for r in done}
    over = _overrides(args)
    jobs = [
        {
            "variant": v,
            "preset": p,
            "image": i,
            "seed": s,
            "size": args.size,
            "iterations": args.iterations,
            "overrides": over,
            "inject": args.inject,
        }
        for p in args.presets
        for s in args.seeds
        for i in args.images
        for v in args.variants
    ]
    todo = [j for j in jobs if _key(j) not in known]
    print(f"{len(jobs)} trainings, {len(jobs) - len(todo)} already in {out}", file=sys.stderr)
    with mp.get_context("spawn").Pool(args.jobs, maxtasksperchild=1) as pool:
        for r in pool.imap_unordered(run_one, todo):
            with out.open("a") as fh:
                fh.write(json.dumps(r) + "\n")
            done.append(r)
            print(
                f"{r['variant']} {r['preset']} {r['image']} seed {r['seed']}: hit={r['hit']} usable={r['usable']} "
                f"{r['seconds']:.0f}s {r['error'][:120]}",
                file=sys.stderr,
                flush=True,
            )
    wanted = {_key(j) for j in jobs}
    print(summarise([r for r in done if _key(r) in wanted]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
