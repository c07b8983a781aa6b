"""The training loop: one scale at a time, coarse to fine, reporting through callbacks (no IO here)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn

from .acceleration import ThreadTuner, memory_format, prepare_module
from .adversarial import Adversarial, run_guarded
from .config import SinGANConfig, channels_at, iterations_at, lr_decay_at, validate_config
from .device import resolve_device
from .errors import CheckpointError, TrainingCancelled, TrainingDiverged
from .eta import TrainingClock, iteration_units
from .fingerprint import image_hash, model_id
from .finite import Recovery, Snapshot
from .imageio import prepare_training_image
from .losses import reconstruction_loss
from .model import SinGANModel
from .networks import Discriminator, init_weights
from .plateau import PlateauStop
from .pyramid import build_pyramid, plan_pyramid, resize
from .stages import PrevSource, Stages
from .tensors import to_array, to_tensor


@dataclass
class TrainProgress:
    scale: int  # 0-based index of the scale being trained (0 = coarsest)
    num_scales: int
    iteration: int  # iterations finished at this scale
    iterations: int
    losses: dict[str, float] = field(default_factory=dict)  # d, gp, g_adv, rec (empty between reports)
    elapsed_s: float = 0.0
    eta_s: float = 0.0
    preview: np.ndarray | None = None  # a random sample at this scale, set when the scale finishes
    scale_done: bool = False
    notice: str = ""  # set once when training recovered from a non-finite value (what and where)


ProgressFn = Callable[[TrainProgress], None]


def iteration_progress(
    scale: int,
    num_scales: int,
    done: int,
    iterations: int,
    losses: dict[str, torch.Tensor],
    elapsed_s: float,
    eta_s: float,
    notice: str = "",
) -> TrainProgress:
    """The report of an iteration (or a recovery) of training or fine-tuning."""
    return TrainProgress(
        scale=scale,
        num_scales=num_scales,
        iteration=done,
        iterations=iterations,
        losses={k: float(v.detach()) for k, v in losses.items()},
        elapsed_s=elapsed_s,
        eta_s=eta_s,
        notice=notice,
    )


def _seed_for(seed: int, scale: int, stream: int) -> int:
    return int(np.random.SeedSequence([seed, scale, stream]).generate_state(1)[0])


def new_model(
    image: np.ndarray, config: SinGANConfig, device: torch.device
) -> tuple[SinGANModel, list[torch.Tensor]]:
    """An untrained model for ``image`` plus the training image at every scale (coarsest first)."""
    arr = prepare_training_image(image)
    plan = plan_pyramid(arr.shape[0], arr.shape[1], config.pyramid)
    reals = build_pyramid(to_tensor(arr, device), plan)
    finest = reals[-1]
    dtype = arr.dtype
    gen = torch.Generator().manual_seed(_seed_for(config.train.seed, 0, 99))
    cz = 1 if config.network.coarse_noise_channels == 1 else arr.shape[2]
    z_rec = torch.randn(1, cz, *plan.shapes[0], generator=gen).to(device)
    model = SinGANModel(
        config=config,
        shapes=plan.shapes,
        scale_factor=plan.scale_factor,
        channels=arr.shape[2],
        bit_depth=16 if dtype == np.uint16 else 8,
        image=to_array(finest, dtype),
        image_hash=image_hash(np.asarray(image)),
        model_id=model_id(np.asarray(image), config),
        z_rec=z_rec,
        created=time.time(),
    )
    return model, reals


class _Timer:
    """Elapsed time and the ETA of a training: :class:`~singan_core.eta.TrainingClock` on this
    process's clock, fed every iteration; ``elapsed`` includes the scales of a resumed run."""

    def __init__(self, model: SinGANModel, start_scale: int) -> None:
        self.t0 = time.perf_counter()
        self.done_before = sum(model.train_seconds)
        n, cfg = model.num_scales, model.config
        units = [iteration_units(cfg, model.shapes, s, model.device.type) for s in range(n)]
        iterations = [iterations_at(cfg.train, s, n) for s in range(n)]
        self.clock = TrainingClock(units, iterations, model.train_seconds[:start_scale])

    def start_scale(self, scale: int) -> None:
        self.clock.start_scale(scale, self.elapsed())

    def iteration_done(self, done: int) -> None:
        self.clock.iteration_done(done, self.elapsed())

    def eta(self) -> float:
        """Seconds left; -1 until the speed is measured (a scale's first iterations)."""
        eta = self.clock.eta()
        return -1.0 if eta is None else eta

    def elapsed(self) -> float:
        return self.done_before + time.perf_counter() - self.t0


