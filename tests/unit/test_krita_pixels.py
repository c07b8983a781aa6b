"""Pixel formats of the Krita plugin: BGRA <-> RGBA for U8 and U16, depth and channel conversion."""

from __future__ import annotations

import struct

import pytest

from host_plugin.client import RawImage
from host_plugin.common.document import UnsupportedFormat
from host_plugin.common.pixels import convert_depth, expand_to_rgba, is_blank
from host_plugin.krita.singan_studio.pixels import bit_depth_for, krita_to_rgba, rgba_to_krita, to_native


def test_u8_krita_bgra_becomes_rgba() -> None:
    # What Krita 5.1 returned for a red and a half-transparent blue pixel (checked in real Krita).
    native = bytes([0, 0, 255, 255, 255, 0, 0, 128])
    assert krita_to_rgba(native, 8) == bytes([255, 0, 0, 255, 0, 0, 255, 128])
    assert rgba_to_krita(krita_to_rgba(native, 8), 8) == native


def test_u16_swaps_whole_samples_little_endian() -> None:
    native = struct.pack("<4H", 1000, 2000, 3000, 65535) + struct.pack("<4H", 1, 258, 65534, 0)
    rgba = krita_to_rgba(native, 16)
    assert struct.unpack("<8H", rgba) == (3000, 2000, 1000, 65535, 65534, 258, 1, 0)
    assert rgba_to_krita(rgba, 16) == native


def test_partial_pixels_are_rejected() -> None:
    with pytest.raises(ValueError, match="whole number"):
        krita_to_rgba(bytes(7), 8)


@pytest.mark.parametrize(
    ("model", "depth", "expected"),
    [
        ("GRAYA", "U8", "grayscale"),
        ("CMYKA", "U8", "CMYK"),
        ("LABA", "U16", "Lab"),
        ("RGBA", "F32", "32-bit float"),
    ],
)
def test_unsupported_formats_say_what_to_convert_to(model: str, depth: str, expected: str) -> None:
    with pytest.raises(UnsupportedFormat) as err:
        bit_depth_for(model, depth)
    assert expected in str(err.value) and "Convert Image Color Space" in str(err.value)


def test_supported_depths() -> None:
    assert bit_depth_for("RGBA", "U8") == 8 and bit_depth_for("RGBA", "U16") == 16


def test_depth_conversion_round_trip() -> None:
    up = convert_depth(bytes([0, 1, 128, 255]), 8, 16)
    assert struct.unpack("<4H", up) == (0, 257, 128 * 257, 65535)
    assert convert_depth(up, 16, 8) == bytes([0, 1, 128, 255])


def test_expand_rgb_and_grey_to_rgba() -> None:
    assert expand_to_rgba(bytes([1, 2, 3, 4, 5, 6]), 3, 8) == bytes([1, 2, 3, 255, 4, 5, 6, 255])
    assert expand_to_rgba(bytes([9, 100]), 2, 8) == bytes([9, 9, 9, 100])
    grey16 = struct.pack("<H", 1000)
    assert struct.unpack("<4H", expand_to_rgba(grey16, 1, 16)) == (1000, 1000, 1000, 65535)


def test_server_rgb_result_into_a_16_bit_document() -> None:
    image = RawImage(1, 1, 3, bytes([255, 0, 10]))
    assert struct.unpack("<4H", to_native(image, 16)) == (10 * 257, 0, 65535, 65535)  # B, G, R, A


def test_is_blank_looks_at_alpha_only() -> None:
    assert is_blank(bytes([9, 9, 9, 0]) * 3, 8)
    assert not is_blank(bytes([0, 0, 0, 1]), 8)
    assert not is_blank(struct.pack("<4H", 0, 0, 0, 256), 16)  # alpha's high byte only
