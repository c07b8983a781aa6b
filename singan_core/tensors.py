"""The one place where image arrays become [-1, 1] NCHW float tensors and back (ARCHITECTURE rule 6)."""

from __future__ import annotations

import numpy as np
import torch

from .imageio import as_hwc, max_value


def to_tensor(arr: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """HxWxC ``uint8``/``uint16`` -> ``[1, C, H, W]`` float32 in [-1, 1]."""
    arr = as_hwc(arr)
    scale = float(max_value(arr.dtype))
    t = torch.from_numpy(arr.astype(np.float32) / scale).permute(2, 0, 1).unsqueeze(0)
    return (t * 2.0 - 1.0).contiguous().to(device)


def to_arrays(t: torch.Tensor, dtype: np.dtype | type = np.uint8) -> list[np.ndarray]:
    """``[N, C, H, W]`` in [-1, 1] -> N HxWxC arrays of ``dtype`` (``uint8`` or ``uint16``)."""
    top = float(max_value(np.dtype(dtype)))
    x = ((t.detach().float().clamp(-1, 1) + 1.0) * 0.5 * top).round()
    x = x.permute(0, 2, 3, 1).cpu().numpy()
    return [np.ascontiguousarray(a.astype(dtype)) for a in x]


def to_array(t: torch.Tensor, dtype: np.dtype | type = np.uint8) -> np.ndarray:
    """``[1, C, H, W]`` or ``[C, H, W]`` -> one HxWxC array."""
    if t.dim() == 3:
        t = t.unsqueeze(0)
    return to_arrays(t[:1], dtype)[0]


def mask_to_tensor(mask: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """HxW ``uint8`` mask -> ``[1, 1, H, W]`` float in [0, 1]."""
    m = np.asarray(mask)
    if m.ndim == 3:
        m = m[:, :, 0]
    return torch.from_numpy(m.astype(np.float32) / 255.0)[None, None].to(device)
