"""Settings, progress reports and cancellation of the instant (training-free) patch engine."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError, SinGANError


@dataclass(frozen=True)
class InstantConfig:
    """GPNN-style settings (Granot et al., "Drop the GAN", CVPR 2022), plus the speed/memory bounds.

    Distances are sums of squared differences of patch features with pixel values in [0, 1] (GPNN's units).
    """

    patch_size: int = 7
    alpha: float | None = 0.005  # usage normalisation; None = plain nearest neighbour
    # PatchMatch's usage penalty on the levels searched globally but not exactly (a key's distance x
    # 1 + this x its extra uses in the current field: see search.usage_cost); 0 = none
    usage_penalty: float = 0.0
    # the global levels above the first match every EM round against the blurred source (the coarser
    # source upsampled), not only the first round: the votes' detail then does not pull the matches
    # toward the softest textured patches (see tasks/detail.py)
    blurred_keys: bool = False
    fill_alpha: float | None = None  # the same for fill, edit and extend (see instant.api._coherent)
    fill_context: float = 1.0  # fill copies from the hole's box grown by this x its size (0 = anywhere)
    noise_sigma: float = 0.75  # noise added to the coarsest image of a variation (GPNN's default)
    coarsest: int = 21  # shorter side of the coarsest level in px
    scale_factor: float = 0.75  # between levels up to the working size (GPNN: 3/4)
    working_size: int = 256  # longer side up to which the search is global; above it the field is refined
    em_iterations: int = 10  # per level up to the working size, at most:
    # a level's EM stops once no more than this fraction of its patches changed their match in an iteration
    # (from the second on: the first matches the blurred source); 0: only at a fixed point (with the exact
    # search the same field gives the same image again: the remaining iterations would change nothing);
    # None: always em_iterations
    em_converged: float | None = 0.0
    refine_iterations: int = 2  # per level above the working size (full-resolution detail)
    patchmatch_iterations: int = 3  # propagation + random search rounds per EM iteration
    search_dims: int = 16  # patches are projected on this many principal components for the search
    detail_dims: int = 8  # the same above the working size
    detail_vote_step: int = 3  # above the working size, vote every 3rd row/column of each patch
    exact_pairs: int = 4_000_000  # a level is searched exactly (with usage normalisation) below this
    memory_mb: int = 1024  # scratch memory budget (distance blocks, gathered features)
    # CPU threads while the engine runs (restored after; 0 = leave torch's setting). Its operations are
    # small and memory-bound: on the shared 2-core development machine one thread was 17x faster than two
    # (a 400x164 variation: 1.3 s vs 22.9 s with other programs busy), and never much slower when idle.
    threads: int = 1

    def __post_init__(self) -> None:
        checks = [
            (self.patch_size >= 3 and self.patch_size % 2 == 1, "patch_size must be an odd number >= 3"),
            (
                all(a is None or (a > 0 and math.isfinite(a)) for a in (self.alpha, self.fill_alpha)),
                "alpha must be > 0",
            ),
            (self.noise_sigma >= 0 and self.fill_context >= 0, "noise_sigma and fill_context must be >= 0"),
            (0 <= self.usage_penalty < math.inf, "usage_penalty must be >= 0"),
            (self.coarsest >= self.patch_size, "coarsest must be at least the patch size"),
            (0.3 <= self.scale_factor < 1, "scale_factor must be in [0.3, 1)"),
            (self.working_size >= self.coarsest, "working_size must be at least coarsest"),
            (self.em_iterations >= 1 and self.refine_iterations >= 0, "iterations must be >= 1"),
            (self.em_converged is None or 0 <= self.em_converged < 1, "em_converged must be in [0, 1)"),
            (self.patchmatch_iterations >= 1, "patchmatch_iterations must be >= 1"),
            (self.search_dims >= 1 and self.detail_dims >= 1, "search dims must be >= 1"),
            (1 <= self.detail_vote_step < self.patch_size, "detail_vote_step must be in [1, patch_size)"),
            (self.memory_mb >= 16, "memory_mb must be at least 16"),
            (self.threads >= 0, "threads must be >= 0"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(f"instant engine: {msg}")

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 2**20


@dataclass(frozen=True)
class InstantProgress:
    level: int  # 0 = coarsest
    num_levels: int
    iteration: int  # EM iterations finished at this level
    iterations: int
    shape: tuple[int, int]  # (H, W) of the output at this level
    elapsed_s: float


ProgressFn = Callable[[InstantProgress], None]
StopFn = Callable[[], bool]


class InstantCancelled(SinGANError):
    """The engine stopped at a safe point because ``should_stop()`` returned True."""

    def __init__(self) -> None:
        super().__init__("instant generation cancelled")
