"""The GPU check (issue 19), second half, on a CPU machine: SIFID and diversity of the GPU-trained
samples against a model trained on the CPU at the same settings.

    python bench/gpu_results.py out/gpu/gpu-results.zip --cpu-model colusseum-paper.singan
    python bench/gpu_results.py out/gpu/gpu-results.zip     # trains the CPU model first (paper: hours)
    python bench/gpu_results.py /tmp/g/gpu-results.zip --smoke   # the file of `bench/gpu.sh --smoke`

"The same settings" means the same model id: the GPU run's image and configuration (execution-only
switches such as bf16 autocast, compile or the thread count do not change the id). Without
``--cpu-model`` the CPU model is trained from ``--image`` with the GPU run's configuration and saved
after every scale to ``--save-cpu-model`` (default: beside the results file), so an interrupted
training resumes. Prints the GPU run's table again, then one table: SIFID (mean and spread over the
samples) from N and N-1 and diversity of both models' samples, drawn the same way (same count, seeds).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gpu import DEFAULT_IMAGE  # noqa: E402 - beside this script, which is run as a file
from gpu_pack import START_SCALES, ResultsError, read_results  # noqa: E402


def _cpu_model(args: argparse.Namespace, meta: dict[str, Any]):
    """The CPU-trained model with the GPU run's model id: loaded, resumed or trained."""
    from singan_core.checkpoint import load_checkpoint, save_checkpoint
    from singan_core.config import config_from_dict
    from singan_core.errors import CheckpointError, ImageError
    from singan_core.fingerprint import model_id
    from singan_core.imageio import load_image, prepare_training_image
    from singan_core.train import TrainProgress, train

    want = meta["model_id"]
    if args.cpu_model:
        model = load_checkpoint(args.cpu_model)
        if model.model_id != want:
            raise CheckpointError(
                f"{args.cpu_model}: trained on another image or with other settings than the GPU run "
                f"(model id {model.model_id} vs {want}); leave out --cpu-model to train one"
            )
        if not model.is_complete:
            raise CheckpointError(
                f"{args.cpu_model}: {model.num_trained} of {model.num_scales} scales trained; finish it "
                "first (train again with the same settings: it resumes)"
            )
        return model
    cfg = config_from_dict(meta["config"])
    image = prepare_training_image(load_image(args.image))
    if model_id(image, cfg) != want:
        raise ImageError(f"{args.image}: not the image the GPU run trained on (its model id differs)")
    path = args.save_cpu_model or args.results.parent / f"{cfg.preset}-cpu.singan"
    resume = load_checkpoint(path) if path.is_file() else None
    if resume is not None and resume.model_id != want:
        raise CheckpointError(f"{path}: holds another model; pass another --save-cpu-model")
    if resume is not None and resume.is_complete:
        return resume
    print(f"training the CPU model ({cfg.preset} preset) to {path} ...", file=sys.stderr, flush=True)

    def progress(p: TrainProgress) -> None:
        if p.scale_done:
            print(
                f"  scale {p.scale + 1}/{p.num_scales} done, {p.elapsed_s:.0f} s", file=sys.stderr, flush=True
            )

    return train(
        image,
        cfg,
        device="cpu",
        progress=progress,
        on_scale_done=lambda m: save_checkpoint(m, path),
        resume=resume,
    )


def _row(name: str, train_s: float | None, sifids: dict[str, Any], divs: dict[str, float]) -> dict[str, Any]:
    return {
        "model": name,
        "train_s": train_s,
        "sifid": {k: {"mean": r.mean, "std": r.std, "n": len(r.values)} for k, r in sifids.items()},
        "diversity": divs,
    }


