"""The rows of ``bench/speed.py``: each one configuration (a preset plus overrides), with which of the
three measurements it gets. Each row adds one change to the row before it (within a preset)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any


@dataclasses.dataclass(frozen=True)
class Row:
    label: str
    preset: str
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    quality: bool = False  # train at the reduced size and measure SIFID / diversity
    measured: bool = False  # train in full on the 250 px image and report the wall time
    timing: bool = True  # time iterations at the coarsest, middle and finest scale
    images: tuple[str, ...] = ()  # quality images for this row (default: --quality-images)
    cuda_only: bool = False  # the change only acts on a CUDA device: skipped elsewhere


# Each row adds one change to the row before it (within a preset). The paper preset runs bf16 autocast
# by default now (where native): the rows before that change pin fp32.
_SHORT = {"train.iterations": 300, "train.lr_decay_iteration": 240}
_FP32 = {"exec.autocast_bf16": False}

ROWS: list[Row] = [
    Row(
        "paper: per-step regeneration + rec recomputed, all cores (before)",
        "paper",
        {"train.prev_bank_size": 0, "exec.rec_cache": False, "exec.threads": -1, **_FP32},
    ),
    Row("paper: + frozen-pyramid bank + cached rec input", "paper", {"exec.threads": -1, **_FP32}),
    Row("paper: + thread tuning (fp32)", "paper", _FP32, quality=True),
    Row("paper: + channels_last", "paper", {"exec.channels_last": True, **_FP32}),
    Row("paper: + bf16 autocast (AMX) (default; the reference for fast)", "paper", quality=True),
    Row("fast (before: fp32, 8 scales, 400 iterations)", "fast-old"),
    Row("fast (previous: bf16, 6 scales, 200 iterations)", "fast-200", quality=True),
    Row("fast: + 3 concurrent stages (ConSinGAN)", "fast-cs3", quality=True),
    Row("fast (now): + coarsest scale x6 iterations (1200 ... 200)", "fast", quality=True, measured=True),
    Row("fast + early stop", "fast", {"train.early_stop": True, "train.early_stop_window": 50}, quality=True),
    Row("consingan (3 concurrent stages, 3 layers x 64 ch)", "consingan", quality=True),
    # Quality checks of the execution-only changes, at 300 iterations per scale to fit the CPU:
    Row(
        "check, paper 300 it: per-step regeneration + rec recomputed",
        "paper",
        {"train.prev_bank_size": 0, "exec.rec_cache": False, **_SHORT, **_FP32},
        quality=True,
        timing=False,
    ),
    Row(
        "check, paper 300 it: bank + cached rec",
        "paper",
        {**_SHORT, **_FP32},
        quality=True,
        timing=False,
    ),
    Row(
        "check, paper 300 it: bank + cached rec + bf16",
        "paper",
        {"exec.autocast_bf16": True, **_SHORT},
        quality=True,
        timing=False,
    ),
    # torch.compile of the generator (the critic needs double backward). Timing excludes the compile
    # itself (each timed run compiles; the difference of two runs cancels it): see the per-run log lines.
    Row("paper (default, bf16) + torch.compile (generator)", "paper", {"exec.compile": True}),
    Row(
        "paper: + bf16 + torch.compile with CUDA graphs (GPU only)",
        "paper",
        {"exec.autocast_bf16": True, "exec.compile": True, "exec.cuda_graphs": True},
        cuda_only=True,
    ),
]

# Candidate and earlier presets, as overrides of a preset in config.py.
CANDIDATES: dict[str, tuple[str, dict[str, Any]]] = {
    "consingan": (
        "fast",
        {
            "pyramid.max_size": 160,
            "pyramid.scale_factor": 0.7,
            "network.num_layers": 3,
            "network.base_channels": 64,
            "network.max_channels": 64,
            "train.iterations": 400,
            "train.lr_decay_iteration": 320,
            "train.coarse_iterations_factor": 1.0,
            "train.concurrent_stages": 3,
            "train.stage_lr_scale": 0.1,
        },
    ),
    "fast-old": (
        "fast",
        {
            "pyramid.scale_factor": 0.75,
            "exec.autocast_bf16": False,
            "train.iterations": 400,
            "train.lr_decay_iteration": 320,
            "train.coarse_iterations_factor": 1.0,
            "train.concurrent_stages": 1,
        },
    ),
    "fast-cs3": ("fast", {"train.coarse_iterations_factor": 1.0}),
    "fast-200": (
        "fast",
        {
            "pyramid.scale_factor": 0.7,
            "train.iterations": 200,
            "train.lr_decay_iteration": 160,
            "train.coarse_iterations_factor": 1.0,
            "train.concurrent_stages": 1,
        },
    ),
}


def resolve(preset: str, overrides: dict[str, Any]):
    from singan_core.config import get_preset, with_overrides

    if preset in CANDIDATES:
        base, changes = CANDIDATES[preset]
        cfg = dataclasses.replace(with_overrides(get_preset(base), changes), preset=preset)
    else:
        cfg = get_preset(preset)
    overrides = dict(overrides)
    if overrides.get("exec.threads") == -1:  # torch's default: every core, no tuning
        overrides["exec.threads"] = os.cpu_count() or 1
    return with_overrides(cfg, overrides) if overrides else cfg