def train(
    image: np.ndarray,
    config: SinGANConfig,
    *,
    device: str | torch.device = "auto",
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_scale_done: Callable[[SinGANModel], None] | None = None,
    resume: SinGANModel | None = None,
    finite_checks: bool = True,
) -> SinGANModel:
    """Train (or continue training) a SinGAN on ``image`` (HxWxC uint8/uint16).

    With ``finite_checks`` (the default; False only to measure what the checks cost or what happens
    without them) the losses are checked every iteration and the weights every ``SNAPSHOT_EVERY``
    iterations and at the end of each scale; a non-finite value restores the scale's last finite state
    and retries, and :class:`TrainingDiverged` (carrying the finished scales) ends what cannot recover.

    Stops at a safe point when ``should_stop()`` returns True and raises :class:`TrainingCancelled`
    carrying the model with every finished scale. ``on_scale_done(model)`` runs after each scale.
    """
    validate_config(config)
    dev = resolve_device(device)
    model, reals = new_model(image, config, dev)
    if resume is not None:
        if resume.model_id != model.model_id:
            raise CheckpointError("cannot resume: the checkpoint was trained on another image or config")
        # the same model (same id); how it runs is this call's: its execution switches, not the stored ones
        model = resume.to(dev)
        model.config = config
    model.eval()
    timer = _Timer(model, model.num_trained)
    tuner = ThreadTuner(config.execution.threads, dev)
    try:
        for scale in range(model.num_trained, model.num_scales):
            if should_stop is not None and should_stop():
                raise TrainingCancelled(model)
            t_scale = time.perf_counter()
            timer.start_scale(scale)
            critic, done = _train_scale(
                model, scale, reals[scale], timer, progress, should_stop, tuner, finite_checks
            )
            model.critic_state = {
                k: v.detach().cpu().contiguous().clone() for k, v in critic.state_dict().items()
            }
            model.train_seconds.append(time.perf_counter() - t_scale)
            if progress is not None:
                progress(
                    TrainProgress(
                        scale=scale,
                        num_scales=model.num_scales,
                        iteration=done,
                        iterations=iterations_at(config.train, scale, model.num_scales),
                        elapsed_s=timer.elapsed(),
                        eta_s=timer.eta() if scale + 1 < model.num_scales else 0.0,
                        preview=_preview(model, scale),
                        scale_done=True,
                    )
                )
            if on_scale_done is not None:
                on_scale_done(model)
    finally:
        tuner.close()
    return model


@torch.no_grad()
def _preview(model: SinGANModel, scale: int) -> np.ndarray:
    gen = torch.Generator().manual_seed(12345)

    def noise(s: int, n: int, shape: tuple[int, int]) -> torch.Tensor:
        return torch.randn(n, model.noise_channels(s), *shape, generator=gen)

    x = model.run(0, None, list(model.shapes), noise, last=scale)
    return to_array(x, model.dtype)


def _make_nets(model: SinGANModel, scale: int, seed: int) -> tuple[nn.Module, nn.Module]:
    cfg = model.config
    torch.manual_seed(_seed_for(seed, scale, 1))
    g = model.new_generator(scale)
    d = Discriminator(model.channels, channels_at(cfg.network, scale), cfg.network)
    init_weights(g)
    init_weights(d)
    same = scale > 0 and channels_at(cfg.network, scale) == channels_at(cfg.network, scale - 1)
    if cfg.train.warm_start and same:
        g.load_state_dict(model.generators[scale - 1].state_dict())
        if model.critic_state is not None:
            d.load_state_dict(model.critic_state)
    g, d = g.to(model.device), d.to(model.device)
    return prepare_module(g, cfg.execution), prepare_module(d, cfg.execution)


def _coarse_rec_redraw(model: SinGANModel, scale: int) -> Callable[[], torch.Tensor] | None:
    """With ``train.redraw_coarse_rec_noise``, at scale 0: a function drawing a new z* [1, Cz, H0, W0]
    (seeded from the training seed); None otherwise (z* stays as drawn by :func:`new_model`)."""
    if scale != 0 or not model.config.train.redraw_coarse_rec_noise:
        return None
    gen = torch.Generator().manual_seed(_seed_for(model.config.train.seed, 0, 4))
    shape = tuple(model.z_rec.shape)
    return lambda: torch.randn(*shape, generator=gen).to(model.device)


def _noise_amp(model: SinGANModel, scale: int, real: torch.Tensor) -> float:
    if scale == 0:
        return 1.0
    with torch.no_grad():
        rec = resize(model.reconstruct(scale - 1), model.shapes[scale])
        return model.config.train.noise_amp_weight * math.sqrt(torch.mean((real - rec) ** 2).item())


