"""Where a preset's sample variety goes, scale by scale (issue 22): small, minutes-long experiments.

For every photo x seed x config (``PRESET[+section.field=value...]``, as in bench/fidelity.py; the
pyramid is fidelity's: ``--size`` px, min 25 px, factor 0.75, one thread, ``--iterations`` per scale),
train on the CPU and record

- after each scale s finishes: the diversity of ``--probe`` samples that stop at s (the variety the
  scales trained so far make) and the noise amplitude of s;
- at the end: the same per-scale diversity in the finished model (with concurrent stages the older
  scales keep training, so it can differ from the first), then SIFID (64-d and 192-d) at N, the
  diversity at N and N-1 (start scale 1) and their ratio over ``--n`` samples, as fidelity.py does.

One JSON line per training is appended to ``--out`` (runs already there are skipped); the table is
mean ± sd over photos x seeds per config, then one row per training. Meant for reduced iterations (a
few minutes per training); bench/fidelity.py is the full protocol.

    python bench/fast_variety.py --photos colusseum balloons --seeds 0 \\
        --configs fast+train.redraw_coarse_rec_noise=false fast --iterations 120
    python bench/fast_variety.py --table
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fidelity import PHOTOS, REPO, load, parse_config, save_strip  # noqa: E402

PROBE_SEED = 4242


def scale_diversity(model, last: int, n: int) -> float:
    """Diversity of ``n`` samples that stop at scale ``last`` (normalised by the training image's std)."""
    import torch

    from singan_core.metrics.diversity import diversity
    from singan_core.tensors import to_arrays

    gen = torch.Generator().manual_seed(PROBE_SEED)

    def noise(s: int, k: int, shape: tuple[int, int]) -> torch.Tensor:
        return torch.randn(k, model.noise_channels(s), *shape, generator=gen)

    with torch.no_grad():
        zeros = torch.zeros(n, model.channels, *model.shapes[0])
        x = model.run(0, zeros, list(model.shapes), noise, last=last)
    return diversity(to_arrays(x, model.dtype), model.image)


def run_one(job: dict, n: int, probe: int, stem, models: Path | None) -> dict:
    from singan_core.imageio import load_image
    from singan_core.metrics.diversity import diversity
    from singan_core.metrics.sifid import sifid_many
    from singan_core.tasks.sample import generate
    from singan_core.train import train

    cfg, checks = parse_config(job["config"], job["size"], job["iterations"], job["seed"])
    during: list[float] = []

    def on_scale_done(model) -> None:
        during.append(scale_diversity(model, model.num_trained - 1, probe))

    t0 = time.perf_counter()
    model = train(
        load_image(PHOTOS[job["photo"]]), cfg, device="cpu", on_scale_done=on_scale_done, finite_checks=checks
    )
    record = {
        **job,
        "seconds": round(time.perf_counter() - t0, 1),
        "noise_amps": [round(a, 5) for a in model.noise_amps],
        "div_during": [round(d, 4) for d in during],
        "div_final": [round(scale_diversity(model, s, probe), 4) for s in range(model.num_scales)],
    }
    for start, tag in ((0, "N"), (1, "N-1")):
        samples = generate(model, n=n, seed=1000 + job["seed"], start_scale=start)
        record[f"div_{tag}"] = diversity(samples, model.image)
        for dims in (64, 192):
            record[f"sifid{dims}_{tag}"] = sifid_many(model.image, samples, stem=stem, dims=dims).mean
    record["ratio"] = record["div_N-1"] / record["div_N"]
    if models is not None:  # the model and fidelity.py's strip: image, reconstruction, 4 from N / N-1
        name = f"{job['photo']}_{job['config']}_{job['seed']}_{job['iterations']}".replace(".", "-")
        save_strip(model, models / name)  # no dot in the stem: save_strip adds the suffixes
    return record


def _ms(values: list[float], digits: int) -> str:
    if len(values) < 2:
        return f"{values[0]:.{digits}f}" if values else "-"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


COLUMNS = [
    ("amp 1", lambda r: r["noise_amps"][1], 4),
    ("SIFID-64 N", lambda r: r["sifid64_N"], 2),
    ("SIFID-192 N", lambda r: r["sifid192_N"], 2),
    ("SIFID-192 N-1", lambda r: r["sifid192_N-1"], 2),
    ("div N", lambda r: r["div_N"], 3),
    ("div N-1", lambda r: r["div_N-1"], 3),
    ("N-1 / N", lambda r: r["ratio"], 2),
    ("s", lambda r: r["seconds"], 0),
]


def tables(records: list[dict]) -> str:
    head = "| config | trainings | " + " | ".join(c[0] for c in COLUMNS) + " |"
    out = [head, "|---|---|" + "---|" * len(COLUMNS)]
    for c in dict.fromkeys(r["config"] for r in records):
        rs = [r for r in records if r["config"] == c]
        out.append(
            f"| {c} | {len(rs)} | " + " | ".join(_ms([f(r) for r in rs], d) for _, f, d in COLUMNS) + " |"
        )
    out += [
        "",
        "| photo | seed | config | div N-1 | div N | N-1 / N | SIFID-192 N | div per scale: after it / final |",
    ]
    out.append("|---|---|---|---|---|---|---|---|")
    for r in records:
        per = " ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(r["div_during"], r["div_final"], strict=True))
        out.append(
            f"| {r['photo']} | {r['seed']} | {r['config']} | {r['div_N-1']:.3f} | {r['div_N']:.3f} | "
            f"{r['ratio']:.2f} | {r['sifid192_N']:.2f} | {per} |"
        )
    return "\n".join(out)


def _key(r: dict) -> tuple:
    return (r["config"], r["photo"], r["seed"], r["size"], r["iterations"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--photos", nargs="+", default=["colusseum", "balloons"], choices=list(PHOTOS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--configs", nargs="+", default=["fast+train.redraw_coarse_rec_noise=false", "fast"])
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--iterations", type=int, default=120)
    p.add_argument("--n", type=int, default=20, help="samples per start scale for SIFID and diversity")
    p.add_argument("--probe", type=int, default=12, help="samples per scale for the per-scale diversity")
    p.add_argument("--out", type=Path, default=REPO / "out" / "fast_variety" / "runs.jsonl")
    p.add_argument("--table", action="store_true", help="only print the tables of the recorded runs")
    args = p.parse_args(argv)
    if not args.table:
        import torch

        from singan_core.metrics.weights import load_inception

        torch.set_num_threads(1)
        stem = load_inception()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        done = {_key(r) for r in load(args.out)}
        for seed, photo, config in itertools.product(args.seeds, args.photos, args.configs):
            job = dict(config=config, photo=photo, seed=seed, size=args.size, iterations=args.iterations)
            if _key(job) not in done:
                print(f"{time.strftime('%H:%M:%S')} {photo} {seed} {config}", file=sys.stderr, flush=True)
                record = run_one(job, args.n, args.probe, stem, args.out.parent / "models")
                with args.out.open("a") as f:
                    f.write(json.dumps(record) + "\n")
    print(tables([r for r in load(args.out) if r["photo"] in args.photos or args.table]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
