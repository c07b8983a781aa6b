"""Brief fine-tuning of single generators for the applications that the paper tunes for.

* Paint-to-image with quantisation (the reference's ``train_paint``): the injection scale's generator is
  trained again, from its current weights, on inputs whose colours are mapped to the k-means centres of
  the training image, so it learns to turn flat paint colours into realistic texture.
* Harmonization (optional): the finest scales' generators are tuned on the composite's own injection
  path: the adversarial term pushes every patch towards the training image's patches (this is what
  re-renders the pasted object), while a reconstruction term weighted by (1 - mask) anchors the
  background to the composite.

The model passed in is never modified: the tuned generators live in a copy (:func:`with_generators`).
The step is training's own (:mod:`singan_core.adversarial`: the same losses, lr schedule, autocast and
non-finite guard); progress and cancellation go through training's callbacks (``progress``,
``should_stop``); the per-scale networks are the model's own.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable

import torch
import torch.nn as nn

from ..adversarial import Adversarial, run_guarded
from ..config import channels_at
from ..errors import ConfigError, TrainingCancelled, TrainingDiverged
from ..finite import Recovery, Snapshot
from ..losses import reconstruction_loss
from ..model import SinGANModel
from ..networks import Discriminator, Generator, init_weights
from ..pyramid import resize
from ..tensors import to_tensor
from ..train import ProgressFn, iteration_progress
from .quantize import to_centres


def default_iterations(model: SinGANModel) -> int:
    """A quarter of the model's per-scale iterations (at least 10): enough to adapt, not to retrain."""
    return max(10, model.config.train.iterations // 4)


def with_generators(
    model: SinGANModel, generators: dict[int, Generator], noise_amps: dict[int, float] | None = None
) -> SinGANModel:
    """A shallow copy of ``model`` whose generators (and noise amplitudes) at the given scales differ."""
    gens = nn.ModuleList([generators.get(i, g) for i, g in enumerate(model.generators)])
    amps = [(noise_amps or {}).get(i, a) for i, a in enumerate(model.noise_amps)]
    return dataclasses.replace(model, generators=gens, noise_amps=amps)


def real_at(model: SinGANModel, scale: int) -> torch.Tensor:
    """The training image at ``scale`` (``[1, C, H, W]``), as the training pyramid holds it."""
    return resize(to_tensor(model.image, model.device), model.shapes[scale]).clamp(-1, 1)


def _critic(model: SinGANModel, scale: int) -> nn.Module:
    net = model.config.network
    d = Discriminator(model.channels, channels_at(net, scale), net)
    init_weights(d)
    last = model.num_trained - 1
    if model.critic_state is not None and channels_at(net, scale) == channels_at(net, last):
        d.load_state_dict(model.critic_state)  # warm start from the last scale's critic
    return d.to(model.device)


def tune_generator(
    model: SinGANModel,
    scale: int,
    *,
    real: torch.Tensor,  # [1, C, H, W] adversarial target
    random_prev: Callable[[torch.Generator], torch.Tensor],  # -> [1, C, H, W] input in place of up(x_{n-1})
    rec_prev: torch.Tensor,  # [1, C, H', W'] the fixed reconstruction input
    rec_target: torch.Tensor,  # [1, C, H', W']
    rec_weight: torch.Tensor | None = None,  # [1, 1, H', W'] per-pixel weight of the reconstruction term
    noise_amp: float | None = None,
    iterations: int,
    seed: int = 0,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Generator:
    """A copy of ``model.generators[scale]`` trained ``iterations`` more steps with training's own step
    (:class:`~singan_core.adversarial.Adversarial`: WGAN-GP + reconstruction, the model's optimiser
    settings, its lr decay at the same fraction of the iterations, bf16 where its execution switches
    say) and training's guard against non-finite values. Above the coarsest scale the reconstruction
    noise is zero. ``progress`` gets a :class:`~singan_core.train.TrainProgress` per iteration (at most
    every half second); ``should_stop()`` True raises :class:`TrainingCancelled` (the model is untouched)."""
    cfg = model.config.train
    dev = model.device
    g = copy.deepcopy(model.generators[scale]).to(dev)
    for p in g.parameters():
        p.requires_grad_(True)
    d = _critic(model, scale)
    gen = torch.Generator(device=dev).manual_seed(seed)
    amp = model.noise_amps[scale] if noise_amp is None else noise_amp
    cz = model.noise_channels(scale)
    w = torch.ones_like(rec_target[:, :1]) if rec_weight is None else rec_weight
    decay_at = round(iterations * cfg.lr_decay_iteration / cfg.iterations)  # the same fraction as training
    adv = Adversarial(
        d, [{"params": g.parameters(), "lr": cfg.lr_g}], cfg, model.config.execution, dev, decay_at, gen
    )
    snapshot = Snapshot([g, d, *adv.state_objects, gen])
    recovery = Recovery(model, scale, [], snapshot, [adv.opt_g, adv.opt_d])
    t0 = time.perf_counter()
    last = [t0]

    def fake(prev: torch.Tensor) -> torch.Tensor:
        z = torch.randn(1, cz, *prev.shape[-2:], device=dev, generator=gen).expand(-1, prev.shape[1], -1, -1)
        return g(amp * z + prev, prev)

    def next_prev(for_generator: bool) -> torch.Tensor:
        with torch.no_grad():
            return random_prev(gen)

    def reconstruction() -> torch.Tensor:
        with adv.autocast():
            out = g(rec_prev, rec_prev).float()
        return reconstruction_loss(out * w, rec_target * w, cfg.rec_weight)

    def report(done: int, losses: dict[str, torch.Tensor], notice: str = "") -> None:
        if progress is None:
            return
        now = time.perf_counter()
        if not notice and done != iterations and now - last[0] < 0.5:
            return
        last[0] = now
        elapsed = now - t0
        eta = elapsed / max(done, 1) * (iterations - done)
        progress(iteration_progress(scale, model.num_scales, done, iterations, losses, elapsed, eta, notice))

    def after(done: int, losses: dict[str, torch.Tensor]) -> bool:
        report(done, losses)
        return False

    g.train()
    d.train()
    try:
        with torch.enable_grad():
            run_guarded(
                iterations,
                lambda it: adv.iteration(real, fake, next_prev, reconstruction),
                adv,
                snapshot,
                recovery,
                should_stop=should_stop,
                cancelled=lambda: TrainingCancelled(model),
                after=after,
                notice=report,
            )
    except TrainingDiverged as exc:  # training's message speaks of finished scales kept for resuming
        what = str(exc).removeprefix("training diverged at ").split(", again after")[0]
        raise TrainingDiverged(
            f"fine-tuning diverged at {what}; the model is unchanged (run without fine-tuning, or with "
            "another seed)",
            model,
        ) from None
    g.eval()
    for p in g.parameters():
        p.requires_grad_(False)
    return g


@torch.no_grad()
def tune_for_paint(
    model: SinGANModel,
    scale: int,
    centres: torch.Tensor,
    *,
    iterations: int | None = None,
    seed: int = 0,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SinGANModel:
    """Re-train G_scale on colour-quantised inputs (the reference's paint training); returns a copy.

    As in the reference, the noise amplitude is recomputed from the quantised reconstruction input."""
    shape = model.shapes[scale]
    real = real_at(model, scale)

    def noise(s: int, n: int, hw: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
        return torch.randn(n, model.noise_channels(s), *hw, device=model.device, generator=gen)

    def random_prev(gen: torch.Generator) -> torch.Tensor:
        x = model.run(0, None, list(model.shapes), lambda s, n, hw: noise(s, n, hw, gen), last=scale - 1)
        return to_centres(resize(x, shape), centres)

    rec_prev = to_centres(resize(model.reconstruct(scale - 1), shape), centres)
    amp = model.config.train.noise_amp_weight * math.sqrt(torch.mean((real - rec_prev) ** 2).item())
    g = tune_generator(
        model,
        scale,
        real=real,
        random_prev=random_prev,
        rec_prev=rec_prev,
        rec_target=real,
        noise_amp=amp,
        iterations=iterations or default_iterations(model),
        seed=seed,
        progress=progress,
        should_stop=should_stop,
    )
    return with_generators(model, {scale: g}, {scale: amp})


@torch.no_grad()
def tune_for_composite(
    model: SinGANModel,
    injected: torch.Tensor,  # [1, C, H, W] the composite at shapes[first], in place of up(x_{first-1})
    composite: torch.Tensor,  # [1, C, H, W] the composite at shapes[-1]
    weight: torch.Tensor,  # [1, 1, H, W] the blend mask at shapes[-1]
    first: int,
    shapes: list[tuple[int, int]],
    *,
    scales: int = 2,
    iterations: int | None = None,
    seed: int = 0,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SinGANModel:
    """Tune the finest ``scales`` generators (never below ``first``) on the composite's injection path,
    coarse to fine, each seeing the already tuned coarser ones; returns a copy of the model."""
    last = model.num_trained - 1
    tuned = model
    tuned_scales = range(max(first, last - scales + 1), last + 1)
    net = model.config.network
    reach = net.num_layers * (net.kernel_size - 1) + 1  # the critic's receptive field (no padding)
    for scale in tuned_scales:
        if min(shapes[scale]) < reach:
            h, w = shapes[scale]
            raise ConfigError(
                f"fine-tuning needs at least {reach} px a side at scale {scale}, the composite's aspect gives "
                f"{w}x{h}: use a composite closer to the model's aspect, or no fine-tuning"
            )
    for scale in tuned_scales:
        m = tuned

        def prev_path(
            noise_scale: float, gen: torch.Generator | None, m: SinGANModel = m, scale: int = scale
        ):
            if scale == first:
                return injected

            def noise(s: int, n: int, hw: tuple[int, int]) -> torch.Tensor:
                z = torch.randn(n, m.noise_channels(s), *hw, device=m.device, generator=gen)
                return z * noise_scale

            return resize(m.run(first, injected, shapes, noise, last=scale - 1), shapes[scale])

        g = tune_generator(
            m,
            scale,
            real=real_at(m, scale),
            random_prev=lambda gen, p=prev_path: p(1.0, gen),
            rec_prev=prev_path(0.0, None),
            rec_target=resize(composite, shapes[scale]).clamp(-1, 1),
            rec_weight=1.0 - resize(weight, shapes[scale]).clamp(0, 1),
            iterations=iterations or default_iterations(m),
            seed=seed + scale,
            progress=progress,
            should_stop=should_stop,
        )
        tuned = with_generators(tuned, {scale: g})
    return tuned
