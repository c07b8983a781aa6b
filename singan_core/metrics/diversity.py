"""Sample diversity as in the SinGAN paper.

The per-pixel standard deviation over N generated samples, averaged over pixels and colour
channels, divided by the standard deviation of the training image's intensities. 0 means every
sample is identical; values are comparable between images of different contrast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ImageError
from ..imageio import as_hwc, max_value


def _colour_unit(image: np.ndarray) -> np.ndarray:
    """uint8/uint16 HxW[xC] -> float64 HxWxC' in [0, 1], alpha dropped (C' is 1 or 3)."""
    arr = as_hwc(np.asarray(image))
    colour = arr[:, :, :3] if arr.shape[2] >= 3 else arr[:, :, :1]
    return colour.astype(np.float64) / max_value(arr.dtype)


def diversity(samples: Sequence[np.ndarray], training_image: np.ndarray) -> float:
    """Mean over pixels and channels of the std over ``samples``, over the training image's std.

    Standard deviations are population ones (divide by N). Samples must share one shape; the
    training image may have another size (e.g. when samples were generated at another size).
    """
    if len(samples) < 2:
        raise ImageError(f"diversity needs at least 2 samples, got {len(samples)}")
    units = [_colour_unit(s) for s in samples]
    shapes = {u.shape for u in units}
    if len(shapes) != 1:
        raise ImageError(f"samples differ in shape: {sorted(shapes)}")
    stack = np.stack(units)  # [N, H, W, C]
    ref = _colour_unit(training_image)
    if ref.shape[2] != stack.shape[3]:
        raise ImageError(
            f"samples have {stack.shape[3]} colour channel(s), the training image {ref.shape[2]}"
        )
    # std is shift-invariant; subtracting one sample first makes identical values give exactly 0
    ref_std = float((ref - ref.flat[0]).std())
    if ref_std == 0.0:
        raise ImageError("the training image is flat (zero standard deviation); diversity is undefined")
    return float((stack - stack[0]).std(axis=0).mean() / ref_std)
