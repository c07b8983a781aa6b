"""Stopping inference when its caller goes: one ``should_stop`` callable checked at safe points.

Every task that can run for more than a second (sampling, injection, the full-resolution composition,
the upscaling ladder, super-resolution, animation) takes ``should_stop: Callable[[], bool] | None`` and
checks it between scales, samples, strips, tiles or frames; once it returns True the task raises
:class:`~singan_core.errors.Cancelled` there (at most one step later) and returns nothing. ``None`` (the
default) never stops. A check is one call of the callable (a ``threading.Event.is_set`` on the server),
so the cost is nil next to a generator's forward pass.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import Cancelled
from ..model import NoiseFn

StopFn = Callable[[], bool]


def check_stop(should_stop: StopFn | None, what: str) -> None:
    """Raise :class:`Cancelled` ("<what> cancelled") if ``should_stop()`` says so."""
    if should_stop is not None and should_stop():
        raise Cancelled(f"{what} cancelled")


def stopping_noise(noise: NoiseFn, should_stop: StopFn | None, what: str) -> NoiseFn:
    """``noise`` that checks ``should_stop`` first: :meth:`SinGANModel.run` asks for each scale's noise
    before running it, so the pass stops between scales."""
    if should_stop is None:
        return noise

    def checked(scale: int, n: int, shape: tuple[int, int]) -> torch.Tensor:
        check_stop(should_stop, what)
        return noise(scale, n, shape)

    return checked
