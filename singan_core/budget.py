"""Peak memory of a training or an inference, estimated from its config and sizes before any work starts.

Pure functions (no torch, no allocation): the server compares their result with its memory budget and
refuses a request that would not fit, instead of letting it take the machine down. The estimates are
the *increase* of the process's peak memory over what it holds before the work (the loaded model and
libraries excluded) and model the dominant terms: activations kept for the backward passes (training,
with the critic's gradient penalty), one pass's activations at the output size (inference), the
parameters with their Adam state, the prevs bank and the result arrays. The coefficients were fitted to
peak RSS measured on CPU, one thread (tests/unit/test_budget.py measures a few cases again and checks
the estimate within 25%).
"""

from __future__ import annotations

from .config import SinGANConfig, channels_at, first_trained_scale
from .instant.config import InstantConfig
from .pyramid import plan_pyramid

FLOAT = 4  # bytes per element: the networks run in fp32 (bf16 autocast only lowers the peak)
#: Activation tensors of one [1, c, H, W] per conv layer kept alive at the peak of a training step
#: (generator forward + critic on real and fake + the gradient penalty's double backward), fitted.
TRAIN_ACTIVATIONS = 12.0
#: Fixed cost of a training beyond the activations (allocator and thread-pool working memory), fitted.
TRAIN_FIXED = 112 << 20
#: Weight of the activations of the coarser scales trained together with the newest (ConSinGAN), fitted:
#: they add far less than their size (measured +3% for 3 stages where full weight would be +49%).
TRAIN_OLDER_STAGES = 0.1
#: Tensors of [1, c, H, W] alive at once in one inference pass (padded input, conv and norm outputs).
INFER_ACTIVATIONS = 1.6
#: [1, C, H, W] float tensors per image-channel plane (noise, previous scale, upsampled input, result).
INFER_IMAGE_PLANES = 10.5
INFER_FIXED = 36 << 20
#: Bytes per result element kept until the call returns (the float result and its array), fitted.
RESULT_BYTES = 16


def _pad(config: SinGANConfig) -> int:
    net = config.network
    return net.num_layers * (net.kernel_size // 2)


def _params(config: SinGANConfig, channels: int, nfc: int) -> int:
    """Parameters of one generator or critic at ``nfc`` feature channels (convs + BatchNorm)."""
    net = config.network
    k2 = net.kernel_size**2
    convs = channels * nfc * k2 + (net.num_layers - 2) * nfc * nfc * k2 + nfc * channels * k2
    return convs + net.num_layers * 4 * nfc


def training_peak_bytes(config: SinGANConfig, height: int, width: int, channels: int) -> int:
    """Peak memory (bytes) that training ``config`` on a ``height`` x ``width`` x ``channels`` image adds.

    Raises :class:`~singan_core.errors.ImageError` when the image is too small for the pyramid."""
    plan = plan_pyramid(height, width, config.pyramid)
    net, train = config.network, config.train
    pad = _pad(config)
    worst = 0
    for scale, (h, w) in enumerate(plan.shapes):
        active = range(first_trained_scale(train, scale), scale + 1)
        acts = sum(
            (1.0 if k == scale else TRAIN_OLDER_STAGES)
            * channels_at(net, k)
            * (plan.shapes[k][0] + 2 * pad)
            * (plan.shapes[k][1] + 2 * pad)
            for k in active
        )
        optim = (
            sum(2 * _params(config, channels, channels_at(net, k)) for k in active) * 4
        )  # w, grad, 2 moments
        bank = train.prev_bank_size * channels * h * w
        worst = max(worst, TRAIN_ACTIVATIONS * net.num_layers * acts + optim + bank)
    stored = sum(2 * _params(config, channels, channels_at(net, k)) for k in range(len(plan.shapes)))
    image = 2 * height * width * channels  # the received image as float at full resolution (two copies)
    return int(TRAIN_FIXED + FLOAT * (worst + stored + image))


def inference_peak_bytes(
    config: SinGANConfig, num_scales: int, channels: int, height: int, width: int, n: int = 1
) -> int:
    """Peak memory (bytes) that ``n`` results of ``height`` x ``width`` add (one pass at a time through a
    model of ``num_scales`` scales; the ``n`` results are kept until the call returns)."""
    nfc = channels_at(config.network, num_scales - 1)
    pad = _pad(config)
    plane = (height + 2 * pad) * (width + 2 * pad)
    one_pass = FLOAT * plane * (INFER_ACTIVATIONS * nfc + INFER_IMAGE_PLANES * channels)
    results = n * height * width * channels * RESULT_BYTES
    return int(INFER_FIXED + one_pass + results)


# ---- the instant (training-free) engine ------------------------------------------------------------------
# Refitted (issue 20's speed pass: the patch features are no longer copied into a transposed layout) to the
# same cases' peaks: variations 512x384, 1024x768, 512x384 -> 1024x768, fills 200 px in 1024x768 and 300 px
# in 1536x1152; the two held-out cases of the test within 2%.
#: Bytes per pixel of the output canvas (the image, the kept pixels and the result per level, vote sums).
INSTANT_CANVAS = 123
#: Bytes per synthesised pixel (query features, the nearest-neighbour field and PatchMatch's candidates).
INSTANT_QUERY = 143
#: Bytes per source pixel (key features and the source pyramid).
INSTANT_SOURCE = 29
INSTANT_FIXED = 8 << 20
#: Scratch of the exact search's distance blocks (three floats per pair, at most ``exact_pairs`` pairs).
INSTANT_PAIR_BYTES = 12


def instant_peak_bytes(
    config: InstantConfig,
    canvas_hw: tuple[int, int],
    source_hw: tuple[int, int],
    query_hw: tuple[int, int] | None = None,
    channels: int = 3,
    n: int = 1,
) -> int:
    """Peak memory (bytes) that ``n`` instant results of ``canvas_hw`` = (H, W) add: a variation (canvas =
    output, synthesised everywhere), or a fill/edit/extend (canvas = the image, ``query_hw`` the box around
    what is synthesised) copying from a source of ``source_hw``. One result is made at a time; the
    distance blocks of the coarse levels' exact search and the full-resolution levels' planes are not
    alive together; the earlier results are kept until the call returns. Coefficients fitted to peak RSS increases measured on CPU, one thread
    (tests/unit/test_instant_budget.py checks other cases within 25%)."""
    canvas = canvas_hw[0] * canvas_hw[1]
    query = canvas if query_hw is None else query_hw[0] * query_hw[1]
    source = source_hw[0] * source_hw[1]
    planes = INSTANT_CANVAS * canvas + INSTANT_QUERY * query + INSTANT_SOURCE * source
    scratch = min(config.memory_bytes, INSTANT_PAIR_BYTES * config.exact_pairs)
    kept = (n - 1) * canvas * channels * 2  # the finished results (at most 16 bit) while the next is made
    return int(INSTANT_FIXED + max(planes, scratch) + kept)
