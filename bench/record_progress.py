"""Record the updates of one real training through a local server, as JSON lines (test data for the
client's progress model, tests/data/progress/).

    python3 bench/record_progress.py IMAGE OUT.jsonl [--preset fast] [--set key=value ...]

Each line: the client's monotonic time ``t`` (seconds since Train was sent), the machine's 1-minute load
average ``load`` and the update's fields (state, scale, num_scales, iteration, iterations, elapsed_s,
eta_s, fraction); previews are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from host_plugin.client import Client, JobUpdate, RawImage
from inference_server.server import build_server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("image")
    ap.add_argument("out")
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--set", action="append", default=[], help="config override key=value")
    args = ap.parse_args()
    arr = np.asarray(Image.open(args.image).convert("RGB"))
    raw = RawImage(width=arr.shape[1], height=arr.shape[0], channels=3, pixels=arr.tobytes())
    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    with tempfile.TemporaryDirectory() as store, open(args.out, "w") as out:
        server = build_server(port=0, models_dir=Path(store))
        try:
            with Client(address=server.address) as client:
                t0 = time.monotonic()

                def on_update(u: JobUpdate) -> None:
                    keys = (
                        "scale",
                        "num_scales",
                        "iteration",
                        "iterations",
                        "elapsed_s",
                        "eta_s",
                        "fraction",
                    )
                    row = {"t": round(time.monotonic() - t0, 3), "load": os.getloadavg()[0]}
                    row["state"] = str(u.state)
                    row.update({k: getattr(u, k) for k in keys})
                    out.write(json.dumps(row) + "\n")
                    out.flush()  # a run cut short still leaves its updates

                last = client.train(raw, preset=args.preset, overrides=overrides, on_update=on_update)
        finally:
            server.stop()
    print(f"{last.state} after {time.monotonic() - t0:.1f} s -> {args.out}")
    print(f"threads: torch default, cpus {os.cpu_count()}")


if __name__ == "__main__":
    main()
