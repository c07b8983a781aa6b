"""Quality metrics for single-image generative models: SIFID, NIQE and sample diversity.

Computation only: images in, numbers out (uint8/uint16 HxWxC numpy arrays, as everywhere).
"""

from .diversity import diversity
from .inception import InceptionStem, random_stem
from .niqe import niqe
from .sifid import FeatureStats, SIFIDResult, feature_stats, frechet_distance, sifid, sifid_many
from .weights import INSTALL_COMMAND, WEIGHTS_ENV, InceptionWeightsError, find_weights, load_inception

__all__ = [
    "INSTALL_COMMAND",
    "WEIGHTS_ENV",
    "FeatureStats",
    "InceptionStem",
    "InceptionWeightsError",
    "SIFIDResult",
    "diversity",
    "feature_stats",
    "find_weights",
    "frechet_distance",
    "load_inception",
    "niqe",
    "random_stem",
    "sifid",
    "sifid_many",
]
