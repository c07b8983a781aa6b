"""How long training has left: seconds per iteration modelled as ``overhead + rate * cost``.

A scale's *cost* is the work of one iteration in pixels x channels^2: every generator it trains (one, or
several with concurrent stages) plus its critic. Per-iteration time is not proportional to that cost: at the
coarsest scales it is mostly fixed overhead (Python, kernel launches, tiny convolutions), so scaling the
coarsest scale's rate up by cost overestimates the rest of a 250 px training about twofold. The model is
fitted by least squares to the scales measured so far (and the one running); before a second scale has
been measured, the first one's time is split by a prior that matched CPU trainings of the fast and paper
presets.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from .config import SinGANConfig, channels_at, first_trained_scale


def iteration_cost(config: SinGANConfig, shapes: Sequence[tuple[int, int]], scale: int) -> float:
    """Work of one training iteration at ``scale``: the generators trained there plus the critic."""
    first = first_trained_scale(config.train, scale)

    def work(s: int) -> float:
        h, w = shapes[s]
        return float(h * w * channels_at(config.network, s) ** 2)

    return sum(work(s) for s in range(first, scale + 1)) + work(scale)


class IterationTimeModel:
    """``predict(cost)`` = overhead + rate * cost, fitted to ``observe``d (cost, seconds per iteration)."""

    #: With one measurement only: the share of its time taken to be overhead that does not grow with cost.
    PRIOR_OVERHEAD = 0.8

    def __init__(self) -> None:
        self.points: dict[object, tuple[float, float]] = {}

    def observe(self, key: object, cost: float, seconds_per_iteration: float) -> None:
        """Record (or, for the same ``key``, update) one measurement."""
        if cost > 0 and seconds_per_iteration > 0:
            self.points[key] = (cost, seconds_per_iteration)

    def coefficients(self) -> tuple[float, float]:
        """(overhead seconds, seconds per unit of cost); (0, 0) before any measurement."""
        pts = list(self.points.values())
        if not pts:
            return 0.0, 0.0
        if len(pts) == 1 or len({c for c, _ in pts}) == 1:
            c = sum(c for c, _ in pts) / len(pts)
            t = sum(t for _, t in pts) / len(pts)
            return self.PRIOR_OVERHEAD * t, (1 - self.PRIOR_OVERHEAD) * t / c
        n = len(pts)
        mc = sum(c for c, _ in pts) / n
        mt = sum(t for _, t in pts) / n
        var = sum((c - mc) ** 2 for c, _ in pts)
        rate = sum((c - mc) * (t - mt) for c, t in pts) / var
        overhead = mt - rate * mc
        if rate < 0:  # time does not grow with cost here (a GPU far from saturated): a flat rate
            return mt, 0.0
        if overhead < 0:  # no measurable overhead: proportional through the origin
            return 0.0, sum(c * t for c, t in pts) / sum(c * c for c, _ in pts)
        return overhead, rate

    def predict(self, cost: float) -> float:
        overhead, rate = self.coefficients()
        return overhead + rate * cost


class RecentRate:
    """Seconds per iteration over the last ``window`` iterations of the running scale.

    A mean over the whole scale keeps a stall at its start (set-up, a busy machine) for the rest of the
    scale: seen on a shared 2-core machine, 25 s at iteration 2 put the ETA at 3 hours for a training
    that had 8 minutes left. Over a window such a stall fades after ``window`` iterations, and a machine
    that gets busier or freer shows within as many.
    """

    def __init__(self, window: int = 30) -> None:
        self.marks: deque[tuple[int, float]] = deque(maxlen=window + 1)

    def restart(self) -> None:
        self.marks.clear()

    def mark(self, iteration: int, seconds: float) -> None:
        """Iteration ``iteration`` finished at time ``seconds``."""
        self.marks.append((iteration, seconds))

    def rate(self) -> float | None:
        """None until three iterations after the first are timed."""
        if len(self.marks) < 4:
            return None
        (i0, t0), (i1, t1) = self.marks[0], self.marks[-1]
        return (t1 - t0) / (i1 - i0) if i1 > i0 else None
