"""Krita's pixel formats: which documents the plugin accepts, and Krita's byte order <-> the API's.

Krita hands out RGBA documents in its native channel order, which is B, G, R, A for both 8-bit and
16-bit integer depths (16-bit samples in the machine's byte order, little-endian on every platform
Krita ships for). The API wants R, G, B, A with 16-bit samples little-endian. No numpy: slicing bytes
is fast enough for layer-sized buffers and works in any Python Krita embeds.
"""

from __future__ import annotations

import sys

from host_plugin.client import RawImage
from host_plugin.common.document import UnsupportedFormat
from host_plugin.common.pixels import to_rgba

#: Krita colour depth id -> bits per sample understood by the server.
SUPPORTED_DEPTHS = {"U8": 8, "U16": 16}


def bit_depth_for(color_model: str, color_depth: str) -> int:
    """8 or 16 for RGBA U8/U16 documents; raises :class:`UnsupportedFormat` with an actionable message."""
    convert = (
        "Convert it with Image > Convert Image Color Space... to RGB/Alpha, 8-bit or 16-bit integer/channel."
    )
    if color_model != "RGBA":
        names = {"GRAYA": "grayscale", "CMYKA": "CMYK", "LABA": "Lab", "XYZA": "XYZ", "YCbCrA": "YCbCr"}
        kind = names.get(color_model, color_model)
        raise UnsupportedFormat(f"SinGAN works on RGB documents; this one is {kind}. {convert}")
    if color_depth not in SUPPORTED_DEPTHS:
        kind = {"F16": "16-bit float", "F32": "32-bit float"}.get(color_depth, color_depth)
        raise UnsupportedFormat(
            f"SinGAN works on 8-bit or 16-bit integer documents; this one is {kind}. {convert}"
        )
    return SUPPORTED_DEPTHS[color_depth]


def swap_red_blue(data: bytes, bit_depth: int) -> bytes:
    """BGRA <-> RGBA (the swap is its own inverse). ``data`` is interleaved 4-channel pixels."""
    sample = bit_depth // 8
    stride = 4 * sample
    if len(data) % stride:
        raise ValueError(f"{len(data)} bytes is not a whole number of {bit_depth}-bit RGBA pixels")
    out = bytearray(data)
    for byte in range(sample):
        out[byte::stride] = data[2 * sample + byte :: stride]
        out[2 * sample + byte :: stride] = data[byte::stride]
    if sample == 2 and sys.byteorder != "little":  # pragma: no cover - no big-endian Krita builds exist
        out[0::2], out[1::2] = out[1::2], out[0::2]
    return bytes(out)


krita_to_rgba = swap_red_blue
rgba_to_krita = swap_red_blue


def to_native(image: RawImage, bit_depth: int) -> bytes:
    """Any 1-4 channel 8/16-bit API image -> a document's native BGRA at ``bit_depth``."""
    return rgba_to_krita(to_rgba(image, bit_depth), bit_depth)
