"""Frozen configuration dataclasses, named presets, and pure functions that derive values from them.

Every number of the paper's method is a field here with the paper's value as its default. Configs are
built once at the edge (CLI, server) and never mutated; use :func:`with_overrides` to derive a new one.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class PyramidConfig:
    """Scale schedule: the image's longer side is capped at ``max_size``; the coarsest scale's shorter
    side is ``min_size``; the per-scale factor is recomputed from the image (see ``pyramid.py``)."""

    scale_factor: float = 0.75
    min_size: int = 25
    max_size: int = 250


@dataclass(frozen=True)
class NetworkConfig:
    """Per-scale generator and critic: ``num_layers`` conv blocks of ``kernel_size``; channels start at
    ``base_channels`` and double every ``channel_double_every`` scales up to ``max_channels``."""

    num_layers: int = 5
    kernel_size: int = 3
    base_channels: int = 32
    max_channels: int = 128
    channel_double_every: int = 4
    # Coarsest-scale noise channels: 1 = one channel broadcast to every image channel (the reference).
    # 0 = as many noise channels as the image has.
    coarse_noise_channels: int = 1


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation per scale (WGAN-GP + reconstruction)."""

    iterations: int = 2000  # at the finest scale (and at every scale when coarse_iterations_factor = 1)
    # The coarsest scale trains coarse_iterations_factor x iterations; the factor falls geometrically to
    # 1 at the finest scale (see iterations_at). Coarse scales are cheap, and they set the layout.
    coarse_iterations_factor: float = 1.0
    lr_g: float = 5e-4
    lr_d: float = 5e-4
    beta1: float = 0.5
    beta2: float = 0.999
    d_steps: int = 3
    g_steps: int = 3
    lr_decay_iteration: int = 1600
    lr_decay_gamma: float = 0.1
    gp_weight: float = 0.1
    rec_weight: float = 10.0
    noise_amp_weight: float = 0.1
    # The coarsest scale's reconstruction noise z*: False draws it once before training (the paper's
    # text); True draws a new one at every iteration of scale 0 and keeps the last (the paper's code,
    # tamarott/SinGAN training.py): G_0 then cannot fit one z* exactly, its reconstruction error is
    # larger and so is the noise amplitude above it, which is what lets samples from scale 1 vary.
    # Measured in bench/fidelity.py (README, "Differences from the paper's code").
    redraw_coarse_rec_noise: bool = False
    seed: int = 0
    # The frozen coarser pyramid's random outputs are drawn in batches into a bank of this many samples,
    # refreshed every ``prev_bank_refresh`` iterations. 0 regenerates the coarser pyramid from fresh noise
    # for every critic and generator step, as the reference code does (slow, same distribution).
    prev_bank_size: int = 32
    prev_bank_refresh: int = 50
    # Fine-tune only: reuse the previous scale's weights when the channel count is unchanged.
    warm_start: bool = True
    # ConSinGAN (Hinz et al. 2021): train the last ``concurrent_stages`` scales together; the learning
    # rate of the scale k steps below the newest is multiplied by ``stage_lr_scale ** k``. 1 = SinGAN.
    concurrent_stages: int = 1
    stage_lr_scale: float = 0.1
    # Early stop: every ``early_stop_window`` iterations compare the window means of the reconstruction
    # loss and the critic's gap with the previous window; stop the scale when both changed by less
    # than ``early_stop_tol`` (relative), but not before ``early_stop_min_fraction`` of the iterations.
    early_stop: bool = False
    early_stop_window: int = 100
    early_stop_tol: float = 0.05
    early_stop_min_fraction: float = 0.25


