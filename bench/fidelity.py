"""Fidelity to the paper's code (issue 22) and non-finite values per training (issue 23), on shippable photos.

At 64 px, min 25 px, factor 0.75, 600 iterations per scale (the issues' protocol), for every photo x
training seed x config: train on the CPU with one thread, then draw ``--n`` samples from scale N
(start scale 0) and N-1 (start scale 1) and record

- SIFID against the training image with the 64-d features (the official SIFID script's default, what
  published numbers use) and the 192-d ones (the layer the paper's text names; ``singan eval sifid``'s
  default), mean over samples;
- diversity at N and N-1 (metrics/diversity.py) and their ratio;
- the mean colour drift of the N samples per channel in grey levels (mean of the samples minus mean of
  the training image), and the drift of our 64 px training image against a MATLAB-style resize (the
  paper's code's) of the same photo, rounded to 8 bits;
- the noise amplitude of scale 1 (what sets how much samples from N-1 vary);
- issue 23's figures: non-finite values hit, recoveries, whether the model is usable (complete, every
  weight finite, no flat sample), seconds per iteration (with or without the checks: ``+checks=off``).

Configs are ``PRESET[+section.field=value...]``; the aliases ``paper-today`` (the paper preset before
issue 22: one fixed z*) and ``paper`` (the shipped preset) are the before / after pair. One record per
training is appended to ``--out`` (JSON lines) as soon as it is done; runs already there are skipped,
so a stopped run continues where it was. Jobs run seed by seed, photo by photo, config by config, so a
partial run has complete before/after pairs. ``--table`` only prints the tables of what is recorded.

    nohup python bench/fidelity.py > out/fidelity/log.txt 2>&1 &
    python bench/fidelity.py --photos colusseum --seeds 0 --configs paper-today paper --iterations 100
    python bench/fidelity.py --table
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PHOTOS = {  # shipped with their licences: bench/photos/README.md, bench/data/README.md, singan_core/assets
    "colusseum": REPO / "bench" / "data" / "colusseum.png",
    "balloons": REPO / "singan_core" / "assets" / "balloons.png",
    "aitzgorri": REPO / "bench" / "photos" / "aitzgorri.jpg",
    "life": REPO / "bench" / "photos" / "life.jpg",
    "picosdeeuropa": REPO / "bench" / "photos" / "picosdeeuropa.jpg",
}
ALIASES = {"paper-today": "paper+train.redraw_coarse_rec_noise=false"}
FLAT_STD = 2.0  # a sample whose pixel std (of 255) is below this is one flat colour


def parse_config(spec: str, size: int, iterations: int, seed: int):
    """(config, finite_checks) of ``PRESET[+section.field=value...]`` at the protocol's pyramid."""
    from singan_core.config import get_preset, iteration_overrides, with_overrides

    head, *extra = spec.split("+")
    preset, *items = ALIASES.get(head, head).split("+")
    items += extra
    over: dict[str, object] = {
        "pyramid.max_size": size,
        "pyramid.min_size": 25,
        "pyramid.scale_factor": 0.75,
        "train.seed": seed,
        "exec.threads": 1,
        **iteration_overrides(iterations),
    }
    checks = True
    for item in items:
        key, _, value = item.partition("=")
        if key == "checks":
            checks = value not in ("off", "false", "0")
        else:
            over[key] = value
    return with_overrides(get_preset(preset), over), checks


def channel_means(image: np.ndarray) -> np.ndarray:
    """Mean of each colour channel in 8-bit grey levels (alpha dropped)."""
    arr = np.asarray(image, dtype=np.float64)
    arr = arr[..., :3] if arr.ndim == 3 else arr[..., None]
    scale = 255.0 / (65535.0 if np.asarray(image).dtype == np.uint16 else 255.0)
    return arr.reshape(-1, arr.shape[-1]).mean(axis=0) * scale


def resizer_drift(photo: np.ndarray, ours: np.ndarray) -> list[float]:
    """Mean channel difference (grey levels) of our training image minus a MATLAB-style bicubic resize of
    the photo to the same size, rounded to 8 bits (what the paper's code trains on at its finest scale)."""
    from singan_core.imageio import prepare_training_image
    from singan_core.metrics.matlab_resize import imresize

    src = prepare_training_image(photo)[..., :3].astype(np.float64)
    ref = np.clip(np.round(imresize(src, ours.shape[0] / src.shape[0])), 0, 255)
    h, w = min(ref.shape[0], ours.shape[0]), min(ref.shape[1], ours.shape[1])
    return (channel_means(ours[:h, :w]) - channel_means(ref[:h, :w])).round(3).tolist()


