"""Progress of the full-resolution steps (native composition, the upscaling ladder, detail synthesis):
one ``progress`` callable, as training's, called after each strip, tile or level with a
:class:`StepProgress`. ``None`` (the default) reports nothing. Cancelling is :mod:`.stop`'s
``should_stop``, not this.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StepProgress:
    what: str  # "composition", "upscaling" or "detail"
    done: int  # units finished (strips, tiles, levels)
    total: int
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


StepFn = Callable[[StepProgress], None]


class Steps:
    """Counts ``total`` units of ``what`` and reports each finished one to ``progress``."""

    def __init__(self, progress: StepFn | None, what: str, total: int) -> None:
        self.progress, self.what, self.total = progress, what, max(int(total), 0)
        self.done, self.t0 = 0, time.perf_counter()

    def step(self, units: int = 1) -> None:
        self.done = min(self.done + units, self.total)
        if self.progress is not None:
            self.progress(StepProgress(self.what, self.done, self.total, time.perf_counter() - self.t0))
