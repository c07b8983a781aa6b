"""The packed results file that ``bench/gpu.py`` writes on the GPU machine and ``bench/gpu_results.py``
reads back on a CPU machine: one zip (stored, the PNGs are compressed already) holding

* ``results.json``: the device, the timings of every row, the table as printed, the full run's config and
  model id, how the samples were drawn;
* ``real.png``: the training image at the model's resolution (what SIFID compares against);
* ``samples/N/000.png ...`` and ``samples/N-1/000.png ...``: the samples from the paper's scale N (pure
  noise) and N-1 (the coarsest layout kept).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

FORMAT = "singan-gpu-results"
FORMAT_VERSION = 1
START_SCALES = {"N": 0, "N-1": 1}  # sample folder -> start scale


class ResultsError(Exception):
    """The results file is missing, damaged or of another kind (one line, for the user)."""


def write_results(
    path: str | os.PathLike[str], meta: dict[str, Any], real_png: bytes, samples: dict[str, list[bytes]]
) -> None:
    """Write the results file atomically (a temp file beside it, then a rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        z.writestr("results.json", json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **meta}))
        z.writestr("real.png", real_png)
        for key, pngs in samples.items():
            for i, data in enumerate(pngs):
                z.writestr(f"samples/{key}/{i:03d}.png", data)
    os.replace(tmp, p)


def read_results(path: str | os.PathLike[str]) -> tuple[dict[str, Any], bytes, dict[str, list[bytes]]]:
    """(meta, real image PNG, {"N": [PNG, ...], "N-1": [...]}) from a results file."""
    p = Path(path)
    if not p.is_file():
        raise ResultsError(f"{p}: no such results file (bench/gpu.sh writes OUT/gpu-results.zip)")
    try:
        with zipfile.ZipFile(p) as z:
            meta = json.loads(z.read("results.json"))
            real = z.read("real.png")
            names = sorted(n for n in z.namelist() if n.startswith("samples/") and n.endswith(".png"))
            samples: dict[str, list[bytes]] = {}
            for name in names:
                samples.setdefault(name.split("/")[1], []).append(z.read(name))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ResultsError(f"{p}: not a complete GPU results file ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ResultsError(f"{p}: not a GPU results file (format {meta.get('format')!r})")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise ResultsError(f"{p}: written by a newer bench/gpu.py (format {meta['format_version']})")
    return meta, real, samples
