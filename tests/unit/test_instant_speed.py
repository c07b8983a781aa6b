"""The instant engine's speed pass (issue 20): each shortcut gives the result of the long way, or says how
far it departs from it. Times are measured by bench/instant.py, not here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from singan_core.instant import InstantConfig, fill, variation
from singan_core.instant.engine import Engine
from singan_core.instant.patches import coverage
from singan_core.instant.search import PatchMatch


@pytest.fixture(scope="module")
def stone_like() -> np.ndarray:
    """A texture with one obvious arrangement (stripes and a gradient): EM reaches a fixed point early."""
    yy, xx = np.mgrid[0:48, 0:64]
    img = 120 + 80 * np.sin(xx / 3.0)[..., None] + yy[..., None] + np.zeros((1, 1, 3))
    return img.clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def balloons_small(balloons_path) -> np.ndarray:
    return np.asarray(Image.open(balloons_path).convert("RGB").resize((64, 48), Image.BICUBIC))


def _run(image: np.ndarray, cfg: InstantConfig, monkeypatch) -> tuple[np.ndarray, list, int]:
    seen: list = []
    searches = [0]
    search = Engine._search

    def counted(self, *args):
        searches[0] += 1
        return search(self, *args)

    monkeypatch.setattr(Engine, "_search", counted)
    return variation(image, seed=2, config=cfg, progress=seen.append), seen, searches[0]


@pytest.mark.parametrize("name", ["stone_like", "balloons_small"])
def test_stopping_at_a_fixed_point_changes_nothing(name, request, monkeypatch):
    image = request.getfixturevalue(name)
    full, full_seen, full_n = _run(image, InstantConfig(coarsest=14, em_converged=None), monkeypatch)
    early, early_seen, early_n = _run(image, InstantConfig(coarsest=14, em_converged=0.0), monkeypatch)
    assert np.array_equal(full, early)
    # progress is told of every planned iteration, run or skipped
    assert [(p.level, p.iteration) for p in early_seen] == [(p.level, p.iteration) for p in full_seen]
    assert early_n <= full_n
    if name == "stone_like":
        assert early_n < full_n  # the stripes settle: searches were skipped


def test_a_tolerance_skips_iterations_and_stays_a_picture(balloons_small, monkeypatch):
    _, _, full_n = _run(balloons_small, InstantConfig(coarsest=14, em_converged=None), monkeypatch)
    loose, _, loose_n = _run(balloons_small, InstantConfig(coarsest=14, em_converged=0.05), monkeypatch)
    assert loose_n < full_n
    assert np.abs(loose.astype(int) - balloons_small.astype(int)).mean() < 60


def test_patchmatch_distance_is_the_squared_feature_distance():
    gen = torch.Generator().manual_seed(0)
    fq, fk = torch.rand(5, 6 * 7, generator=gen), torch.rand(5, 4 * 9, generator=gen)  # [d, N]
    pm = PatchMatch(fq, (6, 7), fk, (4, 9), None, 2**20)
    ky, kx = torch.randint(0, 4, (6, 7), generator=gen), torch.randint(0, 9, (6, 7), generator=gen)
    ref = ((fq.T - fk.T[(ky * 9 + kx).reshape(-1)]) ** 2).sum(1).reshape(6, 7)
    assert torch.allclose(pm.dist(ky, kx), ref, atol=1e-5)
    ok = torch.zeros(4, 9, dtype=torch.bool)
    ok[:, :4] = True
    d = PatchMatch(fq, (6, 7), fk, (4, 9), ok, 64).dist(ky, kx)  # tiny budget: one query per block
    assert torch.equal(torch.isinf(d), kx >= 4) and torch.allclose(d[kx < 4], ref[kx < 4], atol=1e-5)


@pytest.mark.parametrize("offsets", [None, [0, 3, 6]])
def test_coverage_of_all_patches_is_the_separable_count(offsets):
    active = torch.ones(23, 31, dtype=torch.bool)
    taps = torch.zeros(7)
    taps[offsets if offsets is not None else list(range(7))] = 1
    a = F.conv_transpose2d(active.float()[None, None], taps.view(1, 1, 7, 1))
    ref = F.conv_transpose2d(a, taps.view(1, 1, 1, 7))[0, 0]
    assert torch.equal(coverage(active, 7, offsets), ref)
    active[5:9, 10:20] = False  # a fill's footprint: the general path
    assert coverage(active, 7, offsets)[12, 16] < ref[12, 16]


def test_the_whole_call_runs_on_the_configured_threads_and_restores_them(balloons_small, monkeypatch):
    # the pyramids and conversions around the engine's loop too: with two threads they were most of a 250 px
    # variation's time on the loaded machine
    from singan_core.instant import api

    seen = []
    convert = api._to_array
    monkeypatch.setattr(api, "_to_array", lambda *a: seen.append(torch.get_num_threads()) or convert(*a))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        variation(balloons_small, seed=0, config=InstantConfig(coarsest=14, threads=1))
        mask = np.pad(np.full((8, 8), 255, np.uint8), ((20, 20), (28, 28)))
        fill(balloons_small, mask, config=InstantConfig(coarsest=14, threads=1))
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
