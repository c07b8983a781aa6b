"""The instant engine's memory estimate (singan_core.budget.instant_peak_bytes) against peaks measured in a
fresh process (peak RSS increase, CPU, one thread) for cases that were not used to fit its coefficients."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from singan_core.budget import instant_peak_bytes
from singan_core.instant import InstantConfig

GIB = 2**30

# Runs in a fresh process: one instant result on a textured image; prints the peak RSS increase.
MEASURE = r"""
import json, sys
import numpy as np, torch
torch.set_num_threads(1)
from singan_core.instant import fill, variation

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

spec = json.loads(sys.argv[1])
h, w = spec["size"]
yy, xx = np.mgrid[0:h, 0:w]
noise = np.random.default_rng(0).normal(0, 20, (h, w, 3))
img = (128 + 60 * np.sin(xx / 7.0)[..., None] + 40 * np.cos(yy / 11.0)[..., None] + noise)
img = img.clip(0, 255).astype(np.uint8)
variation(img[:64, :64].copy(), seed=0)  # kernels and thread pools warmed up
if spec["kind"] == "fill":
    mask = np.zeros((h, w), np.uint8)
    t, left, hh, hw = *spec["at"], *spec["hole"]
    mask[t : t + hh, left : left + hw] = 255
open("/proc/self/clear_refs", "w").write("5")  # reset the peak to the current RSS
before = status("VmRSS")
if spec["kind"] == "fill":
    fill(img, mask, seed=0)
else:
    variation(img, tuple(spec["out"]), seed=0)
print(json.dumps({"peak": status("VmHWM") - before}))
"""


def measured_peak(spec: dict) -> int:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak"]


def test_estimate_grows_with_canvas_source_and_count() -> None:
    cfg = InstantConfig()
    one = instant_peak_bytes(cfg, (1000, 1000), (1000, 1000))
    assert instant_peak_bytes(cfg, (2000, 2000), (1000, 1000)) > 3 * (
        one - instant_peak_bytes(cfg, (1, 1), (1, 1))
    )
    assert instant_peak_bytes(cfg, (1000, 1000), (1000, 1000), n=8) > one
    assert instant_peak_bytes(cfg, (1000, 1000), (1000, 1000), (100, 100)) < one  # a fill's small hole
    # the targets: a 2048x1536 variation and a 400x400 fill in it, under 4 GiB
    assert instant_peak_bytes(cfg, (1536, 2048), (1536, 2048)) < 2 * GIB
    assert instant_peak_bytes(cfg, (1536, 2048), (1536, 2048), (406, 406)) < GIB


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "variation", "size": [480, 640], "out": [480, 1280]},
        {"kind": "fill", "size": [900, 1200], "hole": [260, 180], "at": [300, 500]},
    ],
    ids=["variation-640x480-to-1280x480", "fill-180x260-in-1200x900"],
)
def test_estimate_within_25_percent_of_the_measured_peak(spec: dict) -> None:
    h, w = spec["size"]
    if spec["kind"] == "fill":
        k = InstantConfig().patch_size
        query = (spec["hole"][0] + 2 * (k - 1), spec["hole"][1] + 2 * (k - 1))
        estimate = instant_peak_bytes(InstantConfig(), (h, w), (h, w), query)
    else:
        estimate = instant_peak_bytes(InstantConfig(), tuple(spec["out"]), (h, w))
    measured = measured_peak(spec)
    assert abs(estimate / measured - 1) <= 0.25, (estimate >> 20, measured >> 20)
