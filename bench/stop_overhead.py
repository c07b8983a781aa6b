"""What the inference stop hook costs (issues 17/18): the same tasks with ``should_stop=None`` and with a
``threading.Event().is_set`` that never turns (what the server passes), interleaved, median of N runs;
and how often each task checks it. Prints a Markdown table.

    python bench/stop_overhead.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from singan_core.config import get_preset, with_overrides
from singan_core.imageio import load_image
from singan_core.tasks import inject
from singan_core.tasks.sample import generate
from singan_core.tasks.stop import check_stop
from singan_core.tasks.super_resolve import super_resolve
from singan_core.tasks.upscale import generate_at_size
from singan_core.train import train

ASSET = Path(__file__).resolve().parents[1] / "singan_core" / "assets" / "balloons.png"


def big(a: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(a, k, axis=0), k, axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=20, help="training iterations per scale (speed only)")
    args = ap.parse_args()
    torch.manual_seed(0)
    image = load_image(ASSET)
    config = with_overrides(
        get_preset("fast"), {"train.iterations": args.iterations, "pyramid.max_size": 128}
    )
    model = train(image, config, device="cpu")
    h, w = model.image.shape[:2]
    composite = big(model.image, 12).copy()  # a ~1500 px document: native composition in strips
    mask = np.zeros(composite.shape[:2], np.uint8)
    mask[
        composite.shape[0] // 3 : composite.shape[0] // 2, composite.shape[1] // 3 : composite.shape[1] // 2
    ] = 255
    tasks: dict[str, Callable[..., object]] = {
        f"generate n=8, {w}x{h}": lambda s: generate(model, n=8, should_stop=s),
        "generate at document size 1024x768": lambda s: generate_at_size(model, (768, 1024), should_stop=s),
        f"harmonize {composite.shape[1]}x{composite.shape[0]} (native)": lambda s: inject.harmonize(
            model, composite, mask, should_stop=s
        ),
        "super-resolve x4": lambda s: super_resolve(model, factor=4, should_stop=s),
    }
    never = threading.Event().is_set
    per_check = min(timeit.repeat(lambda: check_stop(never, "x"), number=100_000, repeat=5)) / 100_000
    print(f"model: {model.num_scales} scales, {w}x{h}; torch threads {torch.get_num_threads()}")
    print(f"one check (check_stop with an Event's is_set): {per_check * 1e9:.0f} ns\n")
    print("| task | checks per call | s without hook | s with hook | overhead |")
    print("|---|---|---|---|---|")
    for name, run in tasks.items():
        calls = [0]

        def counting(calls: list[int] = calls) -> bool:
            calls[0] += 1
            return False

        run(counting)
        times: dict[str, list[float]] = {"none": [], "hook": []}
        for _ in range(args.repeats):
            for key, stop in (("none", None), ("hook", never)):
                t = time.perf_counter()
                run(stop)
                times[key].append(time.perf_counter() - t)
        a, b = statistics.median(times["none"]), statistics.median(times["hook"])
        print(f"| {name} | {calls[0]} | {a:.3f} | {b:.3f} | {100 * (b - a) / a:+.1f}% |")


if __name__ == "__main__":
    main()
