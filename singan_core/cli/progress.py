"""A terminal progress line for training: scale i of N, iteration, losses, elapsed and time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ..train import TrainProgress


def format_seconds(s: float) -> str:
    s = int(round(max(s, 0.0)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


class ProgressBar:
    """Redraws one line on a terminal; on a pipe prints a line every few seconds and per finished scale."""

    def __init__(self, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.last = 0.0

    def __call__(self, p: TrainProgress) -> None:
        if p.notice:  # training recovered from a non-finite value: say so on a line of its own
            print(("\n" if self.tty else "") + f"warning: {p.notice}", file=self.stream, flush=True)
        frac = p.iteration / max(p.iterations, 1)
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        losses = " ".join(f"{k}={v:.3f}" for k, v in p.losses.items())
        line = (
            f"scale {p.scale + 1}/{p.num_scales} [{bar}] it {p.iteration}/{p.iterations} "
            f"{losses} elapsed {format_seconds(p.elapsed_s)} left "
            + (format_seconds(p.eta_s) if p.eta_s >= 0 else "?")  # -1: not measured yet
        )
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if p.scale_done else ""))
            self.stream.flush()
        elif p.scale_done or time.monotonic() - self.last > 10:
            self.last = time.monotonic()
            print(("done " if p.scale_done else "") + line, file=self.stream, flush=True)
