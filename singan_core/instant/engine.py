"""The coarse-to-fine patch nearest-neighbour loop (GPNN), with fixed pixels for fill/edit/extend.

Per level up to the working size (GPNN): the current image is upsampled; the first EM iteration matches
its patches (queries) against the blurred source at this level (keys: the coarser source upsampled), and
copies the sharp source's patches (values); further iterations match against the sharp source. Above the
working size the nearest-neighbour field is upsampled instead, so the source's full-resolution patches
are copied into the result, and then refined with PatchMatch. Everything is ``[C, H, W]`` in [0, 1].
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from ..pyramid import resize
from .config import InstantCancelled, InstantConfig, InstantProgress, ProgressFn, StopFn
from .levels import Level
from .patches import features, grid_shape, patch_footprint, pca_basis, smooth_fill, vote
from .search import PatchMatch, exact_nn, usage_cost

_DETAIL_RADIUS = 4


@dataclass
class Problem:
    """What to synthesise. Lists run over the levels (coarsest first)."""

    levels: list[Level]
    sources: list[torch.Tensor]  # keys and values per level [C, h, w]
    key_ok: list[torch.Tensor | None]  # which source patch positions may be copied [kh, kw]
    init: torch.Tensor  # the image the first level starts from [C, h, w] at levels[start].out_hw
    start: int = 0
    fixed: list[torch.Tensor] | None = None  # pixels to keep per level [C, h, w] (fill, edit, extend)
    holes: list[torch.Tensor] | None = None  # which of them to synthesise [h, w] bool
    seam_blend: bool = True  # carry the kept pixels' colour across the hole's border (see _seam_corrected)


@dataclass
class Field:
    """A nearest-neighbour field over a crop of the output's patch grid (top-left ``origin``)."""

    ky: torch.Tensor  # [gh, gw] int64
    kx: torch.Tensor
    origin: tuple[int, int]
    src_hw: tuple[int, int]
    out_hw: tuple[int, int]


def _crop_box(active: torch.Tensor) -> tuple[int, int, int, int]:
    rows = torch.nonzero(active.any(1)).flatten()
    cols = torch.nonzero(active.any(0)).flatten()
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _upsample_field(f: Field, lv: Level, box: tuple[int, int, int, int], k_grid: tuple[int, int]) -> Field:
    """Carry the coarser level's matches to this level: each position takes its parent's match, moved
    by its own offset from the scaled parent, so coherent regions stay coherent copies."""
    r0, r1, c0, c1 = box
    ty, tx = lv.out_hw[0] / f.out_hw[0], lv.out_hw[1] / f.out_hw[1]
    sy, sx = lv.src_hw[0] / f.src_hw[0], lv.src_hw[1] / f.src_hw[1]
    dev = f.ky.device
    y = torch.arange(r0, r1, device=dev, dtype=torch.float32)
    x = torch.arange(c0, c1, device=dev, dtype=torch.float32)
    py = (y / ty).round().long().clamp(f.origin[0], f.origin[0] + f.ky.shape[0] - 1)
    px = (x / tx).round().long().clamp(f.origin[1], f.origin[1] + f.ky.shape[1] - 1)
    pky = f.ky[(py - f.origin[0])[:, None], (px - f.origin[1])[None, :]]
    pkx = f.kx[(py - f.origin[0])[:, None], (px - f.origin[1])[None, :]]
    ky = (pky.float() * sy + (y[:, None] - py[:, None].float() * ty)).round().long()
    kx = (pkx.float() * sx + (x[None, :] - px[None, :].float() * tx)).round().long()
    ky = ky.clamp(0, k_grid[0] - 1)
    kx = kx.clamp(0, k_grid[1] - 1)
    return Field(ky, kx, (r0, c0), lv.src_hw, lv.out_hw)


def _random_field(shape: tuple[int, int], k_grid: tuple[int, int], gen: torch.Generator, dev) -> tuple:
    ky = torch.randint(0, k_grid[0], shape, generator=gen).to(dev)
    kx = torch.randint(0, k_grid[1], shape, generator=gen).to(dev)
    return ky, kx


def _seam_corrected(voted: torch.Tensor, fixed: torch.Tensor, hole: torch.Tensor, covered: torch.Tensor):
    """Hide the seam of a fill: the patches along the border also vote on the kept pixels just outside the
    hole; their difference to the kept pixels is interpolated smoothly into the hole and added (a cheap
    stand-in for Poisson blending), so colour and brightness continue across the border."""
    ring = covered & ~hole
    if not bool(ring.any()):
        return voted
    membrane = smooth_fill(fixed - voted, ring)
    return torch.where(hole[None], voted + membrane, voted).clamp(0, 1)


