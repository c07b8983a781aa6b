"""A damaged model (a non-finite weight, as older versions could write) is listed as damaged and answered
with FAILED_PRECONDITION and a message instead of blank images; a training that diverges ends FAILED
with one line naming the scale and iteration (issue 23). Real server on a free loopback port."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from host_plugin.client import Client, RawImage
from host_plugin.client.errors import FailedPrecondition
from inference_server.server import build_server
from inference_server.store import ModelStore
from singan_core.losses import gradient_penalty

QUICK = {"train.iterations": 4, "train.lr_decay_iteration": 3, "train.d_steps": 1, "train.g_steps": 1}


def _poison(path) -> None:
    """Set one generator weight of the checkpoint at ``path`` to NaN, in place."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    key = next(k for k in tensors if k.startswith("g2.") and k.endswith("weight"))
    tensors[key] = torch.full_like(tensors[key], float("nan"))
    save_file(tensors, str(path), metadata=meta)


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_model):
    """A models folder holding one healthy and one damaged copy of the tiny model."""
    root = tmp_path_factory.mktemp("models")
    store = ModelStore(root)
    good = store.save_model(tiny_model, name="good")
    damaged_model = type(tiny_model)(**{**tiny_model.__dict__, "model_id": "d" * 16})
    bad = store.save_model(damaged_model, name="bad")
    _poison(store.checkpoint_path(bad.model_id))
    return root, good.model_id, bad.model_id


@pytest.fixture(scope="module")
def client(models):
    with build_server(port=0, models_dir=models[0]) as srv, Client(address=srv.address) as c:
        yield c


def test_a_damaged_model_is_refused_with_a_clear_status(client, models) -> None:
    _, good, bad = models
    with pytest.raises(FailedPrecondition) as info:
        client.generate(bad, n=1)
    message = str(info.value)
    assert "damaged and cannot be used" in message and "scale 2 generator has non-finite" in message
    assert "train it again" in message
    samples = client.generate(good, n=2, seed=3)  # the healthy one is served as before
    arr = np.frombuffer(samples[0].pixels, np.uint8)
    assert arr.std() > 1.0


def test_list_models_marks_the_damaged_model_instead_of_failing(client, models) -> None:
    _, good, bad = models
    listed = {m.model_id: m for m in client.list_models()}
    assert set(listed) == {good, bad}
    assert listed[good].problem == ""
    assert "scale 2 generator has non-finite" in listed[bad].problem
    assert client.get_model(bad).problem == listed[bad].problem


def test_a_training_that_diverges_ends_failed_with_one_line(client, monkeypatch) -> None:
    step_module = importlib.import_module("singan_core.adversarial")  # the step train() runs
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        out = gradient_penalty(*args, **kwargs)
        return out * float("nan") if calls["n"] > 6 else out  # from scale 1 on (4 + 2 iterations)

    monkeypatch.setattr(step_module, "gradient_penalty", poisoned)
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
    done = client.train(RawImage(32, 24, 3, pixels.tobytes()), preset="tiny", overrides=QUICK, name="nan")
    assert done.state == "FAILED"
    assert "training diverged at scale 2 of 3, iteration" in done.error and "\n" not in done.error
    assert "1 finished scales are kept" in done.error
    kept = client.get_model(done.model_id)
    assert kept.scales_done == 1 and kept.problem == ""
