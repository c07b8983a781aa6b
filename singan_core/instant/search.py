"""Nearest-neighbour search of patch features: exact in chunks (with GPNN's usage normalisation) or
PatchMatch (propagation with jumps + random search), both within a memory budget.

Features are ``[N, d]`` float tensors for the exact search (one row per patch position, row-major over
the patch grid) and ``[d, N]`` for PatchMatch (one row per dimension).
"""

from __future__ import annotations

import torch

_INF = float("inf")


def _rows_per_chunk(n_cols: int, budget_bytes: int, floats_per_entry: int = 3) -> int:
    return max(1, budget_bytes // max(1, n_cols * 4 * floats_per_entry))


def _sq_dist(q: torch.Tensor, k: torch.Tensor, kk: torch.Tensor) -> torch.Tensor:
    """||q_i - k_j||^2 for a block of queries [n, d] against all keys [m, d] -> [n, m]."""
    d = torch.addmm(kk[None, :], q, k.T, beta=1.0, alpha=-2.0)
    d += (q * q).sum(1, keepdim=True)
    return d.clamp_min_(0.0)


def exact_nn(q: torch.Tensor, k: torch.Tensor, alpha: float | None, budget_bytes: int) -> torch.Tensor:
    """Index of each query's nearest key [Nq] (int64).

    With ``alpha`` the distance is normalised as in GPNN: ``D[i, j] / (alpha + min_i' D[i', j])``, so a key
    that some query already matches well costs more for every other query; the output then uses more of
    the source instead of repeating its most typical patch. Two passes over query blocks when the whole
    distance matrix does not fit in ``budget_bytes``.
    """
    kk = (k * k).sum(1)
    rows = _rows_per_chunk(k.shape[0], budget_bytes)
    blocks = range(0, q.shape[0], rows)
    if alpha is None:
        return torch.cat([_sq_dist(q[s : s + rows], k, kk).argmin(1) for s in blocks])
    if rows >= q.shape[0]:
        d = _sq_dist(q, k, kk)
        return (d / (alpha + d.amin(0, keepdim=True))).argmin(1)
    key_min = torch.full_like(kk, _INF)
    for s in blocks:
        key_min = torch.minimum(key_min, _sq_dist(q[s : s + rows], k, kk).amin(0))
    norm = (alpha + key_min)[None, :]
    return torch.cat([(_sq_dist(q[s : s + rows], k, kk) / norm).argmin(1) for s in blocks])


def usage_cost(ky: torch.Tensor, kx: torch.Tensor, k_grid: tuple[int, int], penalty: float) -> torch.Tensor:
    """A factor per key [kh, kw] from how often the field (ky, kx) uses it: ``1 + penalty * (n - 1)`` for a
    key used n >= 1 times, 1 for unused ones. PatchMatch's stand-in for GPNN's usage normalisation: a
    coherent copy uses each key once, a region matched again and again (a smooth query area repeating one
    source patch) pays for every repeat, so its queries move to other keys."""
    n = torch.bincount((ky * k_grid[1] + kx).reshape(-1), minlength=k_grid[0] * k_grid[1]).float()
    return (1.0 + penalty * (n - 1).clamp_min(0)).reshape(k_grid)


class PatchMatch:
    """Approximate nearest neighbours on a query grid [gh, gw] over a key grid [kh, kw] (Barnes et al. 2009),
    vectorised: every query tries its neighbours' matches shifted by the jump (Jacobi-style jump flooding),
    then random candidates around its current match at decreasing radii.
    """

    def __init__(
        self,
        fq: torch.Tensor,
        q_grid: tuple[int, int],
        fk: torch.Tensor,
        k_grid: tuple[int, int],
        key_ok: torch.Tensor | None,
        budget_bytes: int,
        key_cost: torch.Tensor | None = None,
    ) -> None:
        # one row per feature dimension: a candidate's distance is then d gathers of contiguous vectors and
        # fused multiply-adds (2x faster on CPU than gathering [N, d] rows and reducing the short rows)
        self.fq, self.fk = fq, fk
        self.q_grid, self.k_grid = q_grid, k_grid
        self.key_ok = None if key_ok is None else key_ok.reshape(-1)
        # a factor per key [kh * kw] on its distance (a usage penalty: see :func:`usage_cost`)
        self.key_cost = None if key_cost is None else key_cost.reshape(-1)
        self.rows = _rows_per_chunk(1, budget_bytes, floats_per_entry=4)

    def dist(self, ky: torch.Tensor, kx: torch.Tensor) -> torch.Tensor:
        """Distance of every query to the key at (ky, kx) [gh, gw] -> [gh, gw] (inf for invalid keys)."""
        idx = (ky * self.k_grid[1] + kx).reshape(-1)
        out = torch.zeros(idx.shape[0], device=self.fq.device)
        for s in range(0, idx.shape[0], self.rows):
            block, part = idx[s : s + self.rows], out[s : s + self.rows]
            for q, k in zip(self.fq, self.fk, strict=True):
                diff = k.index_select(0, block).sub_(q[s : s + self.rows])
                part.addcmul_(diff, diff)
        if self.key_cost is not None:
            out *= self.key_cost[idx]
        if self.key_ok is not None:
            out = torch.where(self.key_ok[idx], out, torch.full_like(out, _INF))
        return out.reshape(self.q_grid)

    def _try(self, state: list[torch.Tensor], cy: torch.Tensor, cx: torch.Tensor) -> None:
        ky, kx, best = state
        cy = cy.clamp(0, self.k_grid[0] - 1)
        cx = cx.clamp(0, self.k_grid[1] - 1)
        d = self.dist(cy, cx)
        better = d < best
        state[0] = torch.where(better, cy, ky)
        state[1] = torch.where(better, cx, kx)
        state[2] = torch.where(better, d, best)

    def run(
        self,
        ky: torch.Tensor,
        kx: torch.Tensor,
        iterations: int,
        radius: int,
        gen: torch.Generator,
        random_tries: int = 4,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Improve the field (ky, kx) [gh, gw] for ``iterations`` rounds; ``radius`` bounds the random search."""
        state = [ky, kx, self.dist(ky, kx)]
        for it in range(iterations):
            jump = 2 ** max(iterations - 1 - it, 0)
            for dy, dx in ((jump, 0), (-jump, 0), (0, jump), (0, -jump)):
                ny = torch.roll(state[0], shifts=(dy, dx), dims=(0, 1))
                nx = torch.roll(state[1], shifts=(dy, dx), dims=(0, 1))
                self._try(state, ny + dy, nx + dx)
            r = radius
            for _ in range(random_tries):
                if r < 1:
                    break
                oy = torch.randint(-r, r + 1, self.q_grid, generator=gen).to(ky.device)
                ox = torch.randint(-r, r + 1, self.q_grid, generator=gen).to(ky.device)
                self._try(state, state[0] + oy, state[1] + ox)
                r //= 2
        return state[0], state[1]