class NonFiniteWatch:
    """A progress callback keeping the recovery notices, where a loss was first non-finite, the losses of
    the last ``keep`` reports before it (what led there: a critic blowing up, or a sudden NaN), and the
    largest absolute value of each loss per scale (near misses in trainings that stayed finite)."""

    def __init__(self, keep: int = 40) -> None:
        self.first: list[int] | None = None  # [scale, iteration]
        self.notices: list[str] = []
        self.recent: collections.deque = collections.deque(maxlen=keep)
        self.before_first: list = []
        self.peaks: dict[str, dict[str, float]] = {}

    def __call__(self, p) -> None:
        self.notices += [p.notice] if p.notice else []
        if not p.losses:
            return
        bad = not all(math.isfinite(v) for v in p.losses.values())
        self.recent.append([p.scale, p.iteration, {k: float(f"{v:.4g}") for k, v in p.losses.items()}])
        if bad and self.first is None:
            self.first = [p.scale, p.iteration]
            self.before_first = list(self.recent)
        peaks = self.peaks.setdefault(str(p.scale), {})
        for k, v in p.losses.items():
            if math.isfinite(v):
                peaks[k] = max(peaks.get(k, 0.0), float(f"{abs(v):.4g}"))


def run_one(job: dict, n: int, stem, out_dir: Path | None = None) -> dict:
    from singan_core.config import iterations_at
    from singan_core.errors import TrainingDiverged
    from singan_core.finite import model_problems
    from singan_core.imageio import load_image
    from singan_core.metrics.diversity import diversity
    from singan_core.metrics.sifid import sifid_many
    from singan_core.tasks.sample import generate
    from singan_core.train import train

    cfg, checks = parse_config(job["config"], job["size"], job["iterations"], job["seed"])
    photo = load_image(PHOTOS[job["photo"]])
    watch = NonFiniteWatch()
    record = {**job, "model_id": "", "error": ""}
    t0 = time.perf_counter()
    try:
        model = train(photo, cfg, device="cpu", progress=watch, finite_checks=checks)
    except TrainingDiverged as exc:
        model, record["error"] = exc.model, str(exc)
    iterations = sum(iterations_at(cfg.train, s, model.num_scales) for s in range(model.num_trained))
    problems = model_problems(model)
    record.update(
        model_id=model.model_id,
        seconds=round(time.perf_counter() - t0, 1),
        s_per_it=sum(model.train_seconds) / max(iterations, 1),
        scales=model.num_scales,
        noise_amps=[round(a, 5) for a in model.noise_amps],
        problems=problems,
        first_nonfinite=watch.first,
        before_first=watch.before_first,
        loss_peaks=watch.peaks,
        notices=watch.notices,
        hit=bool(watch.notices or watch.first or problems or record["error"]),
        resizer_drift=resizer_drift(photo, model.image),
    )
    usable = model.is_complete and not problems
    if usable:
        image = model.image
        for start, tag in ((0, "N"), (1, "N-1")):
            samples = generate(model, n=n, seed=1000 + job["seed"], start_scale=start)
            usable = usable and not any(float(np.std(s.astype(np.float64))) < FLAT_STD for s in samples)
            for dims in (64, 192):
                record[f"sifid{dims}_{tag}"] = sifid_many(image, samples, stem=stem, dims=dims).mean
            record[f"div_{tag}"] = diversity(samples, image)
            if start == 0:
                drift = np.mean([channel_means(s) - channel_means(image) for s in samples], axis=0)
                record["drift_N"] = drift.round(3).tolist()
        record["ratio"] = record["div_N-1"] / record["div_N"]
    record["usable"] = usable
    if out_dir is not None and model.is_complete and not problems:
        save_strip(model, out_dir / f"{job['photo']}_{job['config']}_{job['seed']}")
    return record


def save_strip(model, stem: Path) -> None:
    """The model (``stem``.singan) and a PNG to look at: the training image, its reconstruction, then 4
    samples from N (top row) and 4 from N-1 (bottom row), each shown 3x (nearest)."""
    from singan_core.checkpoint import save_checkpoint
    from singan_core.imageio import save_image
    from singan_core.tasks.sample import generate
    from singan_core.tensors import to_array

    stem.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(model, stem.parent / f"{stem.name}.singan")
    rec = to_array(model.reconstruct(), model.dtype)
    rows = []
    for start, first in ((0, model.image), (1, rec)):
        tiles = [first, *generate(model, n=4, seed=77, start_scale=start)]
        rows.append(np.concatenate([t[..., :3] for t in tiles], axis=1))
    grid = np.concatenate(rows, axis=0)
    save_image(np.repeat(np.repeat(grid, 3, axis=0), 3, axis=1), stem.parent / f"{stem.name}.png")


def _key(r: dict) -> tuple:
    return (r["config"], r["photo"], r["seed"], r["size"], r["iterations"])


