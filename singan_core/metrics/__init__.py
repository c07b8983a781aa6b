"""Quality metrics for single-image generative models: SIFID, NIQE and sample diversity.

Computation only: images in, numbers out (uint8/uint16 HxWxC numpy arrays, as everywhere).
Import from the modules (their main functions share the modules' names)::

    from singan_core.metrics.sifid import sifid, sifid_many
    from singan_core.metrics.niqe import niqe
    from singan_core.metrics.diversity import diversity
    from singan_core.metrics.weights import load_inception, InceptionWeightsError
"""