def _train_scale(
    model: SinGANModel,
    scale: int,
    real: torch.Tensor,  # [1, C, H, W]
    timer: _Timer,
    progress: ProgressFn | None,
    should_stop: Callable[[], bool] | None,
    tuner: ThreadTuner,
    finite_checks: bool = True,
) -> tuple[nn.Module, int]:
    """Train scale ``scale``; returns its critic and the iterations run (fewer after an early stop)."""
    cfg, run = model.config.train, model.config.execution
    dev = model.device
    iterations = iterations_at(cfg, scale, model.num_scales)
    gen_dev = torch.Generator(device=dev).manual_seed(_seed_for(cfg.seed, scale, 2))
    gen_cpu = torch.Generator().manual_seed(_seed_for(cfg.seed, scale, 3))
    g, d = _make_nets(model, scale, cfg.seed)
    real = real.contiguous(memory_format=memory_format(run))
    amp = _noise_amp(model, scale, real)
    if not math.isfinite(amp):
        raise TrainingDiverged(
            f"scale {scale + 1} of {model.num_scales}: the noise amplitude is {amp} (broken coarser scales)",
            model,
        )
    stages = Stages(model, scale, g, amp)
    # The reconstruction input is fixed while scale n trains: compute it once (unless benchmarking).
    with torch.no_grad():
        rec_prev = stages.rec_prev()
    rec_noise = stages.rec_noise()
    redraw = _coarse_rec_redraw(model, scale)

    adv = Adversarial(
        d,
        stages.param_groups(cfg.lr_g, cfg.stage_lr_scale),
        cfg,
        run,
        dev,
        lr_decay_at(cfg, scale, model.num_scales),
        gen_dev,
    )
    source = PrevSource(model, stages.first, gen_dev, gen_cpu)
    plateau = PlateauStop(
        cfg.early_stop_window, cfg.early_stop_tol, math.ceil(cfg.early_stop_min_fraction * iterations)
    )
    snapshot = Snapshot([*stages.nets, d, *adv.state_objects, gen_dev, gen_cpu, source, plateau])
    recovery = Recovery(model, scale, stages.older, snapshot, [adv.opt_g, adv.opt_d])
    prev: torch.Tensor | None = None

    def next_prev(for_generator: bool) -> torch.Tensor:
        nonlocal prev
        # without a bank, a generator step reuses the last critic step's input (as the reference)
        if prev is None or not for_generator or cfg.prev_bank_size > 0:
            prev = source.next()
        return prev

    def fake(p: torch.Tensor) -> torch.Tensor:
        return stages(p, stages.random_noise(gen_dev))

    def reconstruction() -> torch.Tensor:
        nonlocal rec_prev
        if not run.rec_cache:
            with torch.no_grad():
                rec_prev = stages.rec_prev()
        with adv.autocast():
            return reconstruction_loss(stages(rec_prev, rec_noise).float(), real, cfg.rec_weight)

    def step(it: int) -> dict[str, torch.Tensor]:
        if redraw is not None:  # the paper's code: a new z* every iteration at scale 0, the last one kept
            model.z_rec = rec_noise[0] = redraw()
        tuner.before(it)
        source.start_iteration(it)
        losses = adv.iteration(real, fake, next_prev, reconstruction)
        tuner.after(it)
        return losses

    def report(done: int, losses: dict[str, torch.Tensor], notice: str = "") -> None:
        if progress is None:
            return
        eta = timer.eta()
        progress(
            iteration_progress(
                scale, model.num_scales, done, iterations, losses, timer.elapsed(), eta, notice
            )
        )

    last_report = time.perf_counter()

    def after(done: int, losses: dict[str, torch.Tensor]) -> bool:
        nonlocal last_report
        timer.iteration_done(done)
        stop = False
        if cfg.early_stop:
            plateau.update(losses["rec"], losses["d"])
            stop = plateau.should_stop(done)
        now = time.perf_counter()
        if now - last_report >= 0.5 or done == iterations or done % 50 == 0 or stop:
            last_report = now
            report(done, losses)
        return stop

    g.train()
    d.train()
    tuner.restart()
    done = run_guarded(
        iterations,
        step,
        adv,
        snapshot,
        recovery,
        finite_checks=finite_checks,
        should_stop=should_stop,
        cancelled=lambda: TrainingCancelled(model),
        after=after,
        notice=report,
    )
    stages.freeze()
    model.generators.append(g)
    model.noise_amps.append(amp)
    return d, done
