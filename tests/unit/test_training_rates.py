"""The training-speed record and the estimate built from it (inference_server.training_rates)."""

from __future__ import annotations

import json

import pytest

from inference_server.training_rates import (
    KEEP,
    LAW,
    RATES_FILE,
    estimate_training,
    load_records,
    record_training,
)
from singan_core.config import get_preset, iterations_at
from singan_core.eta import iteration_units
from singan_core.pyramid import plan_pyramid

CONFIG = get_preset("fast")
H, W = 120, 160


def _record(model_id: str, rate: float, noise: float = 1.0, law: str = LAW) -> dict:
    """A training of CONFIG on H x W whose scales took ``rate * units * noise`` s per iteration."""
    shapes = plan_pyramid(H, W, CONFIG.pyramid).shapes
    n = len(shapes)
    points = []
    for s in range(n):
        units = iteration_units(CONFIG, shapes, s)
        points.append([units, rate * units * noise, iterations_at(CONFIG.train, s, n)])
    return {
        "model_id": model_id,
        "preset": "fast",
        "device": "cpu",
        "law": law,
        "seconds": sum(t * i for _c, t, i in points),
        "points": points,
    }


def test_measured_estimates_follow_the_recorded_trainings_and_say_so() -> None:
    records = [_record("a", 4e-8, 0.9), _record("b", 4e-8, 1.0), _record("c", 4e-8, 1.2)]
    est = estimate_training(H, W, CONFIG, records, "cpu")
    assert est.basis == "measured on this server (3 trainings)"
    mean = sum(r["seconds"] for r in records) / 3
    assert est.seconds == pytest.approx(mean, rel=0.05)
    # the range holds every recorded training (each predicted from the others) and is at least +-25%
    assert est.low <= min(r["seconds"] for r in records) and est.high >= max(r["seconds"] for r in records)
    assert est.low <= 0.75 * est.seconds and est.high >= 1.25 * est.seconds
    assert est.shapes == plan_pyramid(H, W, CONFIG.pyramid).shapes


def test_without_records_a_device_default_said_so() -> None:
    est = estimate_training(H, W, CONFIG, [], "cuda")
    assert est.basis.startswith("a default for this device (cuda)")
    assert est.low < est.seconds < est.high
    assert estimate_training(H, W, CONFIG, [], "cpu").seconds > est.seconds  # a CPU is slower


def test_the_record_file_keeps_the_newest_trainings_of_this_device(tmp_path) -> None:
    path = tmp_path / RATES_FILE
    path.write_text(json.dumps([_record(f"m{i}", 4e-8) for i in range(KEEP + 5)]))
    assert [r["model_id"] for r in load_records(tmp_path, "cpu")][-1] == f"m{KEEP + 4}"
    assert load_records(tmp_path, "cuda") == []
    # a record of the older law (overhead + rate x cost, no "law" key) is in other units: left out
    old = {k: v for k, v in _record("old", 4e-8).items() if k != "law"}
    path.write_text(json.dumps([old, _record("new", 4e-8), _record("bad", -1.0)]))
    assert [r["model_id"] for r in load_records(tmp_path, "cpu")] == ["new"]
    path.write_text("{not json")
    assert load_records(tmp_path, "cpu") == []  # damaged: the default, not a crash


def test_record_training_writes_one_point_per_scale(tmp_path) -> None:
    class Model:  # what record_training reads of a SinGANModel
        model_id, config = "m1", CONFIG
        shapes = plan_pyramid(H, W, CONFIG.pyramid).shapes
        num_scales = len(shapes)
        train_seconds = [10.0 + s for s in range(len(shapes))]

    record_training(tmp_path, Model(), "cpu")  # type: ignore[arg-type]
    record_training(tmp_path, Model(), "cpu")  # type: ignore[arg-type]  # the same model again: replaced
    (rec,) = load_records(tmp_path, "cpu")
    assert rec["seconds"] == sum(Model.train_seconds) and len(rec["points"]) == Model.num_scales
    its = iterations_at(CONFIG.train, 0, Model.num_scales)
    assert rec["points"][0][1] == pytest.approx(10.0 / its) and rec["points"][0][2] == its
    assert rec["points"][0][0] == iteration_units(CONFIG, Model.shapes, 0, "cpu") and rec["law"] == LAW
    Model.train_seconds = Model.train_seconds[:2]  # a training cut short is not a measurement
    Model.model_id = "m2"
    record_training(tmp_path, Model(), "cpu")  # type: ignore[arg-type]
    assert [r["model_id"] for r in load_records(tmp_path, "cpu")] == ["m1"]