def load(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _ms(values: list[float], digits: int = 3) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


METRICS = [
    ("SIFID-64 N", "sifid64_N", 2),
    ("SIFID-64 N-1", "sifid64_N-1", 2),
    ("SIFID-192 N", "sifid192_N", 2),
    ("SIFID-192 N-1", "sifid192_N-1", 2),
    ("div N", "div_N", 3),
    ("div N-1", "div_N-1", 3),
    ("N-1 / N", "ratio", 2),
]


def tables(records: list[dict]) -> str:
    """Per config: means ± standard deviation over trainings (photos x seeds), then per photo."""
    configs = list(dict.fromkeys(r["config"] for r in records))
    out = [
        "Mean ± sd over trainings (photos x seeds); SIFID-64 = the official script's default block, "
        "SIFID-192 = the paper text's layer; drift = mean of the N samples minus the image, grey levels.",
        "",
        "| config | trainings | amp scale 1 | "
        + " | ".join(m[0] for m in METRICS)
        + " | drift R | drift G | drift B | mean abs drift | hit non-finite | recovered | usable | s/it |",
        "|---|---|---|" + "---|" * len(METRICS) + "---|---|---|---|---|---|---|---|",
    ]
    for c in configs:
        rs = [r for r in records if r["config"] == c]
        ok = [r for r in rs if r["usable"]]
        cells = [_ms([r[k] for r in ok if k in r], d) for _, k, d in METRICS]
        drift = [_ms([r["drift_N"][i] for r in ok if "drift_N" in r], 1) for i in range(3)]
        drift.append(_ms([float(np.mean(np.abs(r["drift_N"]))) for r in ok if "drift_N" in r], 1))
        out.append(
            f"| {c} | {len(rs)} | {_ms([r['noise_amps'][1] for r in rs if len(r['noise_amps']) > 1], 4)} | "
            + " | ".join(cells + drift)
            + f" | {sum(r['hit'] for r in rs)} | {sum(r['hit'] and r['usable'] for r in rs)} | "
            f"{len(ok)} | {statistics.median(r['s_per_it'] for r in rs):.3f} |"
        )
    out += [
        "",
        "| photo | config | seeds | amp scale 1 | SIFID-64 N | SIFID-192 N | SIFID-192 N-1 | div N | div N-1 | "
        "N-1 / N | drift R, G, B | resizer drift R, G, B |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for photo in dict.fromkeys(r["photo"] for r in records):
        for c in configs:
            rs = [r for r in records if r["config"] == c and r["photo"] == photo and r["usable"]]
            if not rs:
                continue
            drift = ", ".join(f"{np.mean([r['drift_N'][i] for r in rs]):+.1f}" for i in range(3))
            resz = ", ".join(f"{rs[0]['resizer_drift'][i]:+.1f}" for i in range(3))
            out.append(
                f"| {photo} | {c} | {len(rs)} | {_ms([r['noise_amps'][1] for r in rs], 4)} | "
                f"{_ms([r['sifid64_N'] for r in rs], 2)} | {_ms([r['sifid192_N'] for r in rs], 2)} | "
                f"{_ms([r['sifid192_N-1'] for r in rs], 2)} | "
                f"{_ms([r['div_N'] for r in rs])} | {_ms([r['div_N-1'] for r in rs])} | "
                f"{_ms([r['ratio'] for r in rs], 2)} | {drift} | {resz} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--photos", nargs="+", default=list(PHOTOS), choices=list(PHOTOS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--configs", nargs="+", default=["paper-today", "paper", "fast"])
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--iterations", type=int, default=600)
    p.add_argument("--n", type=int, default=50, help="samples per model and start scale")
    p.add_argument("--out", type=Path, default=REPO / "out" / "fidelity" / "fidelity.jsonl")
    p.add_argument("--table", action="store_true", help="only print the tables of the recorded runs")
    args = p.parse_args(argv)
    if args.table:
        print(tables(load(args.out)))
        return 0
    import torch

    from singan_core.metrics.weights import load_inception

    torch.set_num_threads(1)
    stem = load_inception()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = {_key(r) for r in load(args.out)}
    for seed in args.seeds:
        for photo in args.photos:
            for config in args.configs:
                job = dict(config=config, photo=photo, seed=seed, size=args.size, iterations=args.iterations)
                if _key(job) in done:
                    continue
                print(
                    f"{time.strftime('%H:%M:%S')} {photo} seed {seed} {config}", file=sys.stderr, flush=True
                )
                record = run_one(job, args.n, stem, args.out.parent / "models")
                with args.out.open("a") as f:
                    f.write(json.dumps(record) + "\n")
                print(json.dumps(record), file=sys.stderr, flush=True)
    print(tables(load(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
