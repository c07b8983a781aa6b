"""How long training has left: a cost law per iteration and a speed measured as the training runs.

A scale's *cost* is the work of one iteration in pixels x channels^2: every generator it trains (one, or
several with concurrent stages) plus its critic. Time per iteration is not proportional to it: at the
coarsest scales most of it is fixed overhead (Python, autograd, kernel launches), about the same for
every network an iteration runs, so :func:`iteration_units` adds that overhead per network. A training's
predicted cost is its scales' iterations x units; :class:`TrainingClock` measures the seconds per unit as
the training goes (the scales already done set the prediction of the later ones) and gives the ETA.
:class:`IterationTimeModel` (overhead + rate x cost, least squares) remains for the GPU bench's
extrapolation.
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


#: Fixed per-iteration time of each network an iteration runs (every generator stage trained, and the
#: critic), in the cost's units (pixels x channels^2), per device kind: Python, autograd and kernel
#: launches, which do not grow with the image. CPU: fitted to the per-scale median iteration times of two
#: real fast trainings of balloons at 120 px on the loaded 2-core development machine (load average 7-17,
#: tests/data/progress 120px_tuned and 120px_cost: with 2.5e6 their seconds per unit differ by 6% and 14%
#: (rms, log) across scales, 120px_cost2 recorded after by 21%; with no overhead by 3x from the coarsest
#: scale to the finest); the same machine with one thread to itself fits 1.1e6 (0.107 / 0.183 / 0.325 /
#: 0.536 / 0.874 s per iteration), as a busy machine adds per-operation overhead. So a 34x25 scale's iteration is about 75% overhead, a 120x90 one 25%. CUDA and
#: MPS: not measured (no GPU so far); launches dominate small SinGAN scales there, so nearly flat: a
#: guess whose scale the measured speed corrects.
NET_OVERHEAD: dict[str, float] = {"cpu": 2.5e6, "cuda": 3e8, "mps": 5e7}


def iteration_units(
    config: SinGANConfig, shapes: Sequence[tuple[int, int]], scale: int, device: str = "cpu"
) -> float:
    """Predicted time of one iteration at ``scale`` on ``device`` (a kind: cpu, cuda, mps), in cost
    units: :func:`iteration_cost` plus the fixed overhead of every network it runs (the generator stages
    trained together, and the critic)."""
    nets = scale - first_trained_scale(config.train, scale) + 2
    return iteration_cost(config, shapes, scale) + NET_OVERHEAD.get(device, NET_OVERHEAD["cpu"]) * nets


class TrainingClock:
    """Time left of one training, from the times its iterations finish (``now``: seconds of training).

    The training's predicted cost is ``units[s] x iterations[s]`` summed over its scales
    (:func:`iteration_units`); its speed, seconds per unit, is measured as it goes. Each span between two
    timed iterations is one sample, and the speed is the samples' mean (weighted by iterations) over the
    last ``memory`` seconds: the scales already done correct the prediction of every later scale, and a
    machine that gets busier or freer shows within a minute or two. A span slower than ``stall`` x the
    median sample (a thread-count probe, a burst of load) counts that much as a *stall*, and so does a
    scale's first iteration beyond one at the measured speed (building networks, warm-up); stalls are
    averaged over the scales begun and expected again for every scale still to come.

    ETA = speed x the units left + the stalls expected. Replayable: the caller passes the times.
    """

    def __init__(
        self,
        units: Sequence[float],
        iterations: Sequence[int],
        finished: Sequence[float] = (),
        memory: float = 120.0,
        stall: float = 3.0,
    ) -> None:
        self.units, self.iterations = list(units), list(iterations)
        self.memory, self.stall = memory, stall
        self.scale, self.it, self.mark = len(finished), 0, 0.0
        #: (when, seconds per unit, iterations, units per iteration) of the spans of the last ``memory`` s
        self.samples: deque[tuple[float, float, int, float]] = deque()
        self.prior: float | None = None  # the finished scales' seconds per unit (a resume)
        done = sum(u * n for u, n in zip(self.units[: self.scale], self.iterations, strict=False))
        if done > 0 and sum(finished) > 0:
            self.prior = float(sum(finished)) / done
        self.setup: tuple[float, float] | None = None  # the running scale's first span: (seconds, units)
        self.stalled = 0.0
        self.scales_begun = 0

    def start_scale(self, scale: int, now: float) -> None:
        """Scale ``scale`` begins at ``now``."""
        self.scale, self.it, self.mark = scale, 0, now
        self.scales_begun += 1

    def iteration_done(self, it: int, now: float) -> None:
        """``it`` iterations of the running scale are done at ``now``."""
        n = it - self.it
        if n <= 0 or self.scale >= len(self.units):
            return
        span, units = max(now - self.mark, 0.0), n * self.units[self.scale]
        first, self.it, self.mark = self.it == 0, it, now
        if first:  # the scale's first report: set-up and warm-up, not a speed sample
            self.setup = (span, units / n)
        else:
            self.samples.append((now, span / units, n, units / n))
            if len(self.samples) > 5 and self.samples[0][0] < now - self.memory:
                bound = self._bound()
                while len(self.samples) > 5 and self.samples[0][0] < now - self.memory:
                    _, rate, k, u = self.samples.popleft()
                    self.stalled += max(0.0, rate - bound) * k * u
        if self.setup is not None and len(self.samples) >= 3:
            seconds, one = self.setup  # beyond one iteration at the measured speed
            self.stalled += max(0.0, seconds - self.speed() * one)  # type: ignore[operator]
            self.setup = None

    def _bound(self) -> float:
        """``stall`` x the weighted median sample: a slower one is steady up to this, a stall beyond."""
        ranked = sorted((rate, n) for _, rate, n, _ in self.samples)
        half, seen = sum(n for _, n in ranked) / 2.0, 0
        for rate, n in ranked:
            seen += n
            if seen >= half:
                return self.stall * rate
        return self.stall * ranked[-1][0]

    def speed(self) -> float | None:
        """Seconds per cost unit; before three samples, a resumed training's finished scales' (or None)."""
        if len(self.samples) < 3:
            return self.prior
        bound = self._bound()
        return sum(min(r, bound) * n for _, r, n, _ in self.samples) / sum(n for _, _, n, _ in self.samples)

    def stalls(self) -> float:
        """Seconds of stall so far: set-ups, and the spans' time beyond :meth:`_bound`."""
        if len(self.samples) < 3:
            return self.stalled
        bound = self._bound()
        return self.stalled + sum(max(0.0, r - bound) * n * u for _, r, n, u in self.samples)

    def units_left(self) -> float:
        """Cost units of the iterations not done yet."""
        left = [u * n for u, n in zip(self.units, self.iterations, strict=False)][self.scale + 1 :]
        if self.scale < len(self.units):
            left.append(self.units[self.scale] * max(0, self.iterations[self.scale] - self.it))
        return sum(left)

    def eta(self) -> float | None:
        """Seconds left after the last iteration reported; None until the speed is measured."""
        speed = self.speed()
        if speed is None:
            return None
        later = max(0, len(self.units) - 1 - self.scale)
        return speed * self.units_left() + self.stalls() / max(self.scales_begun, 1) * later