@dataclass(frozen=True)
class ExecutionConfig:
    """How a training runs on the hardware, never what it learns (see acceleration.py): not part of the
    model's identity, so a model trained or resumed with other switches keeps its id. Overrides are
    ``exec.NAME`` (``train.NAME``, the spelling from before these had their own section, still works)."""

    # CPU threads: 0 = tune between all cores and 1 at each scale; N = fixed (reproducible).
    threads: int = 0
    channels_last: bool = False
    # bf16 autocast of the forward passes: on CUDA, and on CPUs with native bf16 (AMX / AVX512-BF16);
    # ignored elsewhere.
    autocast_bf16: bool = False
    compile: bool = False  # torch.compile the generator
    cuda_graphs: bool = False  # with compile on CUDA: replay CUDA graphs; ignored elsewhere
    # False recomputes the reconstruction path through the frozen coarser scales at every generator
    # step (the unoptimised baseline that bench/speed.py compares against; same result, slower).
    rec_cache: bool = True


#: The execution switches' names (they were TrainConfig fields before they had their own section).
EXECUTION_FIELDS = tuple(f.name for f in dataclasses.fields(ExecutionConfig))


@dataclass(frozen=True)
class SinGANConfig:
    preset: str = "paper"
    pyramid: PyramidConfig = field(default_factory=PyramidConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)


#: The sections that define the model (its id hashes exactly these); ``execution`` is not one of them.
MODEL_SECTIONS = ("pyramid", "network", "train")


def _preset_fast() -> SinGANConfig:
    # ConSinGAN's concurrent training of 3 scales and 6x the iterations at the cheap coarsest scale
    # (falling to 200 at the finest); its speed and SIFID against the paper preset: bench/README.md.
    # z* is redrawn at every iteration of the coarsest scale, as in ``paper`` (issue 22): with one fixed
    # z* and 6x the iterations G_0 fits it exactly, the noise amplitude above it was 0.007 (paper's code
    # 0.03) and samples from scale 1 were near-copies (README, "Differences from the paper's code").
    return SinGANConfig(
        preset="fast",
        # 6 scales (ConSinGAN's count; the per-scale factor is recomputed from the image), 32 channels
        pyramid=PyramidConfig(scale_factor=0.7, min_size=25, max_size=160),
        network=NetworkConfig(base_channels=32, max_channels=32),
        train=TrainConfig(
            iterations=200,
            lr_decay_iteration=160,
            coarse_iterations_factor=6.0,
            concurrent_stages=3,
            prev_bank_size=16,
            prev_bank_refresh=25,
            redraw_coarse_rec_noise=True,
        ),
        execution=ExecutionConfig(autocast_bf16=True),
    )


def _preset_tiny() -> SinGANConfig:
    # For tests: a 32 px image gets 3 scales (20, 26, 32 px) and trains in a few seconds.
    return SinGANConfig(
        preset="tiny",
        pyramid=PyramidConfig(scale_factor=0.6, min_size=20, max_size=32),
        network=NetworkConfig(base_channels=8, max_channels=8),
        train=TrainConfig(iterations=30, lr_decay_iteration=24, prev_bank_size=4, prev_bank_refresh=10),
        execution=ExecutionConfig(threads=1),
    )


PRESETS: dict[str, SinGANConfig] = {
    # The paper's model and schedule. bf16 autocast (where native, else ignored) is an execution choice
    # with the same SIFID (measured in bench/README.md); ``exec.autocast_bf16=false`` runs in fp32.
    "paper": SinGANConfig(
        train=TrainConfig(redraw_coarse_rec_noise=True), execution=ExecutionConfig(autocast_bf16=True)
    ),
    "fast": _preset_fast(),
    "tiny": _preset_tiny(),
}


