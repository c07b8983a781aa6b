"""Non-finite values (NaN, inf): the checks a model passes before it is written, loaded or served, and
the snapshot of a scale's last finite training state that training restores and retries from."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from .errors import TrainingDiverged

MAX_LISTED = 3  # problems named in one message; the rest are counted
SNAPSHOT_EVERY = 50  # iterations between snapshots of a scale's last finite state
MAX_RETRIES = 2  # restores from the last snapshot per scale before training stops with an error


def nonfinite_tensors(named: Iterable[tuple[str, torch.Tensor]]) -> list[str]:
    """Names of the floating-point tensors that hold a NaN or an infinity."""
    return [
        name for name, t in named if t.is_floating_point() and t.numel() and not bool(torch.isfinite(t).all())
    ]


def model_problems(model: Any) -> list[str]:
    """Why ``model`` (a :class:`~singan_core.model.SinGANModel`) is damaged: every non-finite noise
    amplitude, generator weight or buffer, the last critic's, and the reconstruction noise. Empty when
    usable."""
    problems = [
        f"scale {s} noise amplitude is {a}" for s, a in enumerate(model.noise_amps) if not math.isfinite(a)
    ]
    for s, g in enumerate(model.generators):
        bad = nonfinite_tensors(g.state_dict().items())
        if bad:
            problems.append(f"scale {s} generator has non-finite {', '.join(bad[:MAX_LISTED])}")
    bad = nonfinite_tensors((model.critic_state or {}).items())
    if bad:
        problems.append(f"the last critic (kept for resuming) has non-finite {', '.join(bad[:MAX_LISTED])}")
    if nonfinite_tensors([("z_rec", model.z_rec)]):
        problems.append("the reconstruction noise is non-finite")
    return problems


def summary(problems: Sequence[str]) -> str:
    """One line naming the first few problems."""
    more = len(problems) - MAX_LISTED
    return "; ".join(problems[:MAX_LISTED]) + (f" (and {more} more)" if more > 0 else "")


def all_finite(values: Sequence[torch.Tensor]) -> bool:
    """True when every value is finite: one host sync for any number of scalars."""
    return bool(torch.isfinite(torch.stack([v.detach().float().reshape(()) for v in values])).all())


class Snapshot:
    """Copies of the state of the objects a scale's training mutates (modules, optimizers, lr schedulers,
    random generators, and objects with ``state()``/``set_state()``), taken at a finite point.

    :meth:`take` refuses (returns False) when a module's parameters or buffers are non-finite, which is
    the weight check at every snapshot. :meth:`restore` puts every object back as it was."""

    def __init__(self, objects: Sequence[Any]) -> None:
        self.objects = list(objects)
        self.states: list[Any] = []
        self.iteration = -1

    @staticmethod
    def _modules_finite(obj: Any) -> bool:
        if not isinstance(obj, torch.nn.Module):
            return True
        return not nonfinite_tensors(obj.state_dict().items())

    def take(self, iteration: int) -> bool:
        if not all(self._modules_finite(obj) for obj in self.objects):
            return False
        self.states = [_capture(obj) for obj in self.objects]
        self.iteration = iteration
        return True

    def restore(self) -> int:
        """Restore the last snapshot; returns the iteration it was taken at."""
        for obj, state in zip(self.objects, self.states, strict=True):
            _restore(obj, state)
        return self.iteration


class Recovery:
    """What a scale does on a non-finite loss or weight: restore the last finite snapshot and retry with
    the forward passes in fp32 (from the second retry on also with the learning rates halved per retry),
    up to :data:`MAX_RETRIES` times; then restore the coarser scales it was
    training along (ConSinGAN) to their state before this scale and raise :class:`TrainingDiverged`."""

    def __init__(
        self,
        model: Any,
        scale: int,
        older: Sequence[torch.nn.Module],
        snapshot: Snapshot,
        optimizers: Sequence[torch.optim.Optimizer],
    ) -> None:
        self.model, self.scale, self.snapshot, self.optimizers = model, scale, snapshot, optimizers
        self.start = Snapshot(older)  # the finished scales as saved, restored before raising
        self.start.take(0)
        self.retries = 0
        self.fp32 = False

    def fail(self, iteration: int, what: str) -> tuple[int, str]:
        """Restore and return (the iteration to continue from, a notice), or raise."""
        m = self.model
        where = f"scale {self.scale + 1} of {m.num_scales}, iteration {iteration}"
        if self.retries >= MAX_RETRIES:
            self.start.restore()
            for g in self.start.objects:
                g.eval().requires_grad_(False)
            raise TrainingDiverged(
                f"training diverged at {where}: {what}, again after {self.retries} restores of the last "
                f"finite state; the {self.scale} finished scales are kept (run again to resume; "
                "another --seed or lower learning rates may get past it)",
                m,
            )
        self.retries += 1
        self.fp32 = True
        back = self.snapshot.restore()
        how = "in fp32"
        if self.retries > 1:  # fp32 alone did not help: smaller steps from here on
            factor = 0.5 ** (self.retries - 1)
            for opt in self.optimizers:
                for group in opt.param_groups:
                    group["lr"] *= factor
            how += f" with learning rates x{factor:g}"
        return back, f"{what} at {where}: restored iteration {back} and retrying {how}"


def losses_problem(losses: dict[str, torch.Tensor]) -> str:
    values = {k: float(v.detach()) for k, v in losses.items()}
    return "non-finite loss (" + ", ".join(f"{k}={v:.4g}" for k, v in values.items()) + ")"


def _capture(obj: Any) -> Any:
    if isinstance(obj, torch.Generator):
        return obj.get_state()
    if hasattr(obj, "state_dict"):
        return copy.deepcopy(obj.state_dict())
    if hasattr(obj, "state"):
        return copy.deepcopy(obj.state())
    return copy.deepcopy(vars(obj))


def _restore(obj: Any, state: Any) -> None:
    # Deep copies again: optimizers keep the tensors they are given and update them in place.
    if isinstance(obj, torch.Generator):
        obj.set_state(state)
    elif hasattr(obj, "load_state_dict"):
        obj.load_state_dict(copy.deepcopy(state))
    elif hasattr(obj, "set_state"):
        obj.set_state(copy.deepcopy(state))
    else:
        vars(obj).update(copy.deepcopy(state))
