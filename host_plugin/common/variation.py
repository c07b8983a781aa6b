"""Variation strength, the option every sampling action sends: how far the model's noise departs from
the training image's reconstruction. 1 = as trained (the server's default when the request leaves it
unset), 0 = the reconstruction (no new randomness), larger = wilder. Pure Python (runs in the editors).

The plugins' range is :data:`MIN_VARIATION` .. :data:`MAX_VARIATION`, the one range both editors' dialogs
offer and every plan checks. The server accepts more (``singan_core.tasks.sample.MAX_VARIATION``, 5: the
CLI's and scripts' hard limit), but past 2 samples gain variety only at the cost of quality: on balloons
(bench/README, issue 22) the diversity of samples from scale N-1 went 0.101 / 0.168 / 0.217 at 1 / 2 / 3,
and at 3 the details turn grainy (speckle in the sky)."""

from __future__ import annotations

from .models import ActionError

MIN_VARIATION = 0.0
MAX_VARIATION = 2.0
DEFAULT_VARIATION = 1.0
#: what the dialogs say about the range
VARIATION_HELP = (
    f"{MIN_VARIATION:g} = no new randomness (closest to the input), {DEFAULT_VARIATION:g} = as trained, "
    f"{MAX_VARIATION:g} = wilder"
)


def sent_variation(variation: float) -> float | None:
    """What a plan sends for ``variation``: None for 1 (as trained: older servers get the same request),
    else the value; :class:`ActionError` outside MIN_VARIATION..MAX_VARIATION (NaN included)."""
    v = float(variation)
    if not MIN_VARIATION <= v <= MAX_VARIATION:
        raise ActionError(
            f"variation must be {MIN_VARIATION:g}..{MAX_VARIATION:g} (1 = as trained), got {v:g}"
        )
    return None if v == DEFAULT_VARIATION else v