def get_preset(name: str) -> SinGANConfig:
    """Return the named preset; raises :class:`ConfigError` naming the valid presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None


def channels_at(network: NetworkConfig, scale: int) -> int:
    """Feature channels of the generator and critic at ``scale`` (0 = coarsest)."""
    return min(network.base_channels * 2 ** (scale // network.channel_double_every), network.max_channels)


def iterations_multiplier(train: TrainConfig, scale: int, num_scales: int) -> float:
    """coarse_iterations_factor at scale 0, 1 at the finest, geometric in between."""
    if num_scales <= 1:
        return 1.0
    return train.coarse_iterations_factor ** ((num_scales - 1 - scale) / (num_scales - 1))


def iterations_at(train: TrainConfig, scale: int, num_scales: int) -> int:
    """Training iterations of ``scale`` (0 = coarsest) in a pyramid of ``num_scales``."""
    return max(1, round(train.iterations * iterations_multiplier(train, scale, num_scales)))


def first_trained_scale(train: TrainConfig, scale: int) -> int:
    """The coarsest scale trained together with ``scale`` (``concurrent_stages`` of them, ConSinGAN)."""
    return max(scale - train.concurrent_stages + 1, 0)


def lr_decay_at(train: TrainConfig, scale: int, num_scales: int) -> int:
    """The iteration of ``scale`` where the learning rates drop: ``lr_decay_iteration`` stretched with
    the scale's iterations, so it stays at the same fraction of the scale's training."""
    return max(1, round(train.lr_decay_iteration * iterations_multiplier(train, scale, num_scales)))


def config_to_dict(cfg: SinGANConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def config_to_json(cfg: SinGANConfig) -> str:
    """Canonical JSON (sorted keys): the same config always gives the same string."""
    return json.dumps(config_to_dict(cfg), sort_keys=True, separators=(",", ":"))


_SECTIONS = {
    "pyramid": PyramidConfig,
    "network": NetworkConfig,
    "train": TrainConfig,
    "execution": ExecutionConfig,
}
_SECTION_ALIASES = {"exec": "execution"}  # the override spelling: exec.threads=1


def _section_of(section: str, name: str) -> str:
    """The section holding ``section.name``: ``exec`` means ``execution``, and an execution switch
    under ``train`` (where it was before it had its own section) is moved there."""
    section = _SECTION_ALIASES.get(section, section)
    return "execution" if section == "train" and name in EXECUTION_FIELDS else section


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(f"unknown config field(s) in {where}: {', '.join(unknown)}")
    out = {}
    for key, value in values.items():
        default = getattr(cls(), key)
        out[key] = _coerce(value, type(default), f"{where}.{key}")
    return cls(**out)


def _coerce(value: Any, kind: type, where: str) -> Any:
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from None


def config_from_dict(data: dict[str, Any]) -> SinGANConfig:
    """Inverse of :func:`config_to_dict`; missing fields take their defaults, unknown ones are errors.

    A ``train`` section holding execution switches (configs written before they had their own section:
    stored models, job records) has them moved to ``execution``; the ``execution`` section's own values
    win where both are given."""
    data = dict(data)
    preset = str(data.pop("preset", "custom"))
    values: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key not in _SECTIONS:
            raise ConfigError(f"unknown config section {key!r}")
        if not isinstance(value, dict):
            raise ConfigError(f"config section {key!r} must be a mapping")
        for name, v in value.items():
            target = values.setdefault(_section_of(key, name), {})
            if key == "execution" or name not in target:
                target[name] = v
    sections = {key: _build(_SECTIONS[key], value, key) for key, value in values.items()}
    cfg = SinGANConfig(preset=preset, **sections)
    validate_config(cfg)
    return cfg


def iteration_overrides(iterations: int) -> dict[str, int]:
    """Overrides for ``iterations`` per scale that keep the lr decay at the same fraction of the
    schedule (the paper's 1600 of 2000)."""
    return {"train.iterations": iterations, "train.lr_decay_iteration": max(1, round(iterations * 0.8))}


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``["section.field=value", ...]`` (the ``--set`` options) as an overrides dict."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set needs SECTION.FIELD=VALUE, got {item!r}")
        overrides[key.strip()] = value.strip()
    return overrides


def with_overrides(cfg: SinGANConfig, overrides: dict[str, Any]) -> SinGANConfig:
    """Return a copy with dotted overrides applied, e.g. ``{"train.iterations": 500}``."""
    data = config_to_dict(cfg)
    for dotted, value in overrides.items():
        section, _, name = dotted.partition(".")
        section = _section_of(section, name)
        if section not in _SECTIONS or not name:
            names = ", ".join(s for s in _SECTIONS if s != "execution")
            raise ConfigError(f"bad override {dotted!r}: use section.field with section in {names}, exec")
        if name not in data[section]:
            raise ConfigError(f"unknown config field {dotted!r}")
        data[section][name] = value
    return config_from_dict(data)


