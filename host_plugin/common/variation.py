"""Variation strength, the option every sampling action sends: how far the model's noise departs from
the training image's reconstruction. 1 = as trained (the server's default when the request leaves it
unset), 0 = the reconstruction (no new randomness), larger = wilder. Pure Python (runs in the editors)."""

from __future__ import annotations

from .models import ActionError

#: The strengths the server accepts (singan_core.tasks.sample.MAX_VARIATION); the dialogs offer less.
MAX_VARIATION = 5.0
DEFAULT_VARIATION = 1.0


def sent_variation(variation: float) -> float | None:
    """What a plan sends for ``variation``: None for 1 (as trained: older servers get the same request),
    else the value; :class:`ActionError` outside 0..MAX_VARIATION (NaN included)."""
    v = float(variation)
    if not 0.0 <= v <= MAX_VARIATION:
        raise ActionError(f"variation must be 0..{MAX_VARIATION:g} (1 = as trained), got {variation}")
    return None if v == DEFAULT_VARIATION else v
