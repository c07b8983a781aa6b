"""singan_core: the SinGAN Studio PyTorch library (Shaham, Dekel, Michaeli, ICCV 2019).

Scale indices count from the coarsest scale: index 0 is the paper's scale N, index 1 is N-1, and
``num_scales - 1`` is the finest scale (the paper's scale 0).

The public API is importable from here (README, "Using the library from Python"): images in and out
(:func:`load_image`, :func:`save_image`, :func:`load_mask`; HxWxC ``uint8``/``uint16`` numpy arrays),
configuration (:func:`get_preset`, :func:`with_overrides`, frozen :class:`SinGANConfig`), training
(:func:`train`, reporting :class:`TrainProgress`), one-file models (:func:`save_checkpoint`,
:func:`load_checkpoint`, :class:`SinGANModel`) and the applications, each a function of a trained model:
:func:`generate`, :func:`harmonize`, :func:`edit`, :func:`paint_to_image`, :func:`inject`,
:func:`super_resolve` (train for it with :func:`sr_config`) and :func:`animate`. Errors a user can fix
are :class:`SinGANError` subclasses with a one-line message.
"""

from .checkpoint import load_checkpoint, save_checkpoint
from .config import PRESETS, SinGANConfig, get_preset, with_overrides
from .device import resolve_device
from .errors import CheckpointError, ConfigError, ImageError, SinGANError, TrainingCancelled
from .imageio import load_image, load_mask, save_image
from .model import SinGANModel
from .tasks.animate import animate
from .tasks.inject import edit, harmonize, inject, paint_to_image
from .tasks.sample import generate
from .tasks.super_resolve import sr_config, super_resolve
from .train import TrainProgress, train

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "CheckpointError",
    "ConfigError",
    "ImageError",
    "SinGANConfig",
    "SinGANError",
    "SinGANModel",
    "TrainProgress",
    "TrainingCancelled",
    "animate",
    "edit",
    "generate",
    "get_preset",
    "harmonize",
    "inject",
    "load_checkpoint",
    "load_image",
    "load_mask",
    "paint_to_image",
    "resolve_device",
    "save_checkpoint",
    "save_image",
    "sr_config",
    "super_resolve",
    "train",
    "with_overrides",
]
