"""Colour quantisation for paint-to-image: k-means on the training image's colours, nearest-centre mapping.

The reference code clusters the training image at the injection scale into k = 5 colours
(scikit-learn's KMeans) and maps the paint to those centres. This is a small seeded Lloyd's k-means
with k-means++ initialisation in torch (no extra dependency).
"""

from __future__ import annotations

import torch

PAINT_COLOURS = 5


def kmeans(
    points: torch.Tensor, k: int = PAINT_COLOURS, *, seed: int = 0, iterations: int = 50
) -> torch.Tensor:
    """Cluster ``points`` ``[P, C]`` into at most ``k`` centres ``[k', C]`` (k' < k only when there are
    fewer distinct points than k). Deterministic for a given seed."""
    points = points.float()
    distinct = torch.unique(points, dim=0)
    if distinct.shape[0] <= k:
        return distinct
    gen = torch.Generator().manual_seed(seed)
    centres = points[torch.randint(points.shape[0], (1,), generator=gen)]
    for _ in range(1, k):  # k-means++: next centre drawn with probability ~ squared distance
        d2 = torch.cdist(points, centres).min(dim=1).values ** 2
        if float(d2.sum()) <= 0:
            break
        centres = torch.cat([centres, points[torch.multinomial(d2, 1, generator=gen)]])
    for _ in range(iterations):
        label = torch.cdist(points, centres).argmin(dim=1)
        new = centres.clone()
        for j in range(centres.shape[0]):
            members = points[label == j]
            if members.shape[0]:
                new[j] = members.mean(dim=0)
        if torch.allclose(new, centres, atol=1e-6):
            break
        centres = new
    return centres


def image_palette(x: torch.Tensor, k: int = PAINT_COLOURS, *, seed: int = 0) -> torch.Tensor:
    """The ``k`` colour centres ``[k, C]`` of an image ``[1, C, H, W]``."""
    return kmeans(x[0].flatten(1).T, k, seed=seed)


def to_centres(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Replace every pixel of ``x`` ``[N, C, H, W]`` by its nearest centre (``centres``: ``[k, C]``)."""
    n, c, h, w = x.shape
    flat = x.permute(0, 2, 3, 1).reshape(-1, c)
    label = torch.cdist(flat, centres.to(flat)).argmin(dim=1)
    return centres.to(flat)[label].reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()
