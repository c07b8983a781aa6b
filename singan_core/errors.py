"""Exceptions that carry a message a person can act on (the CLI and server print them as is)."""

from __future__ import annotations

from typing import Any


class SinGANError(Exception):
    """Base class for every error the library raises on purpose."""


class ImageError(SinGANError, ValueError):
    """An input image cannot be used (unreadable, too small, too large, fully transparent...)."""


class ConfigError(SinGANError, ValueError):
    """A configuration value or preset name is invalid."""


class CheckpointError(SinGANError):
    """A model file is missing, truncated, of an unknown format, or does not match."""


class DamagedModel(CheckpointError):
    """A model holds a non-finite (NaN or infinite) weight or noise amplitude: it would draw blank images,
    so it is never written, loaded or served."""


class TrainingDiverged(SinGANError):
    """Training hit non-finite values that restoring the last finite state and retrying did not cure.

    ``model`` holds every scale finished before it (they are usable, and resuming continues from them).
    """

    def __init__(self, message: str, model: Any) -> None:
        super().__init__(message)
        self.model = model


class Cancelled(SinGANError):
    """Work stopped at a safe point because its ``should_stop()`` returned True (its caller went away:
    a cancelled call, a passed deadline). Nothing was returned or written."""


class TrainingCancelled(Cancelled):
    """Training stopped at a safe point because ``should_stop()`` returned True.

    ``model`` holds every scale finished before the stop (it may have zero trained scales).
    """

    def __init__(self, model: Any) -> None:
        super().__init__(f"training cancelled after {model.num_trained} of {model.num_scales} scales")
        self.model = model
