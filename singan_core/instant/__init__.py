"""Instant results without training: a GPNN-style patch nearest-neighbour engine (Granot et al., "Drop the
GAN", CVPR 2022) for variations of any size, fill (inpainting), edit and extend canvas, at document
resolution. Pure PyTorch, CPU or CUDA, no IO; progress and cancel through callbacks.
"""

from .api import edit, extend, fill, variation, variation_with_field
from .config import InstantCancelled, InstantConfig, InstantProgress

__all__ = [
    "InstantCancelled",
    "InstantConfig",
    "InstantProgress",
    "edit",
    "extend",
    "fill",
    "variation",
    "variation_with_field",
]