def measure(meta, real_png: bytes, packed: dict[str, list[bytes]], cpu_model, stem) -> list[dict[str, Any]]:
    """SIFID and diversity of the packed GPU samples and of as many CPU samples drawn the same way."""
    from singan_core.imageio import decode_image
    from singan_core.metrics.diversity import diversity
    from singan_core.metrics.sifid import sifid_many
    from singan_core.tasks.sample import generate

    real = decode_image(real_png)
    if not np.array_equal(real, cpu_model.image):
        print("NOTE: the GPU run's training image differs from the CPU model's", file=sys.stderr)
    seed = int(meta["samples"]["seed"])
    keys = [k for k in START_SCALES if k in packed and START_SCALES[k] < cpu_model.num_trained]
    gpu = {k: [decode_image(b) for b in packed[k]] for k in keys}
    cpu = {k: generate(cpu_model, n=len(gpu[k]), seed=seed, start_scale=START_SCALES[k]) for k in keys}
    rows = []
    for name, train_s, samples, ref in (
        (f"GPU-trained ({meta['device']})", meta.get("train_s"), gpu, real),
        ("CPU-trained", sum(cpu_model.train_seconds), cpu, cpu_model.image),
    ):
        sifids = {k: sifid_many(ref, samples[k], stem=stem) for k in keys}
        rows.append(_row(name, train_s, sifids, {k: diversity(samples[k], ref) for k in keys}))
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0]["sifid"])
    head = " | ".join([*(f"SIFID {k}" for k in keys), *(f"diversity {k}" for k in keys)])
    lines = [f"| model | training time | {head} |", "|---|---|" + "---|" * (2 * len(keys))]
    for r in rows:
        t = "-" if r["train_s"] is None else f"{r['train_s'] / 60:.1f} min"
        cells = [f"{r['sifid'][k]['mean']:.3f} ± {r['sifid'][k]['std']:.3f}" for k in keys]
        cells += [f"{r['diversity'][k]:.3f}" for k in keys]
        lines.append(f"| {r['model']} | {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, help="gpu-results.zip from bench/gpu.sh")
    ap.add_argument("--cpu-model", type=Path, help="an existing CPU-trained model with the same settings")
    ap.add_argument(
        "--save-cpu-model", type=Path, help="where to train the CPU model (default beside results)"
    )
    ap.add_argument(
        "--image", type=Path, default=DEFAULT_IMAGE, help="the GPU run's image (default colusseum)"
    )
    ap.add_argument("--smoke", action="store_true", help="allow a random Inception stem (no weights needed)")
    ap.add_argument("--json", type=Path, help="also write the table's numbers as JSON")
    args = ap.parse_args(argv)

    from singan_core.errors import SinGANError
    from singan_core.metrics.weights import load_inception

    try:
        meta, real_png, packed = read_results(args.results)
        if "N" not in packed:
            raise ResultsError(
                f"{args.results}: the GPU run wrote no samples (its training finished no scale)"
            )
        cpu_model = _cpu_model(args, meta)
        stem = load_inception(allow_random=args.smoke)
        rows = measure(meta, real_png, packed, cpu_model, stem)
    except (ResultsError, SinGANError, OSError) as exc:
        ap.exit(2, f"bench/gpu_results.py: {exc}\n")
    print(f"GPU run: {meta['device']}, torch {meta['torch']}; its table:\n\n{meta['table']}\n")
    stem_note = "pretrained FID Inception" if stem.pretrained else "RANDOM Inception stem: not comparable"
    if meta.get("stopped"):
        print("NOTE: the GPU training stopped at its time limit; its model is not complete.\n")
    print(
        f"Quality ({stem_note}; {len(packed.get('N', []))} samples per start scale, seed {meta['samples']['seed']}):\n"
    )
    print(format_table(rows))
    gpu_n, cpu_n = rows[0]["sifid"]["N"]["mean"], rows[1]["sifid"]["N"]["mean"]
    ratio = gpu_n / cpu_n if cpu_n > 0 else math.inf
    if math.isfinite(ratio):
        print(f"\nSIFID N, GPU over CPU: {ratio:.2f} (goal: <= 1, no worse than the CPU-trained model)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "pretrained": stem.pretrained, "ratio_N": ratio}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
