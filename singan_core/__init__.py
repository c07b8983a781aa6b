"""singan_core: the SinGAN Studio PyTorch library (Shaham, Dekel, Michaeli, ICCV 2019).

Scale indices count from the coarsest scale: index 0 is the paper's scale N, index 1 is N-1, and
``num_scales - 1`` is the finest scale (the paper's scale 0).
"""

__version__ = "0.1.0"