#: Upper bounds of the config's fields: far beyond any useful value, low enough that a request cannot ask
#: for absurd memory or time through one number (the server's memory budget then checks the whole).
MAX_CHANNELS = 512
MAX_SIDE = 4096
MAX_ITERATIONS = 1_000_000


def _finite_in(value: float, low: float, high: float) -> bool:
    return math.isfinite(value) and low <= value <= high


def validate_config(cfg: SinGANConfig) -> None:
    """Raise :class:`ConfigError` for values that cannot train or are out of their valid range."""
    p, n, t, e = cfg.pyramid, cfg.network, cfg.train, cfg.execution
    checks = [
        (0.1 <= p.scale_factor < 1.0, "pyramid.scale_factor must be in [0.1, 1)"),
        (p.min_size >= 2 * n.num_layers, f"pyramid.min_size must be at least {2 * n.num_layers} px"),
        (p.max_size >= p.min_size, "pyramid.max_size must be >= pyramid.min_size"),
        (p.max_size <= MAX_SIDE, f"pyramid.max_size must be <= {MAX_SIDE}"),
        (2 <= n.num_layers <= 16, "network.num_layers must be in 2..16"),
        (n.kernel_size in (1, 3, 5), "network.kernel_size must be 1, 3 or 5"),
        (1 <= n.base_channels <= n.max_channels, "need 1 <= network.base_channels <= network.max_channels"),
        (n.max_channels <= MAX_CHANNELS, f"network.max_channels must be <= {MAX_CHANNELS}"),
        (1 <= n.channel_double_every <= 1000, "network.channel_double_every must be in 1..1000"),
        (n.coarse_noise_channels in (0, 1), "network.coarse_noise_channels must be 0 or 1"),
        (1 <= t.iterations <= MAX_ITERATIONS, f"train.iterations must be in 1..{MAX_ITERATIONS}"),
        (1.0 <= t.coarse_iterations_factor <= 100.0, "train.coarse_iterations_factor must be in [1, 100]"),
        (
            1 <= t.d_steps <= 100 and 1 <= t.g_steps <= 100,
            "train.d_steps and train.g_steps must be in 1..100",
        ),
        (
            _finite_in(t.lr_g, 1e-12, 1.0) and _finite_in(t.lr_d, 1e-12, 1.0),
            "learning rates must be in (0, 1]",
        ),
        (
            _finite_in(t.beta1, 0, 0.9999) and _finite_in(t.beta2, 0, 0.999999),
            "train.beta1/beta2 must be in [0, 1)",
        ),
        (
            1 <= t.lr_decay_iteration <= MAX_ITERATIONS,
            f"train.lr_decay_iteration must be in 1..{MAX_ITERATIONS}",
        ),
        (_finite_in(t.lr_decay_gamma, 0, 1), "train.lr_decay_gamma must be in [0, 1]"),
        (
            all(_finite_in(w, 0, 1e6) for w in (t.gp_weight, t.rec_weight, t.noise_amp_weight)),
            "train.gp_weight, rec_weight and noise_amp_weight must be in [0, 1e6]",
        ),
        (0 <= t.seed < 2**63, "train.seed must be in 0..2**63-1"),
        (
            0 <= t.prev_bank_size <= 1024 and 1 <= t.prev_bank_refresh <= MAX_ITERATIONS,
            "bad prev_bank_size (0..1024) / prev_bank_refresh (>= 1)",
        ),
        (1 <= t.concurrent_stages <= 32, "train.concurrent_stages must be in 1..32"),
        (0 < t.stage_lr_scale <= 1, "train.stage_lr_scale must be in (0, 1]"),
        (
            1 <= t.early_stop_window <= MAX_ITERATIONS and _finite_in(t.early_stop_tol, 0, 1e6),
            "bad early_stop_window / early_stop_tol",
        ),
        (0 <= t.early_stop_min_fraction <= 1, "train.early_stop_min_fraction must be in [0, 1]"),
        (0 <= e.threads <= 1024, "exec.threads must be in 0..1024 (0 = automatic)"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
