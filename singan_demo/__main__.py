"""End-to-end demo through the server: start ``singan-server`` on loopback, train the bundled sample
(balloons.png) through the pure-Python client, fetch random samples, stop the server, print the outputs.

    python -m singan_demo [--preset fast] [--samples 4] [--out singan-demo]
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np

from host_plugin.client import Client, JobUpdate, RawImage
from inference_server.server import build_server
from singan_core.imageio import load_image, save_image


def _to_raw(arr: np.ndarray) -> RawImage:
    h, w, c = arr.shape
    depth = 16 if arr.dtype == np.uint16 else 8
    data = arr.astype("<u2").tobytes() if depth == 16 else np.ascontiguousarray(arr).tobytes()
    return RawImage(w, h, c, data, bit_depth=depth)


def _to_array(img: RawImage) -> np.ndarray:
    dtype = np.dtype("<u2") if img.bit_depth == 16 else np.dtype(np.uint8)
    arr = np.frombuffer(img.pixels, dtype).reshape(img.height, img.width, img.channels)
    return arr.astype(np.uint16 if img.bit_depth == 16 else np.uint8)


def _progress(update: JobUpdate) -> None:
    if update.state == "RUNNING" and update.num_scales:
        eta = f"{update.eta_s:5.0f}s left" if update.eta_s >= 0 else "      "
        done = " (scale done)" if update.preview is not None else ""
        print(
            f"\r  scale {update.scale + 1}/{update.num_scales}  iteration {update.iteration:4d}/{update.iterations}"
            f"  {update.fraction * 100:3.0f}%  {eta}{done}   ",
            end="" if not done else "\n",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="singan-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast", help="fast or paper (default fast)")
    parser.add_argument("--samples", type=int, default=4, help="random samples to fetch (default 4)")
    parser.add_argument(
        "--out", type=Path, default=Path("singan-demo"), help="output folder (default ./singan-demo)"
    )
    parser.add_argument(
        "--image", type=Path, default=None, help="train on this image instead of balloons.png"
    )
    parser.add_argument("--iterations", type=int, default=None, help="override iterations per scale")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    if args.image is not None:
        image = load_image(args.image)
    else:
        with resources.as_file(resources.files("singan_core") / "assets" / "balloons.png") as path:
            image = load_image(path)
    out = args.out.resolve()
    overrides = {"train.iterations": args.iterations} if args.iterations else None
    started = time.monotonic()
    print(f"starting singan-server on 127.0.0.1 (models in {out / 'models'})", file=sys.stderr)
    with build_server(host="127.0.0.1", port=0, models_dir=out / "models", device=args.device) as server:
        with Client(address=server.address) as client:
            info = client.server_info()
            print(
                f"connected to {server.address}: server {info.version} on {info.device.name}", file=sys.stderr
            )
            print(
                f"training on a {image.shape[1]}x{image.shape[0]} image, preset {args.preset!r}",
                file=sys.stderr,
            )
            done = client.train(
                _to_raw(image), preset=args.preset, overrides=overrides, name="demo", on_update=_progress
            )
            print(file=sys.stderr)
            if done.state != "SUCCEEDED":
                print(f"training {done.state.lower()}: {done.error}", file=sys.stderr)
                return 1
            samples = client.generate(done.model_id, n=args.samples, seed=0)
            checkpoint = out / f"{done.model_id}.singan"
            client.export_model(done.model_id, str(checkpoint))
    print("server stopped", file=sys.stderr)
    paths = []
    for i, sample in enumerate(samples):
        path = out / "samples" / f"sample_{i:02d}.png"
        save_image(_to_array(sample), path)
        paths.append(path)
    print(f"done in {time.monotonic() - started:.0f}s")
    print(f"model:   {checkpoint}")
    print(f"samples: {out / 'samples'} ({', '.join(p.name for p in paths)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
