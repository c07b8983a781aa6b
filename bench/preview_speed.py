"""How long the dialogs' preview takes (issue 17): the Harmonize / Edit / Paint to image call the
plugin's preview makes (host_plugin.common.preview: the captured composite shrunk to the model's size,
through a real server on loopback and the plugin's client), against the full-resolution action on the
same composite. Median of N interleaved runs per row; prints a Markdown table.

    python bench/preview_speed.py --repeats 5 --document 1200

The model: the ``fast`` preset (160 px, its real scale count) on balloons.png with few iterations
(inference time depends on the model's size and scales, not on how long it trained).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from host_plugin.client import CancelToken, Client, RawImage
from host_plugin.common.preview import Previewer, PreviewRequest, shrink
from inference_server.server import build_server

ASSET = Path(__file__).resolve().parents[1] / "singan_core" / "assets" / "balloons.png"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=10, help="training iterations per scale")
    ap.add_argument("--document", type=int, default=1200, help="the composite's longer side (px)")
    ap.add_argument(
        "--mask", type=float, default=1 / 6, help="the pasted square's side, a fraction of the image"
    )
    args = ap.parse_args()
    source = Image.open(ASSET).convert("RGB")
    scale = args.document / max(source.size)
    doc = source.resize((round(source.width * scale), round(source.height * scale)), Image.LANCZOS)
    w, h = doc.size
    arr = np.asarray(doc).copy()
    mask = np.zeros((h, w), np.uint8)
    y0, x0, y1, x1 = (round(v) for v in (h / 3, w / 3, h / 3 + h * args.mask, w / 3 + w * args.mask))
    mask[y0:y1, x0:x1] = 255
    arr[y0:y1, x0:x1] = (230, 40, 40)  # a pasted red block to harmonize
    composite = RawImage(w, h, 3, arr.tobytes(), mask=mask.tobytes())
    train_image = RawImage(source.width, source.height, 3, np.asarray(source).tobytes())
    overrides = {"train.iterations": args.iterations, "train.lr_decay_iteration": max(1, args.iterations - 2)}
    with tempfile.TemporaryDirectory() as models, build_server(port=0, models_dir=Path(models)) as server:
        with Client(address=server.address) as client:
            started = time.monotonic()
            done = client.train(train_image, preset="fast", overrides=overrides)
            assert done.state == "SUCCEEDED", done.error
            info = client.get_model(done.model_id)
            print(
                f"model {info.width}x{info.height}, {info.num_scales} scales, trained in "
                f"{time.monotonic() - started:.0f} s; composite {w}x{h}, pasted {x1 - x0}x{y1 - y0}; load {os.getloadavg()[0]:.1f}"
            )
            previewer = Previewer(client)
            request = PreviewRequest("harmonize", done.model_id, composite, 0, None, None)
            t0 = time.monotonic()
            small = shrink(composite, max(info.width, info.height))
            shrink_s = time.monotonic() - t0
            rows: dict[str, list[float]] = {"preview (shrink + call)": [], "full-resolution harmonize": []}
            for i in range(args.repeats):
                request = PreviewRequest("harmonize", done.model_id, composite, i, None, None)
                rows["preview (shrink + call)"].append(previewer.render(request, CancelToken()).seconds)
                t0 = time.monotonic()
                client.harmonize(done.model_id, composite, seed=i, region_only=True)
                rows["full-resolution harmonize"].append(time.monotonic() - t0)
            print(f"\nshrink {w}x{h} -> {small.width}x{small.height}: {shrink_s:.2f} s (once per dialog)\n")
            print("| call | median s | min s | max s |\n|---|---|---|---|")
            for name, times in rows.items():
                print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")
            print(f"\nload average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
