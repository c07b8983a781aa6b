"""Plot a recorded training's progress as the plugins show it (PNG, drawn with PIL).

    python3 bench/progress_plot.py tests/data/progress/fast_balloons.jsonl OUT.png

Top: the fraction shown (the ProgressModel's, never decreasing) against the true share of the time
(elapsed over the final duration). Bottom: the time left shown (the range while unsettled as a band,
the smoothed estimate as a line), the server's raw ETA (grey dots) and the real time left (black), with
+-25% of it dashed. Prints the median, the share within 25% and the largest error of the time left shown
from 20% progress on (the fraction shown), updates with more than 10 s left, and whether the fraction
shown ever went back.
"""

from __future__ import annotations

import argparse
import json

from PIL import Image, ImageDraw

from host_plugin.client import JobUpdate
from host_plugin.common.progress import ProgressModel
from singan_api.job_state import JobState

W, H, PAD = 900, 620, 60


def load(path: str) -> list[JobUpdate]:
    updates = []
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            row.pop("t", None)
            row.pop("load", None)
            row["state"] = JobState(row["state"])
            updates.append(JobUpdate(job_id="j", model_id="m", **row))
    return updates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recording")
    ap.add_argument("out")
    args = ap.parse_args()
    updates = load(args.recording)
    end = max(u.elapsed_s for u in updates)
    model = ProgressModel()
    rows = []
    for u in updates:
        shown = model.feed(u)
        if u.state == "RUNNING" and u.num_scales:
            rows.append((u.elapsed_s, shown, u.eta_s))
    errors = sorted(
        abs(shown.seconds_left - (end - t)) / (end - t)
        for t, shown, _ in rows
        if shown.fraction >= 0.2 and shown.seconds_left is not None and end - t > 10
    )
    worst, median = errors[-1], errors[len(errors) // 2]
    within = sum(e <= 0.25 for e in errors) / len(errors)
    shown_fractions = [s.fraction for _, s, _ in rows]
    monotonic = "yes" if shown_fractions == sorted(shown_fractions) else "NO"
    summary = (
        f"time left from 20% on: median error {median:.0%}, within 25% {within:.0%}, worst {worst:.0%};"
        f" fraction monotonic: {monotonic}"
    )
    top_left = end * 1.5  # the server's raw ETA reaches hours at a scale's start: off the top
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    panel_h = (H - 3 * PAD) // 2

    def xy(t: float, v: float, vmax: float, panel: int) -> tuple[float, float]:
        y0 = PAD + panel * (panel_h + PAD)
        return PAD + (W - 2 * PAD) * t / end, y0 + panel_h * (1 - min(v, vmax) / vmax)

    for panel, title in ((0, "fraction shown (blue) vs elapsed/total (black)"), (1, "time left, s")):
        y0 = PAD + panel * (panel_h + PAD)
        d.rectangle([PAD, y0, W - PAD, y0 + panel_h], outline="black")
        d.text((PAD, y0 - 16), title, fill="black")
    d.text((PAD, H - PAD + 8), f"0 .. {end:.0f} s elapsed; {summary}", fill="black")
    d.text((4, PAD + panel_h + PAD), f"{top_left:.0f}", fill="black")
    d.line([xy(0, 0, 1, 0), xy(end, 1, 1, 0)], fill="black")
    d.line([xy(t, s.fraction, 1, 0) for t, s, _ in rows], fill="blue", width=2)
    d.line([xy(0, end, top_left, 1), xy(end, 0, top_left, 1)], fill="black", width=2)
    for k in (0.75, 1.25):
        pts = [xy(t, k * (end - t), top_left, 1) for t in range(0, int(end) + 1, 2)]
        for a, b in zip(pts[::2], pts[1::2], strict=False):
            d.line([a, b], fill="black")
    for t, s, eta in rows:
        if eta >= 0:
            d.point(xy(t, eta, top_left, 1), fill=(150, 150, 150))
        if s.low is not None and s.high is not None:
            d.line([xy(t, s.low, top_left, 1), xy(t, s.high, top_left, 1)], fill=(255, 200, 120))
    d.line(
        [xy(t, s.seconds_left, top_left, 1) for t, s, _ in rows if s.seconds_left is not None],
        fill="red",
        width=2,
    )
    img.save(args.out)
    print(f"{len(updates)} updates, {end:.1f} s; {summary} ({len(errors)} updates)")


if __name__ == "__main__":
    main()
