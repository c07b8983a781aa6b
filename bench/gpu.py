"""The GPU check (issue 19), first half: training speed on one CUDA GPU, and samples to judge back home.

Run by ``bench/gpu.sh`` on the GPU machine (it gets this source tree only, uses its own torch, has no
network). Within ``--budget-s`` seconds counted from ``--t0`` (gpu.sh's start, so its unit tests count):

1. the ``paper`` preset as it ships (bf16 autocast) trained end to end on ``bench/data/colusseum.png``
   (250x188, 2000 iterations per scale); per-scale seconds per iteration (steady state, each scale's
   first reports left out), total wall time, peak GPU memory; then ``--samples`` samples from scale N
   and as many from N-1. It stops at the budget's reserve if it must, and the table then says so;
2. in the time left, each in its own process: the ``fast`` preset at its 160 px (trained in full; when
   it runs out of its share of the time, the rest is extrapolated), and the paper preset in fp32, with
   torch.compile, and with compile + CUDA graphs, timed by ``bench/speed.py``'s timing_row: ``--iters``
   iterations at the coarsest, middle and finest scale, the rest extrapolated by cost, plus the
   measured first-run set-up (compiling) per scale. One more timed row repeats the full row's settings,
   so the table shows how far that extrapolation lands from a measured total. A row that fails or has
   no time left says so.

Writes under ``--out``: ``gpu-results.zip`` (see ``gpu_pack.py``), the trained model
``paper-gpu.singan`` and ``table.md``; prints one Markdown table last. The second half,
``bench/gpu_results.py``, runs back on a CPU machine: SIFID and diversity against a CPU-trained model.

    bash bench/gpu.sh                                  # on the GPU machine; writes to $OUT
    python bench/gpu.py --smoke --out /tmp/gpu-smoke   # everything on a CPU at tiny sizes, in seconds
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_IMAGE = HERE / "data" / "colusseum.png"
RESULTS_NAME = "gpu-results.zip"
MODEL_NAME = "paper-gpu.singan"

sys.path.insert(0, str(HERE))
from gpu_pack import write_results  # noqa: E402 - beside this script, which is run as a file
from speed import _fmt_total, _peak_memory, _sync, timing_row  # noqa: E402
from speed_rows import Row, resolve  # noqa: E402

_COMPILE = {"exec.compile": True}
FULL = Row("paper, bf16 autocast (the preset as it ships)", "paper", measured=True)
FP32 = Row("paper, fp32", "paper", {"exec.autocast_bf16": False})
# the full row's settings timed like the short rows: how far their extrapolation is from a measured total
CHECK = Row("paper, bf16 autocast, timed (extrapolation check)", "paper")
COMPILED = Row("paper, bf16 + torch.compile", "paper", _COMPILE)
GRAPHS = Row("paper, bf16 + compile + CUDA graphs", "paper", {**_COMPILE, "exec.cuda_graphs": True})
FAST = Row("fast (160 px, bf16)", "fast", measured=True)
RUN_ORDER = [FULL, FP32, CHECK, FAST, COMPILED, GRAPHS]  # the samples first; slow compiling last
KEYS = dict(zip(("full", "fp32", "check", "fast", "compile", "graphs"), RUN_ORDER, strict=True))  # --rows
TABLE_ORDER = [FP32, FULL, CHECK, COMPILED, GRAPHS, FAST]

# --smoke: every row at a tiny size on the CPU; compiling is left out (minutes on a CPU; the switch
# has its own unit test) and the table says so.
SMOKE = {
    "pyramid.max_size": 48,
    "pyramid.min_size": 16,
    "network.base_channels": 4,
    "network.max_channels": 8,
    "train.iterations": 4,
    "train.lr_decay_iteration": 3,
    "train.prev_bank_size": 4,
    "train.prev_bank_refresh": 2,
    "exec.threads": 1,
}
RESERVE_AFTER_FULL_S = 90.0  # the full training comes first: it leaves this for sampling and the rest
FINAL_RESERVE_S = 15.0  # writing the results and the table
MIN_ROW_S = 30.0  # a row is not started with less time than this left


def _overrides(row: Row, smoke: bool) -> dict[str, Any]:
    if not smoke:
        return dict(row.overrides)
    kept = {k: v for k, v in row.overrides.items() if k not in ("exec.compile", "exec.cuda_graphs")}
    return {**kept, **SMOKE}


def _steady_rate(marks: list[tuple[int, float]], iterations: int) -> float | None:
    """Seconds per iteration between the first progress report past the warm-up and the last one."""
    warm = max(1, min(50, iterations // 10))
    pts = sorted({it: t for it, t in reversed(marks)}.items())  # first time each iteration was reported
    later = [(it, t) for it, t in pts if it >= warm]
    if len(later) < 2 or later[-1][0] == later[0][0]:
        return None
    return (later[-1][1] - later[0][1]) / (later[-1][0] - later[0][0])


def full_row(
    image: np.ndarray,
    preset: str,
    overrides: dict[str, Any],
    device: str,
    deadline: float,
    samples: int = 0,
    model_path: str | None = None,
) -> dict[str, Any]:
    """Train in full (until ``deadline``, epoch seconds); per-scale s/it, total, peak memory. With
    ``samples``: that many samples from N and from N-1 as PNG bytes, and the model saved."""
    from singan_core.checkpoint import save_checkpoint
    from singan_core.config import config_to_dict, iterations_at
    from singan_core.device import resolve_device
    from singan_core.errors import TrainingCancelled
    from singan_core.eta import IterationTimeModel, iteration_cost
    from singan_core.imageio import encode_png
    from singan_core.tasks.sample import generate
    from singan_core.train import TrainProgress, train

    cfg = resolve(preset, overrides)
    dev = resolve_device(device)
    marks: dict[int, list[tuple[int, float]]] = {}

    def progress(p: TrainProgress) -> None:
        if not p.scale_done:  # the scale-done report also times the preview
            marks.setdefault(p.scale, []).append((p.iteration, time.perf_counter()))

    t0 = time.perf_counter()
    stopped = False
    try:
        model = train(image, cfg, device=dev, progress=progress, should_stop=lambda: time.time() > deadline)
    except TrainingCancelled as exc:
        model, stopped = exc.model, True
    _sync(dev)
    wall = time.perf_counter() - t0
    n, done = model.num_scales, model.num_trained
    iters = [iterations_at(cfg.train, s, n) for s in range(n)]
    rates: dict[int, float] = {}
    setup: list[float] = []
    for s, seconds in enumerate(model.train_seconds):
        rates[s] = _steady_rate(marks.get(s, []), iters[s]) or seconds / iters[s]
        setup.append(max(seconds - rates[s] * iters[s], 0.0))
    partial = _steady_rate(marks.get(done, []), iters[done]) if done < n else None
    if partial:
        rates[done] = partial
    fit = IterationTimeModel()
    for s, rate in rates.items():
        fit.observe(s, iteration_cost(cfg, model.shapes, s), rate)
    left = 0.0  # the time the scales not trained would have taken (a started one's set-up is in wall)
    for s in range(done, n):
        ran = max((it for it, _ in marks.get(s, [])), default=0)
        left += fit.predict(iteration_cost(cfg, model.shapes, s)) * (iters[s] - ran)
        left += 0.0 if ran else float(np.mean(setup or [0.0]))
    out: dict[str, Any] = {
        "scales": n,
        "finest": list(model.shapes[-1]),
        "per_it": [rates.get(s) for s in range(n)],
        "iterations": iters,
        "trained_scales": done,
        "stopped": stopped,
        "total_s": wall + left if rates else None,  # None: not one scale ran long enough to time
        "measured_s": wall,
        "setup_s": float(np.mean(setup)) if setup else None,
        "peak_mib": _peak_memory(dev),
        "config": config_to_dict(cfg),
        "model_id": model.model_id,
    }
    out["real_png"] = encode_png(model.image)
    if samples and done:
        t1 = time.perf_counter()
        out["samples"] = {
            key: [encode_png(a) for a in generate(model, n=samples, seed=1, start_scale=start, device=dev)]
            for key, start in (("N", 0), ("N-1", 1))
            if start < done
        }
        out["sampling_s"] = time.perf_counter() - t1
        if model_path:
            save_checkpoint(model, model_path)
    return out


def short_row(image: np.ndarray, preset: str, overrides: dict[str, Any], iters: int, device: str):
    """``bench/speed.py``'s timing_row in the common row format: total = extrapolated iterations +
    each scale's measured first-run set-up (the compiling, for the compile rows)."""
    t = timing_row(image, preset, overrides, iters, device)
    n = t["scales"]
    per_it: list[float | None] = [None] * n
    for s, v in zip((0, n // 2, n - 1), t["per_it"], strict=True):
        per_it[s] = v
    setup = float(np.mean(t["warmup_s"]))
    return {
        "scales": n,
        "finest": list(t["finest"]),
        "per_it": per_it,
        "timed_iterations": iters,
        "total_s": t["total_s"] + setup * n,
        "setup_s": setup,
        "peak_mib": t["rss"],
    }


def _in_child(fn, *args, timeout: float) -> dict[str, Any]:
    """``fn(*args)`` in a fresh process (its own CUDA context and memory peak), killed after ``timeout``."""
    pool = mp.get_context("spawn").Pool(1, maxtasksperchild=1)
    try:
        return pool.apply_async(fn, args).get(timeout=max(timeout, 1.0))
    finally:
        pool.terminate()
        pool.join()


def _how(row: Row, r: dict[str, Any]) -> str:
    if "error" in r:
        return r["error"]
    if "timed_iterations" in r:
        return f"{r['timed_iterations']} it timed at 3 scales, total extrapolated"
    its = sorted(set(r["iterations"]))
    sched = f"{its[0]} it/scale" if len(its) == 1 else f"{its[-1]}...{its[0]} it/scale"
    if r["stopped"]:
        return (
            f"{sched}; stopped by the time limit after {r['trained_scales']} of {r['scales']} scales, "
            "the rest extrapolated"
        )
    return f"trained in full, {sched}"


def format_table(results: dict[str, dict[str, Any]], device: str, smoke: bool) -> str:
    mem = "peak GPU memory" if device.startswith("cuda") else "peak RSS"
    lines = [
        f"| row | how | scales (finest HxW) | s/it per scale, coarsest to finest | total training | "
        f"set-up per scale | {mem} |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in TABLE_ORDER:
        r = results.get(row.label, {"error": "not asked for (--rows)"})
        label = row.label + (" (smoke: compile off)" if smoke and "exec.compile" in row.overrides else "")
        if "error" in r:
            lines.append(f"| {label} | {r['error']} | - | - | - | - | - |")
            continue
        per_it = " / ".join("-" if v is None else f"{v:.3g}" for v in r["per_it"])
        if r["total_s"] is None:
            total = "no scale timed"
        elif r.get("stopped", True):
            total = f"{_fmt_total(r['total_s'])} extrapolated"
        else:
            total = f"**{_fmt_total(r['total_s'])} measured**"
        setup = "-" if r["setup_s"] is None else f"{r['setup_s']:.1f} s"
        lines.append(
            f"| {label} | {_how(row, r)} | {r['scales']} ({r['finest'][0]}x{r['finest'][1]}) | {per_it} | "
            f"{total} | {setup} | {r['peak_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def _describe(device: str) -> dict[str, Any]:
    import torch

    from singan_core.device import describe_device, resolve_device

    return {
        "device": describe_device(resolve_device(device)),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--out", type=Path, default=Path("out/gpu"), help="folder for the results (default out/gpu)"
    )
    ap.add_argument(
        "--smoke", action="store_true", help="tiny sizes on the CPU: checks the script in seconds"
    )
    ap.add_argument("--device", default=None, help="default cuda (cpu with --smoke)")
    ap.add_argument("--image", type=Path, default=DEFAULT_IMAGE, help="training image (default colusseum)")
    ap.add_argument("--budget-s", type=float, default=540.0, help="wall-time budget from --t0 (default 540)")
    ap.add_argument(
        "--t0", type=float, default=None, help="epoch seconds the budget counts from (default now)"
    )
    ap.add_argument("--iters", type=int, default=100, help="timed iterations per scale in timing rows")
    ap.add_argument("--samples", type=int, default=50, help="samples from N and from N-1 (default 50)")
    ap.add_argument("--rows", default=",".join(KEYS), help=f"rows to run, of {','.join(KEYS)} (default all)")
    args = ap.parse_args(argv)
    device = args.device or ("cpu" if args.smoke else "cuda")
    iters = 2 if args.smoke else args.iters

    from singan_core.errors import ConfigError, ImageError
    from singan_core.imageio import load_image, prepare_training_image

    try:
        info = _describe(device)
        image = prepare_training_image(load_image(args.image))
    except (ConfigError, ImageError) as exc:
        ap.exit(2, f"bench/gpu.py: {exc}\n")
    t0 = args.t0 if args.t0 is not None else time.time()
    end = t0 + args.budget_s
    print(f"bench/gpu.py: {info}, image {args.image.name}, budget {args.budget_s:.0f} s", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    full: dict[str, Any] = {}

    def save() -> str:
        table = format_table(results, device, args.smoke)
        meta = {
            **info,
            "smoke": args.smoke,
            "budget_s": args.budget_s,
            "elapsed_s": time.time() - t0,
            "samples": {"n": args.samples, "seed": 1, "start_scales": {"N": 0, "N-1": 1}},
            "config": full.get("config"),
            "model_id": full.get("model_id"),
            "train_s": full.get("measured_s"),
            "stopped": full.get("stopped"),
            "rows": {
                k: {x: y for x, y in v.items() if x not in ("samples", "real_png")}
                for k, v in results.items()
            },
            "table": table,
        }
        if full.get("real_png"):
            write_results(args.out / RESULTS_NAME, meta, full["real_png"], full.get("samples", {}))
        (args.out / "table.md").write_text(table + "\n")
        return table

    picked = [k for k in args.rows.split(",") if k]
    if not picked or set(picked) - set(KEYS):
        ap.error(f"--rows takes a comma separated list of {', '.join(KEYS)}")
    todo = [row for row in RUN_ORDER if any(row is KEYS[k] for k in picked)]
    for i, row in enumerate(todo):
        left = end - FINAL_RESERVE_S - time.time()
        if row is not FULL and left < MIN_ROW_S:
            results[row.label] = {"error": f"not run: {max(left, 0):.0f} s of the budget left"}
            continue
        # an even share of what is left, but at least a minute (a timing row needs about that on a GPU)
        share = left if i == len(todo) - 1 else min(left, max(left / (len(todo) - i), 60.0))
        over = _overrides(row, args.smoke)
        t_row = time.time()
        try:
            if row is FULL:
                deadline = end - RESERVE_AFTER_FULL_S
                full = _in_child(
                    full_row, image, row.preset, over, device, deadline, args.samples,
                    str(args.out / MODEL_NAME), timeout=deadline - time.time() + 120,
                )  # fmt: skip
                results[row.label] = full
            elif row.measured:
                results[row.label] = _in_child(
                    full_row, image, row.preset, over, device, time.time() + share - 20, timeout=share + 60
                )
            else:
                results[row.label] = _in_child(
                    short_row, image, row.preset, over, iters, device, timeout=share
                )
        except mp.TimeoutError:
            results[row.label] = {"error": f"did not finish in its {share:.0f} s"}
        except Exception as exc:  # a row that breaks on this machine is a result too; the others go on
            first = (str(exc).strip().splitlines() or [""])[0][:160]
            results[row.label] = {"error": f"failed: {type(exc).__name__}: {first}"}
        print(f"  {row.label}: {time.time() - t_row:.0f} s", file=sys.stderr, flush=True)
        save()
    table = save()
    print(
        f"\n{info['device']}, torch {info['torch']} (CUDA {info['cuda']}); image {args.image.name} "
        f"{image.shape[1]}x{image.shape[0]}; {time.time() - t0:.0f} s of the {args.budget_s:.0f} s budget used. "
        + (
            f"Samples: {args.samples} from N and {args.samples} from N-1 in {full['sampling_s']:.1f} s, "
            f"in {args.out / RESULTS_NAME}."
            if "sampling_s" in full
            else "NO samples: the paper preset's training failed or finished no scale."
        )
        + " s/it: steady state (set-up excluded, shown apart); '-' = not "
        "timed (extrapolated by cost).\n"
    )
    print(table)
    return 0 if "samples" in full or FULL not in todo else 1


if __name__ == "__main__":
    sys.exit(main())
