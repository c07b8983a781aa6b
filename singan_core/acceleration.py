"""Using the hardware during training: thread count, memory format, bf16 autocast, torch.compile.

Every switch is a :class:`~singan_core.config.ExecutionConfig` field; a switch the device cannot use is a
no-op there (bf16 autocast on a CPU without native bf16, CUDA graphs off CUDA), never an error.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import torch
import torch.nn as nn

from .config import ExecutionConfig


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def cpu_has_native_bf16() -> bool:
    """True where oneDNN runs bf16 convolutions natively (AVX512-BF16 or AMX), i.e. where it pays."""
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    try:
        return bool(check()) if check is not None else False
    except RuntimeError:
        return False


def uses_bf16(cfg: ExecutionConfig, device: torch.device) -> bool:
    if not cfg.autocast_bf16:
        return False
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_native_bf16()


@contextlib.contextmanager
def autocast(cfg: ExecutionConfig, device: torch.device) -> Iterator[None]:
    """bf16 autocast for the forward passes when enabled and native on ``device``; else nothing."""
    if uses_bf16(cfg, device):
        with torch.autocast(device.type, dtype=torch.bfloat16):
            yield
    else:
        yield


def memory_format(cfg: ExecutionConfig) -> torch.memory_format:
    return torch.channels_last if cfg.channels_last else torch.contiguous_format


def prepare_module(module: nn.Module, cfg: ExecutionConfig) -> nn.Module:
    """Move ``module``'s weights to the configured memory format (in place; returns it)."""
    return module.to(memory_format=memory_format(cfg))


def maybe_compile(module: nn.Module, cfg: ExecutionConfig, device: torch.device) -> nn.Module:
    """``torch.compile`` the module when configured (the generator only: the critic needs double
    backward for the gradient penalty, which compiled graphs do not support). On CUDA with
    ``cuda_graphs`` the compiled module replays CUDA graphs (mode ``reduce-overhead``). The returned
    callable shares parameters with ``module``; keep ``module`` for state dicts and checkpoints."""
    if not cfg.compile:
        return module
    # One compiled graph per scale's shapes and per grad mode (critic steps run the generator under
    # no_grad): a 10-scale training needs about 20, over dynamo's default limit of 8, past which it
    # silently falls back to eager.
    import torch._dynamo.config as dynamo_config

    dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, _COMPILE_LIMIT)
    mode = "reduce-overhead" if cfg.cuda_graphs and device.type == "cuda" else "default"
    return torch.compile(module, mode=mode, dynamic=False)


_COMPILE_LIMIT = 64


def busy() -> bool:
    """True when other programs already keep every core busy (the 1-minute load average >= the cores)."""
    try:
        return os.getloadavg()[0] >= available_cores()
    except (AttributeError, OSError):  # not on a Unix
        return False


class ThreadTuner:
    """Intra-op thread count for CPU training.

    ``threads`` > 0 fixes the count. 0 tunes it: at the start of every scale and every ``every``
    iterations after, a few iterations are timed with the count in use and then with the other
    candidates (all cores, one thread), and the faster count is kept. On a machine shared with other
    jobs, OpenMP's spinning threads can make two threads many times slower than one (on the loaded 2-core
    development machine one iteration with both cores took 20-110 s where one thread took about 1 s: the
    stalls in issue 17's recordings). So a probe is bounded: the count in use is timed first, a candidate
    whose first timed iteration is over ``ABANDON`` x slower is dropped at once, and it is not probed again
    for ``every`` x 2^strikes iterations (across scales), until the iterations suddenly slow down (then
    everything is probed again). A busy machine (load average >= cores) starts with one thread.
    The timed iterations are ordinary training iterations, so tuning costs nothing but a little
    reproducibility: the float rounding of a reduction can depend on the thread count.
    """

    PROBE = 2  # timed iterations per candidate
    ABANDON = 2.0  # a candidate this many times slower than the count in use is dropped after one iteration

    def __init__(self, threads: int, device: torch.device, every: int = 200) -> None:
        self.original = torch.get_num_threads()
        self.active = device.type == "cpu"
        self.fixed = threads
        cores = available_cores()
        self.candidates = [c for c in dict.fromkeys((cores, 1))]
        self.every = every
        self.chosen = threads if threads > 0 else (1 if self.active and busy() else cores)
        self.times: dict[int, list[float]] = {}
        self.plan: list[int] = []  # the counts timed by the running probe, the one in use first
        self.dropped: set[int] = set()  # candidates dropped from the running probe
        self.strikes: dict[int, int] = {}
        self.resume_at: dict[int, int] = {}  # candidate -> iteration count from which it is probed again
        self.count = 0  # iterations seen, across scales
        self.start_it = 0
        self.t0 = 0.0
        self.baseline = 0.0  # seconds per iteration of the chosen count, from the last probe
        self.slow = 0  # consecutive iterations much slower than the baseline

    def _k(self, it: int) -> int:
        return (it - self.start_it) % self.every - 1  # -1: the probe's first iteration, a warm-up, untimed

    def _probe_slot(self, it: int) -> int | None:
        """The candidate to time at iteration ``it`` of the current probe, or None outside a probe."""
        k = self._k(it)
        if self.fixed > 0 or not 0 <= k < self.PROBE * len(self.plan):
            return None
        slot = self.plan[k // self.PROBE]
        return None if slot in self.dropped else slot

    def restart(self, it: int = 0) -> None:
        """Start tuning again (a new scale changes the sizes, so the best count may change)."""
        self.start_it = it
        self.times = {}
        self.plan = []
        self.baseline = 0.0
        self.slow = 0

    def before(self, it: int) -> None:
        if not self.active:
            return
        if self.fixed == 0 and self._k(it) == -1:  # a probe starts: plan it
            others = [
                c for c in self.candidates if c != self.chosen and self.resume_at.get(c, 0) <= self.count
            ]
            self.plan = [self.chosen, *others] if others else []
            self.times, self.dropped = {}, set()
        slot = self._probe_slot(it)
        threads = slot if slot is not None else self.chosen
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        self.t0 = time.perf_counter()

    def after(self, it: int) -> None:
        if not self.active:
            return
        self.count += 1
        slot = self._probe_slot(it)
        elapsed = time.perf_counter() - self.t0
        if slot is None:
            # Another program started competing for the cores (or stopped): probe everything again at
            # once instead of waiting for the next scheduled probe.
            if self.fixed == 0 and len(self.candidates) > 1 and self.baseline > 0:
                self.slow = self.slow + 1 if elapsed > 2.5 * self.baseline else 0
                if self.slow >= 3:
                    self.resume_at.clear()
                    self.strikes.clear()
                    self.restart(it + 1)
        else:
            self.times.setdefault(slot, []).append(elapsed)
            own = self.times.get(self.chosen, [])
            if slot != self.chosen and own and elapsed > self.ABANDON * sum(own) / len(own):
                self.dropped.add(slot)
                self.strikes[slot] = self.strikes.get(slot, 0) + 1
                self.resume_at[slot] = self.count + self.every * 2 ** self.strikes[slot]
        if self.plan and self._k(it) == self.PROBE * len(self.plan) - 1:  # the probe's last iteration
            timed = {c: sum(t) / len(t) for c, t in self.times.items() if c not in self.dropped}
            if timed:
                best = min(timed, key=timed.__getitem__)
                if best != self.chosen:
                    self.strikes.pop(best, None)
                self.chosen, self.baseline = best, timed[best]
            self.plan, self.times = [], {}

    def close(self) -> None:
        if self.active and torch.get_num_threads() != self.original:
            torch.set_num_threads(self.original)
