"""What a training will take on this server: a record of finished trainings' measured speed, and the
estimate built from it before a training starts (the ``EstimateTraining`` RPC).

A scale's time is modelled per iteration as ``overhead + rate * cost`` (:mod:`singan_core.eta`: cost =
the pixels x channels^2 of every network an iteration trains). Each finished training adds one point per
scale, its wall seconds per iteration (set-up, thread probes and a busy machine included: that is what a
person waits for), to ``training-rates.json`` in the models folder; the estimate fits the law to the
points of this server's device. Before any training has finished it uses a default for the device kind,
and says so.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from singan_core.config import SinGANConfig, iterations_at
from singan_core.eta import IterationTimeModel, iteration_cost
from singan_core.model import SinGANModel
from singan_core.pyramid import plan_pyramid

RATES_FILE = "training-rates.json"
#: Finished trainings kept (the newest): the machine, its load and the code change over time.
KEEP = 20
#: (overhead s, s per unit of cost) per iteration where no training has finished yet. CPU: fitted to the
#: fast preset's scales on the 2-core development machine under load (tests/data/progress); CUDA/MPS:
#: launch overhead dominates small SinGAN scales, so a flat guess.
DEFAULTS: dict[str, tuple[float, float]] = {
    "cpu": (0.4, 6e-8),
    "cuda": (0.03, 1.0e-9),
    "mps": (0.06, 5.0e-9),
}
#: How far the guess may be off: measured spread of the recorded trainings, at least this share.
MIN_SPREAD = 0.25
DEFAULT_SPREAD = (0.5, 2.0)  # low and high factors of a default guess

_lock = threading.Lock()


def scale_points(model: SinGANModel) -> list[tuple[float, float, int]]:
    """(cost, wall seconds per iteration, iterations) of each scale ``model`` trained."""
    n = model.num_scales
    points = []
    for scale, seconds in enumerate(model.train_seconds[:n]):
        its = iterations_at(model.config.train, scale, n)
        cost = iteration_cost(model.config, model.shapes, scale)
        if seconds > 0 and cost > 0:
            points.append((cost, seconds / its, its))
    return points


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []  # none yet, or damaged: the estimate falls back to the default and says so
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def record_training(models_dir: Path, model: SinGANModel, device: str) -> None:
    """Add a finished training's per-scale speed to the record (atomic; the newest ``KEEP`` kept)."""
    points = scale_points(model)
    if len(points) < len(model.shapes):
        return  # resumed from another run's scales or cut short: not one run's speed
    entry = {
        "model_id": model.model_id,
        "preset": model.config.preset,
        "device": device,
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
    """The recorded trainings made on ``device`` (a kind: cpu, cuda, mps), oldest first."""

    def usable(r: dict[str, Any]) -> bool:
        points = r.get("points")
        return isinstance(points, list) and all(isinstance(p, list) and len(p) == 3 for p in points)

    return [r for r in _read(Path(models_dir) / RATES_FILE) if r.get("device") == device and usable(r)]


@dataclass(frozen=True)
class TrainingEstimate:
    seconds: float
    low: float
    high: float
    shapes: tuple[tuple[int, int], ...]  # (H, W) per scale, coarsest first
    basis: str


def _law(points: list[tuple[float, float]]) -> IterationTimeModel:
    law = IterationTimeModel()
    for i, (cost, seconds) in enumerate(points):
        law.observe(i, cost, seconds)
    return law


def _total(law: IterationTimeModel, config: SinGANConfig, shapes: tuple[tuple[int, int], ...]) -> float:
    n = len(shapes)
    return sum(
        law.predict(iteration_cost(config, shapes, s)) * iterations_at(config.train, s, n) for s in range(n)
    )


def estimate_training(
    height: int, width: int, config: SinGANConfig, records: list[dict[str, Any]], device: str
) -> TrainingEstimate:
    """Wall time of training ``config`` on a ``width`` x ``height`` image on this server.

    With recorded trainings: the cost law fitted to all their scales; the range is how far that law was
    off on each recorded training (leave-one-out where there are several), at least +-``MIN_SPREAD``.
    """
    shapes = plan_pyramid(height, width, config.pyramid).shapes
    points = [(float(p[0]), float(p[1])) for r in records for p in r.get("points", [])]
    if not points:
        overhead, rate = DEFAULTS.get(device, DEFAULTS["cpu"])
        law = IterationTimeModel()
        law.observe("a", 1.0, overhead + rate)  # two points on the default line fix both coefficients
        law.observe("b", 1e6, overhead + rate * 1e6)
        seconds = _total(law, config, shapes)
        low, high = DEFAULT_SPREAD
        basis = f"a default for this device ({device}): no training has finished on this server yet"
        return TrainingEstimate(seconds, seconds * low, seconds * high, shapes, basis)
    seconds = _total(_law(points), config, shapes)
    ratios = []
    for i, record in enumerate(records):
        others = [(float(p[0]), float(p[1])) for j, r in enumerate(records) if j != i for p in r["points"]]
        law = _law(others if others else points)
        predicted = sum(law.predict(float(p[0])) * float(p[2]) for p in record["points"])
        if predicted > 0 and record.get("seconds", 0) > 0:
            ratios.append(float(record["seconds"]) / predicted)
    low_f = min([1.0 - MIN_SPREAD, *ratios]) if ratios else 1.0 - MIN_SPREAD
    high_f = max([1.0 + MIN_SPREAD, *ratios]) if ratios else 1.0 + MIN_SPREAD
    n = len(records)
    basis = f"measured on this server ({n} training{'s' if n != 1 else ''})"
    return TrainingEstimate(seconds, seconds * low_f, seconds * high_f, shapes, basis)
