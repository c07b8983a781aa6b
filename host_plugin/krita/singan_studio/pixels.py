"""Pixel formats: which documents the plugin accepts and byte-order conversion between Krita and the API.

Krita hands out RGBA documents in its native channel order, which is B, G, R, A for both 8-bit and
16-bit integer depths (16-bit samples in the machine's byte order, little-endian on every platform
Krita ships for). The API wants R, G, B, A with 16-bit samples little-endian. No numpy: slicing bytes
is fast enough for layer-sized buffers and works in any Python Krita embeds.
"""

from __future__ import annotations

import sys

#: Krita colour depth id -> bits per sample understood by the server.
SUPPORTED_DEPTHS = {"U8": 8, "U16": 16}


class UnsupportedFormat(ValueError):
    """The document's colour model or depth cannot be sent to the server; the message says what to do."""


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


def convert_depth(pixels: bytes, from_bits: int, to_bits: int) -> bytes:
    """Rescale samples between 8 and 16 bit (16-bit little-endian; 8 -> 16 maps 255 to 65535)."""
    if from_bits == to_bits:
        return pixels
    if (from_bits, to_bits) == (8, 16):
        out = bytearray(2 * len(pixels))
        out[0::2] = pixels
        out[1::2] = pixels
        return bytes(out)
    if (from_bits, to_bits) == (16, 8):
        return bytes(pixels[1::2])
    raise ValueError(f"cannot convert {from_bits}-bit to {to_bits}-bit samples")


def expand_to_rgba(pixels: bytes, channels: int, bit_depth: int) -> bytes:
    """1 (grey), 2 (grey+alpha), 3 (RGB) or 4 channel pixels -> RGBA; missing alpha is opaque."""
    if channels == 4:
        return pixels
    sample = bit_depth // 8
    stride = channels * sample
    count = len(pixels) // stride
    out = bytearray(b"\xff" * (count * 4 * sample))
    for byte in range(sample):
        if channels in (1, 2):
            grey = pixels[byte::stride]
            for c in range(3):
                out[c * sample + byte :: 4 * sample] = grey
            if channels == 2:
                out[3 * sample + byte :: 4 * sample] = pixels[sample + byte :: stride]
        else:
            for c in range(3):
                out[c * sample + byte :: 4 * sample] = pixels[c * sample + byte :: stride]
    return bytes(out)


def is_blank(pixels: bytes, bit_depth: int) -> bool:
    """True when every pixel is fully transparent (alpha 0) - nothing to train on."""
    sample = bit_depth // 8
    return not any(any(pixels[3 * sample + byte :: 4 * sample]) for byte in range(sample))
