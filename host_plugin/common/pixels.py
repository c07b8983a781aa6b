"""Byte-level operations on the API's raw images (no numpy: slicing bytes is fast enough for layer-sized
buffers and works in any Python an editor embeds). 16-bit samples are little-endian, as on the wire."""

from __future__ import annotations

from host_plugin.client import RawImage


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


def to_rgba(image: RawImage, bit_depth: int) -> bytes:
    """Any 1-4 channel 8/16-bit image -> RGBA pixels at ``bit_depth`` (a document's own depth)."""
    return convert_depth(
        expand_to_rgba(image.pixels, image.channels, image.bit_depth), image.bit_depth, bit_depth
    )


def is_blank(pixels: bytes, bit_depth: int, channels: int = 4) -> bool:
    """True when every pixel is fully transparent (alpha 0): nothing to train on. Images without an
    alpha channel (1 or 3 channels) are never blank."""
    if channels not in (2, 4):
        return False
    sample = bit_depth // 8
    stride = channels * sample
    alpha = (channels - 1) * sample
    return not any(any(pixels[alpha + byte :: stride]) for byte in range(sample))
