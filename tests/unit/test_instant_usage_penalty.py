"""PatchMatch's usage penalty (InstantConfig.usage_penalty) and the blurred keys of the global EM rounds
(InstantConfig.blurred_keys), used by the detail synthesis at document size (singan_core.tasks.detail)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from singan_core.errors import ConfigError
from singan_core.instant import InstantConfig, variation_with_field
from singan_core.instant.search import PatchMatch, usage_cost


def test_usage_cost_charges_every_extra_use_of_a_key():
    ky = torch.tensor([[0, 0, 0], [1, 1, 2]])
    kx = torch.tensor([[0, 0, 0], [0, 1, 2]])
    cost = usage_cost(ky, kx, (3, 3), 0.5)
    assert cost[0, 0] == pytest.approx(2.0)  # used 3 times: 1 + 0.5 x 2
    assert cost[1, 0] == cost[1, 1] == cost[2, 2] == 1.0  # used once: no penalty
    assert cost[0, 1] == cost[2, 0] == 1.0  # unused: no penalty
    # a coherent copy uses each key once: no penalty anywhere
    yy, xx = torch.meshgrid(torch.arange(4), torch.arange(5), indexing="ij")
    assert torch.equal(usage_cost(yy, xx, (4, 5), 3.0), torch.ones(4, 5))


def _most_uses(penalty: float, seed: int) -> int:
    """EM-like rounds of PatchMatch over a flat query area (every query patch the same) and random keys: how
    often the field's most used key is used at the end."""
    gen = torch.Generator().manual_seed(seed)
    q_grid, k_grid = (20, 20), (30, 30)
    fq = torch.zeros(8, q_grid[0] * q_grid[1])  # a flat area: every query has the same features
    fk = torch.randn(8, k_grid[0] * k_grid[1], generator=gen)
    ky = torch.randint(0, k_grid[0], q_grid, generator=gen)
    kx = torch.randint(0, k_grid[1], q_grid, generator=gen)
    for _ in range(5):
        cost = usage_cost(ky, kx, k_grid, penalty) if penalty > 0 else None
        pm = PatchMatch(fq, q_grid, fk, k_grid, None, 2**24, cost)
        ky, kx = pm.run(ky, kx, 3, max(k_grid), gen)
    return int(torch.bincount((ky * k_grid[1] + kx).reshape(-1)).max())


def test_usage_penalty_spreads_the_matches_of_a_flat_area():
    # without the penalty the flat area converges on the few keys nearest to it, each repeated many times
    # (65, 327, 220 uses of the top key for seeds 0-2; with it 32, 45, 65)
    plain = [_most_uses(0.0, seed) for seed in range(3)]
    penalised = [_most_uses(1.0, seed) for seed in range(3)]
    assert sum(plain) >= 300, plain
    assert 3 * sum(penalised) <= sum(plain), (penalised, plain)


def test_blurred_keys_and_penalty_keep_a_variation_deterministic(balloons_path):
    small = np.asarray(Image.open(balloons_path).convert("RGB").resize((64, 48), Image.BICUBIC))
    cfg = InstantConfig(coarsest=14, exact_pairs=1, usage_penalty=1.0, blurred_keys=True)
    a, _ = variation_with_field(small, seed=4, config=cfg)
    b, _ = variation_with_field(small, seed=4, config=cfg)
    assert np.array_equal(a, b)
    assert a.shape == small.shape


def test_a_negative_usage_penalty_is_refused():
    with pytest.raises(ConfigError, match="usage_penalty"):
        InstantConfig(usage_penalty=-1.0)
