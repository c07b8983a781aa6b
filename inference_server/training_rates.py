"""What a training will take on this server: a record of finished trainings' measured speed, and the
estimate built from it before a training starts (the ``EstimateTraining`` RPC).

A training's predicted cost is the sum over its scales of iterations x cost units per iteration
(:func:`singan_core.eta.iteration_units`: pixels x channels^2 of every network an iteration trains, plus
each network's fixed overhead), the same law the running training's ETA uses. Each finished training adds
one point per scale, (units, wall seconds per iteration, iterations) (set-up, thread probes and a busy
machine included: that is what a person waits for), to ``training-rates.json`` in the models folder; the
estimate is this server's measured seconds per unit times the new training's units. Before any training
has finished it uses a default for the device kind, and says so. Records of an older law (no ``law`` key
or another one) are left out: their points are in other units.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from singan_core.config import SinGANConfig, iterations_at
from singan_core.eta import iteration_units
from singan_core.model import SinGANModel
from singan_core.pyramid import plan_pyramid

RATES_FILE = "training-rates.json"
#: Finished trainings kept (the newest): the machine, its load and the code change over time.
KEEP = 20
LAW = "units-1"  # the points' units: singan_core.eta.iteration_units as of issue 17
#: Seconds per cost unit where no training has finished yet. CPU: the fast preset's trainings of
#: balloons at 120 px on the 2-core development machine under load (tests/data/progress: 689 and 690 s
#: for 21.4e9 units). CUDA/MPS: a guess (no GPU measured yet), about 10 ms per network per iteration.
DEFAULTS: dict[str, float] = {"cpu": 3.2e-8, "cuda": 3e-11, "mps": 2e-10}
#: How far the guess may be off: measured spread of the recorded trainings, at least this share.
MIN_SPREAD = 0.25
DEFAULT_SPREAD = (0.5, 2.0)  # low and high factors of a default guess

_lock = threading.Lock()


def scale_points(model: SinGANModel, device: str) -> list[tuple[float, float, int]]:
    """(cost units, wall seconds per iteration, iterations) of each scale ``model`` trained."""
    n = model.num_scales
    points = []
    for scale, seconds in enumerate(model.train_seconds[:n]):
        its = iterations_at(model.config.train, scale, n)
        units = iteration_units(model.config, model.shapes, scale, device)
        if seconds > 0 and units > 0:
            points.append((units, seconds / its, its))
    return points


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []  # none yet, or damaged: the estimate falls back to the default and says so
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def record_training(models_dir: Path, model: SinGANModel, device: str) -> None:
    """Add a finished training's per-scale speed to the record (atomic; the newest ``KEEP`` kept)."""
    points = scale_points(model, device)
    if len(points) < len(model.shapes):
        return  # resumed from another run's scales or cut short: not one run's speed
    entry = {
        "model_id": model.model_id,
        "preset": model.config.preset,
        "device": device,
        "law": LAW,
        "seconds": sum(model.train_seconds),
        "points": [list(p) for p in points],
    }
    path = Path(models_dir) / RATES_FILE
    with _lock:
        records = [r for r in _read(path) if r.get("model_id") != model.model_id] + [entry]
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(records[-KEEP:]))
        os.replace(tmp, path)


def load_records(models_dir: Path, device: str) -> list[dict[str, Any]]:
    """The recorded trainings made on ``device`` (a kind: cpu, cuda, mps) under today's law, oldest first."""

    def usable(r: dict[str, Any]) -> bool:
        points = r.get("points")
        if not isinstance(points, list) or not points or r.get("law") != LAW:
            return False
        return all(isinstance(p, list) and len(p) == 3 and all(_positive(x) for x in p) for p in points)

    return [r for r in _read(Path(models_dir) / RATES_FILE) if r.get("device") == device and usable(r)]


def _positive(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0


@dataclass(frozen=True)
class TrainingEstimate:
    seconds: float
    low: float
    high: float
    shapes: tuple[tuple[int, int], ...]  # (H, W) per scale, coarsest first
    basis: str


def _seconds_per_unit(records: list[dict[str, Any]]) -> float:
    """The recorded trainings' wall seconds over their cost units (each scale's iterations x units)."""
    units = sum(float(p[0]) * float(p[2]) for r in records for p in r["points"])
    seconds = sum(float(p[1]) * float(p[2]) for r in records for p in r["points"])
    return seconds / units


def estimate_training(
    height: int, width: int, config: SinGANConfig, records: list[dict[str, Any]], device: str
) -> TrainingEstimate:
    """Wall time of training ``config`` on a ``width`` x ``height`` image on this server.

    With recorded trainings: their seconds per cost unit times this training's units; the range is how
    far that was off on each recorded training (predicted from the others where there are several), at
    least +-``MIN_SPREAD``.
    """
    shapes = plan_pyramid(height, width, config.pyramid).shapes
    n = len(shapes)
    units = sum(
        iteration_units(config, shapes, s, device) * iterations_at(config.train, s, n) for s in range(n)
    )
    if not records:
        seconds = DEFAULTS.get(device, DEFAULTS["cpu"]) * units
        low, high = DEFAULT_SPREAD
        basis = f"a default for this device ({device}): no training has finished on this server yet"
        return TrainingEstimate(seconds, seconds * low, seconds * high, shapes, basis)
    seconds = _seconds_per_unit(records) * units
    ratios = []
    for i, record in enumerate(records):
        others = [r for j, r in enumerate(records) if j != i] or records
        predicted = _seconds_per_unit(others) * sum(float(p[0]) * float(p[2]) for p in record["points"])
        took = sum(float(p[1]) * float(p[2]) for p in record["points"])
        ratios.append(took / predicted)
    low_f = min([1.0 - MIN_SPREAD, *ratios])
    high_f = max([1.0 + MIN_SPREAD, *ratios])
    count = len(records)
    basis = f"measured on this server ({count} training{'s' if count != 1 else ''})"
    return TrainingEstimate(seconds, seconds * low_f, seconds * high_f, shapes, basis)
