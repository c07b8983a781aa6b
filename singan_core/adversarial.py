"""SinGAN's optimisation step, written once for training (``train.py``) and fine-tuning (``tasks/finetune.py``).

:class:`Adversarial` holds one scale's optimisers and lr schedule and runs one iteration: ``d_steps``
critic steps (WGAN-GP) then ``g_steps`` generator steps (adversarial + reconstruction), the forward
passes in bf16 where the execution switches ask for it (fp32 after a recovery). :func:`run_guarded`
drives the iterations with the non-finite guard (snapshots, restore and retry), cancellation at a safe
point and a report after every iteration. What differs between training and fine-tuning (where the
random inputs come from, what is generated, what is reconstructed) comes in as callables.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.nn as nn

from .acceleration import autocast
from .config import ExecutionConfig, TrainConfig
from .finite import SNAPSHOT_EVERY, Recovery, Snapshot, all_finite, losses_problem
from .losses import critic_wgan_loss, generator_wgan_loss, gradient_penalty

Losses = dict[str, torch.Tensor]  # d, gp, g_adv, rec


class Adversarial:
    """One scale's WGAN-GP optimisation: Adam for the generator's parameter groups and for the critic,
    both stepped down by ``lr_decay_gamma`` at iteration ``decay_at``; ``gen`` draws the gradient
    penalty's mixing weights. Set :attr:`fp32` to run the forward passes in fp32 whatever the switches."""

    def __init__(
        self,
        critic: nn.Module,
        generator_groups: Sequence[dict[str, Any]],
        train: TrainConfig,
        execution: ExecutionConfig,
        device: torch.device,
        decay_at: int,
        gen: torch.Generator,
    ) -> None:
        self.net, self.train, self.device, self.gen = critic, train, device, gen
        self.execution = execution
        betas = (train.beta1, train.beta2)
        self.opt_g = torch.optim.Adam(list(generator_groups), betas=betas)
        self.opt_d = torch.optim.Adam(critic.parameters(), lr=train.lr_d, betas=betas)
        decay = [max(1, decay_at)]
        self.sched_g = torch.optim.lr_scheduler.MultiStepLR(self.opt_g, decay, train.lr_decay_gamma)
        self.sched_d = torch.optim.lr_scheduler.MultiStepLR(self.opt_d, decay, train.lr_decay_gamma)
        self.fp32 = False

    @property
    def state_objects(self) -> list[Any]:
        """What an iteration mutates besides the networks (for :class:`~singan_core.finite.Snapshot`)."""
        return [self.opt_g, self.opt_d, self.sched_g, self.sched_d]

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        run = dataclasses.replace(self.execution, autocast_bf16=False) if self.fp32 else self.execution
        with autocast(run, self.device):
            yield

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        with self.autocast():
            return self.net(x).float()

    def iteration(
        self,
        real: torch.Tensor,
        fake: Callable[[torch.Tensor], torch.Tensor],
        next_prev: Callable[[bool], torch.Tensor],
        reconstruction: Callable[[], torch.Tensor],
    ) -> Losses:
        """One iteration. ``next_prev(for_generator)`` gives the input of the next step, ``fake(prev)``
        generates from it (run under this class's autocast), ``reconstruction()`` is the weighted
        reconstruction loss (the caller runs its forward pass under :meth:`autocast`)."""
        t = self.train
        for _ in range(t.d_steps):
            prev = next_prev(False)
            with torch.no_grad(), self.autocast():
                generated = fake(prev)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d = critic_wgan_loss(self.critic(real), self.critic(generated))
            gp = gradient_penalty(self.critic, real, generated, t.gp_weight, generator=self.gen)
            (loss_d + gp).backward()
            self.opt_d.step()
        for _ in range(t.g_steps):
            prev = next_prev(True)
            self.opt_g.zero_grad(set_to_none=True)
            with self.autocast():
                generated = fake(prev)
            adv = generator_wgan_loss(self.critic(generated))
            rec = reconstruction()
            (adv + rec).backward()
            self.opt_g.step()
        self.sched_g.step()
        self.sched_d.step()
        return {"d": loss_d, "gp": gp, "g_adv": adv, "rec": rec}


def run_guarded(
    iterations: int,
    step: Callable[[int], Losses],
    adversarial: Adversarial,
    snapshot: Snapshot,
    recovery: Recovery,
    *,
    finite_checks: bool = True,
    should_stop: Callable[[], bool] | None = None,
    cancelled: Callable[[], BaseException],
    after: Callable[[int, Losses], bool] | None = None,
    notice: Callable[[int, Losses, str], None] | None = None,
) -> int:
    """Run ``step(it)`` until ``iterations`` are done or ``after(done, losses)`` returns True (an early
    stop); returns the iterations done. With ``finite_checks`` the losses are checked every iteration and
    the weights (``snapshot.take``) every ``SNAPSHOT_EVERY`` iterations and at the end; a non-finite value
    restores the last finite snapshot, switches to fp32 and retries (``notice(iteration, losses, what)``
    says so), or raises :class:`~singan_core.errors.TrainingDiverged` (``recovery``). ``should_stop()``
    is asked before every iteration; True raises ``cancelled()``."""
    done = it = 0
    stop = False
    while True:
        end = it >= iterations or stop
        due = finite_checks and (end or it % SNAPSHOT_EVERY == 0) and it != snapshot.iteration
        if due and not snapshot.take(it):
            it, what = recovery.fail(it, "non-finite weights")
            adversarial.fp32 = recovery.fp32
            stop = False
            if notice is not None:
                notice(it, {}, what)
            continue
        if end:
            return done
        if should_stop is not None and should_stop():
            raise cancelled()
        losses = step(it)
        if finite_checks and not all_finite(list(losses.values())):
            it, what = recovery.fail(it + 1, losses_problem(losses))
            adversarial.fp32 = recovery.fp32
            if notice is not None:
                notice(it, losses, what)
            continue
        done = it = it + 1
        if after is not None:
            stop = after(done, losses)