def _changed(before: Field, after: Field, active: torch.Tensor) -> float:
    """The fraction of the active patches whose match differs between two fields of the same level."""
    r0, c0 = after.origin
    gh, gw = after.ky.shape
    act = active[r0 : r0 + gh, c0 : c0 + gw]
    moved = ((before.ky != after.ky) | (before.kx != after.kx)) & act
    return float(moved.sum()) / max(1, int(act.sum()))


@contextmanager
def cpu_threads(cfg: InstantConfig, device: torch.device | str) -> Iterator[None]:
    """torch's CPU threads set to ``cfg.threads`` while the block runs (see :class:`InstantConfig`)."""
    before = torch.get_num_threads()
    if cfg.threads and torch.device(device).type == "cpu":
        torch.set_num_threads(cfg.threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Engine:
    def __init__(
        self,
        cfg: InstantConfig,
        gen: torch.Generator,
        progress: ProgressFn | None = None,
        should_stop: StopFn | None = None,
    ) -> None:
        self.cfg, self.gen, self.progress, self.should_stop = cfg, gen, progress, should_stop
        self.t0 = time.perf_counter()
        # distances are in [0, 1] pixel units; the engine's features are of [0, 1] images too
        self.alpha = cfg.alpha
        self.basis: torch.Tensor | None = None
        self._counts: dict[tuple[int, ...], torch.Tensor] = {}

    def run(self, p: Problem) -> tuple[torch.Tensor, Field]:
        with cpu_threads(self.cfg, p.init.device):
            return self._run(p)

    def _run(self, p: Problem) -> tuple[torch.Tensor, Field]:
        k = self.cfg.patch_size
        y = p.init
        field: Field | None = None
        for li in range(p.start, len(p.levels)):
            lv = p.levels[li]
            self._counts: dict[tuple[int, ...], torch.Tensor] = {}  # vote coverage of this level's patches
            # above the working size the field is refined; a first level there (a fill whose coarser levels
            # leave nothing to copy) has no field yet and searches globally
            detail = lv.detail and field is not None
            src = p.sources[li]
            if li > p.start:
                y = resize(y[None], lv.out_hw)[0].clamp(0, 1)
            hole = p.holes[li] if p.holes is not None else None
            fixed = p.fixed[li] if p.fixed is not None else None
            if fixed is not None:
                y = torch.where(hole[None], y, fixed)
            active = (
                patch_footprint(hole, k)
                if hole is not None
                else torch.ones(grid_shape(lv.out_hw, k), dtype=torch.bool, device=y.device)
            )
            box = _crop_box(active)
            k_grid = grid_shape(tuple(src.shape[-2:]), k)
            basis = self._basis(p)[
                : min(self._dims(lv), self.cfg.detail_dims if detail else self.cfg.search_dims)
            ]
            sharp = features(src, basis)
            if field is not None:
                field = _upsample_field(field, lv, box, k_grid)
            iters = self.cfg.refine_iterations if detail else self.cfg.em_iterations
            step = self.cfg.detail_vote_step if detail else 1
            if detail:
                y = self._vote(y, src, field, active, hole, fixed, p.seam_blend, k, step)
            blurred = None
            if not detail:
                blurred = (
                    features(resize(p.sources[li - 1][None], src.shape[-2:])[0], basis) if li > 0 else sharp
                )
            for it in range(iters):
                low = it == 0 or (self.cfg.blurred_keys and li > p.start)
                keys = blurred if (low and blurred is not None) else sharp
                before = field
                field = self._search(
                    y, basis, keys, p.key_ok[li], field, active, box, k_grid, lv, not detail, it == 0
                )
                y = self._vote(y, src, field, active, hole, fixed, p.seam_blend, k, step)
                tol = self.cfg.em_converged
                done = tol is not None and not detail and it >= 1 and _changed(before, field, active) <= tol
                # a converged level still reports each of its iterations (progress counts them; none is slow)
                for reported in range(it + 1, iters + 1 if done else it + 2):
                    self._report(li, len(p.levels), reported, iters, lv.out_hw)
                if done:
                    break
            if iters == 0:
                self._report(li, len(p.levels), 0, 0, lv.out_hw)
        return y, field

    def _basis(self, p: Problem) -> torch.Tensor:
        """One PCA basis for all levels, from the source at the working size (the largest global level)."""
        if self.basis is None:
            work = max((i for i, lv in enumerate(p.levels) if not lv.detail), default=0)
            self.basis = pca_basis(p.sources[work], self.cfg.patch_size, self.cfg.search_dims, self.gen)
        return self.basis

    def _dims(self, lv: Level) -> int:
        """The search dimension: ``search_dims``, fewer where two feature maps would not fit the budget."""
        n = max(lv.src_hw[0] * lv.src_hw[1], lv.out_hw[0] * lv.out_hw[1])
        fit = self.cfg.memory_bytes // max(1, n * 4 * 4)
        return int(max(4, min(self.cfg.search_dims, fit)))

    def _search(
        self, y, basis, fk, key_ok, field, active, box, k_grid, lv, global_: bool, first: bool
    ) -> Field:
        k = self.cfg.patch_size
        r0, r1, c0, c1 = box
        crop = y[:, r0 : r1 + k - 1, c0 : c1 + k - 1]
        fq = features(crop, basis)  # [d, gh * gw] over the crop
        q_grid = (r1 - r0, c1 - c0)
        act = active[r0:r1, c0:c1].reshape(-1)
        ok = key_ok.reshape(-1) if key_ok is not None else None
        n_q = int(act.sum())
        n_k = int(ok.sum()) if ok is not None else fk.shape[1]
        budget = self.cfg.memory_bytes
        if global_ and n_q * n_k <= self.cfg.exact_pairs:
            q_idx = torch.nonzero(act).flatten()
            k_idx = torch.nonzero(ok).flatten() if ok is not None else None
            keys = fk if k_idx is None else fk.index_select(1, k_idx)
            nn = exact_nn(fq.index_select(1, q_idx).T, keys.T, self.alpha, budget)
            nn = nn if k_idx is None else k_idx[nn]
            if field is not None and field.ky.shape == q_grid:
                flat = (field.ky * k_grid[1] + field.kx).reshape(-1).clone()
            else:
                flat = torch.zeros(q_grid[0] * q_grid[1], dtype=torch.long, device=y.device)
            flat[q_idx] = nn
            flat = flat.reshape(q_grid)
            return Field(flat // k_grid[1], flat % k_grid[1], (r0, c0), lv.src_hw, lv.out_hw)
        if field is None:
            ky, kx = _random_field(q_grid, k_grid, self.gen, y.device)
        else:
            ky, kx = field.ky, field.kx
        cost = None
        if global_ and self.cfg.usage_penalty > 0 and field is not None:
            cost = usage_cost(ky, kx, k_grid, self.cfg.usage_penalty)
        pm = PatchMatch(fq, q_grid, fk, k_grid, key_ok, budget, cost)
        radius = max(k_grid) if global_ else _DETAIL_RADIUS
        # a level's first search starts from the coarser field; later ones only polish the current field
        rounds = self.cfg.patchmatch_iterations if first else 1
        ky, kx = pm.run(ky, kx, rounds, radius, self.gen, random_tries=4 if global_ else 2)
        return Field(ky, kx, (r0, c0), lv.src_hw, lv.out_hw)

    def _vote(
        self, y, src, field: Field, active, hole, fixed, blend: bool, k: int, step: int
    ) -> torch.Tensor:
        r0, c0 = field.origin
        gh, gw = field.ky.shape
        rows, cols = slice(r0, r0 + gh + k - 1), slice(c0, c0 + gw + k - 1)
        key = (r0, c0, gh, gw, step)  # the coverage depends on the level's active patches and the step only
        acc, cnt = vote(
            src,
            field.ky,
            field.kx,
            k,
            (gh + k - 1, gw + k - 1),
            active[rows, cols][:gh, :gw],
            step,
            self._counts.get(key),
        )
        self._counts[key] = cnt
        out = y.clone()
        voted = torch.where(cnt[None] > 0, acc / cnt.clamp_min(1)[None], out[:, rows, cols])
        if fixed is not None and blend:
            voted = _seam_corrected(voted, fixed[:, rows, cols], hole[rows, cols], cnt > 0)
        out[:, rows, cols] = voted
        if fixed is not None:
            out = torch.where(hole[None], out, fixed)
        return out

    def _report(self, level: int, n: int, it: int, iters: int, hw: tuple[int, int]) -> None:
        if self.progress is not None:
            self.progress(InstantProgress(level, n, it, iters, hw, time.perf_counter() - self.t0))
        if self.should_stop is not None and self.should_stop():
            raise InstantCancelled()
