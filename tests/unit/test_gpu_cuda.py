"""The CUDA paths (issue 19): training, bf16 autocast, sampling and a checkpoint written from CUDA.

Marked ``gpu``: ``bench/gpu.sh`` runs them on a GPU machine with ``-m gpu``; the CPU suite deselects
them (tests/conftest.py). Selected on a machine without CUDA they fail, never skip.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from singan_core.acceleration import autocast, uses_bf16
from singan_core.checkpoint import load_checkpoint, save_checkpoint
from singan_core.config import get_preset, with_overrides
from singan_core.tasks.sample import generate
from singan_core.tensors import to_array
from singan_core.train import train

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cuda() -> torch.device:
    if not torch.cuda.is_available():
        pytest.fail("needs CUDA: run it on a GPU machine (bash bench/gpu.sh); the CPU suite deselects it")
    return torch.device("cuda")


@pytest.fixture(scope="module")
def cuda_model(tiny_rgb, cuda):
    return train(tiny_rgb, get_preset("tiny"), device=cuda)  # fp32: the tiny preset has no autocast


def _mean_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(np.abs(np.stack(a).astype(float) - np.stack(b).astype(float)).mean())


def _rec_rmse(model) -> float:
    rec = to_array(model.reconstruct().cpu(), np.uint8).astype(float)
    return float(np.sqrt(((rec - model.image.astype(float)) ** 2).mean()))


def test_tiny_model_trains_on_cuda_as_well_as_on_the_cpu(cuda_model, tiny_model):
    assert cuda_model.is_complete and cuda_model.device.type == "cuda"
    assert all(p.device.type == "cuda" for p in cuda_model.generators.parameters())
    assert all(np.isfinite(a) and a > 0 for a in cuda_model.noise_amps)
    # same method, other kernels: the reconstruction is learned about as well as on the CPU
    assert _rec_rmse(cuda_model) < 1.5 * _rec_rmse(tiny_model) + 5.0


def test_bf16_autocast_runs_the_convolutions_in_bf16_on_cuda(tiny_rgb, cuda, tiny_model):
    cfg = with_overrides(get_preset("tiny"), {"train.autocast_bf16": True})
    assert uses_bf16(cfg.execution, cuda)
    g = copy.deepcopy(tiny_model.generators[-1]).to(cuda)
    seen: list[torch.dtype] = []
    conv = next(m for m in g.modules() if isinstance(m, torch.nn.Conv2d))
    conv.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 32, 40, generator=gen).to(cuda)
    prev = torch.randn(2, 3, 32, 40, generator=gen).to(cuda)
    with torch.no_grad():
        full = g(x, prev)
        with autocast(cfg.execution, cuda):
            half = g(x, prev).float()
    assert seen == [torch.float32, torch.bfloat16]
    rel = float((half - full).norm() / full.norm())
    assert 1e-5 < rel < 5e-2  # bf16 rounding is there, and small
    model = train(tiny_rgb, cfg, device=cuda)
    assert model.is_complete and all(np.isfinite(a) for a in model.noise_amps)
    samples = generate(model, n=2, seed=1)
    assert samples[0].shape == tiny_rgb.shape and _mean_abs_diff(samples[:1], samples[1:]) > 1.0


def test_sampling_on_cuda_is_seeded_and_matches_the_cpu(cuda_model, tiny_rgb):
    a = generate(cuda_model, n=4, seed=5, device="cuda")
    again = generate(cuda_model, n=4, seed=5, device="cuda")
    other = generate(cuda_model, n=4, seed=6, device="cuda")
    assert a[0].shape == tiny_rgb.shape and a[0].dtype == np.uint8
    assert _mean_abs_diff(a, again) == 0.0
    assert _mean_abs_diff(a, other) > 5.0
    on_cpu = generate(copy.deepcopy(cuda_model), n=4, seed=5, device="cpu")  # the noise is drawn on the CPU
    assert _mean_abs_diff(a, on_cpu) < 1.0
    wide = generate(cuda_model, n=1, seed=5, scale_h=1.5, device="cuda")[0]
    assert wide.shape[1] > tiny_rgb.shape[1]


def test_checkpoint_written_from_cuda_loads_on_the_cpu(cuda_model, tmp_path):
    path = tmp_path / "cuda.singan"
    save_checkpoint(cuda_model, path)
    loaded = load_checkpoint(path, device="cpu")
    assert loaded.device.type == "cpu" and loaded.model_id == cuda_model.model_id
    assert loaded.noise_amps == cuda_model.noise_amps
    for mine, theirs in zip(loaded.generators, cuda_model.generators, strict=True):
        for k, v in mine.state_dict().items():
            assert v.device.type == "cpu" and torch.equal(v, theirs.state_dict()[k].cpu())
    assert torch.equal(loaded.z_rec, cuda_model.z_rec.cpu())
    a = generate(cuda_model, n=3, seed=2, device="cuda")
    b = generate(loaded, n=3, seed=2)
    assert _mean_abs_diff(a, b) < 1.0
