"""GIMP pixel formats and wire conversion (host_plugin.gimp.pixels); no GIMP needed."""

from __future__ import annotations

import pytest

from host_plugin.client import RawImage
from host_plugin.common.document import UnsupportedFormat
from host_plugin.gimp import pixels


@pytest.mark.parametrize(
    ("base", "alpha", "bits", "fmt", "channels", "depth"),
    [
        ("rgb", True, 8, "R'G'B'A u8", 4, 8),
        ("rgb", False, 8, "R'G'B' u8", 3, 8),
        ("gray", False, 8, "Y' u8", 1, 8),
        ("gray", True, 16, "Y'A u16", 2, 16),
        ("rgb", True, 16, "R'G'B'A u16", 4, 16),
        ("rgb", False, 32, "R'G'B' u16", 3, 16),  # 32-bit int / float read as 16 bit
        ("rgb", True, 64, "R'G'B'A u16", 4, 16),
    ],
)
def test_layout_for_drawable(base, alpha, bits, fmt, channels, depth) -> None:
    layout = pixels.layout_for_drawable(base, alpha, bits)
    assert (layout.babl_format, layout.channels, layout.bit_depth) == (fmt, channels, depth)
    assert layout.bytes_per_pixel == channels * depth // 8


def test_indexed_is_refused_with_what_to_do() -> None:
    with pytest.raises(UnsupportedFormat, match="Image > Mode > RGB"):
        pixels.layout_for_drawable("indexed", False, 8)


@pytest.mark.parametrize(
    ("name", "bits"),
    [("GIMP_PRECISION_U8_NON_LINEAR", 8), ("U16_LINEAR", 16), ("GIMP_PRECISION_HALF_PERCEPTUAL", 16),
     ("FLOAT_LINEAR", 32), ("DOUBLE_NON_LINEAR", 64), ("U32_NON_LINEAR", 32)],
)  # fmt: skip
def test_precision_bits(name: str, bits: int) -> None:
    assert pixels.precision_bits(name) == bits


def test_unknown_precision() -> None:
    with pytest.raises(UnsupportedFormat):
        pixels.precision_bits("GIMP_PRECISION_WEIRD")


def test_raw_image_round_trip_keeps_mask_and_offset() -> None:
    layout = pixels.layout_for_drawable("rgb", True, 8)
    data = bytes(range(2 * 3 * 4))
    raw = pixels.to_raw_image(data, 2, 3, layout, mask=b"\x00\xff" * 3, offset=(7, -2))
    assert (raw.width, raw.height, raw.channels, raw.bit_depth, raw.offset_x, raw.offset_y) == (
        2,
        3,
        4,
        8,
        7,
        -2,
    )
    back_layout, back = pixels.from_raw_image(raw)
    assert back_layout == layout and back == data and raw.mask == b"\x00\xff" * 3


def test_16_bit_samples_are_little_endian_on_the_wire() -> None:
    layout = pixels.layout_for_drawable("gray", False, 16)
    native_big = bytes([0x12, 0x34, 0xAB, 0xCD])  # two samples, big-endian host
    raw = pixels.to_raw_image(native_big, 2, 1, layout, byteorder="big")
    assert raw.pixels == bytes([0x34, 0x12, 0xCD, 0xAB])
    assert pixels.from_raw_image(raw, byteorder="big")[1] == native_big
    assert pixels.to_raw_image(native_big, 2, 1, layout, byteorder="little").pixels == native_big


def test_wrong_byte_count_is_caught() -> None:
    with pytest.raises(ValueError, match="needs 24 bytes"):
        pixels.to_raw_image(b"\x00" * 10, 2, 3, pixels.layout(True, True, 8))


def test_result_layout_and_layer_types() -> None:
    assert pixels.layout_for_image(RawImage(1, 1, 3, b"abc")).babl_format == "R'G'B' u8"
    assert pixels.layout_for_image(RawImage(1, 1, 2, b"abcd", bit_depth=16)).babl_format == "Y'A u16"
    assert pixels.layer_type_name(True, True) == "RGBA_IMAGE"
    assert pixels.layer_type_name(False, False) == "GRAY_IMAGE"
    assert pixels.precision_name(16) == "U16_NON_LINEAR" and pixels.precision_name(8) == "U8_NON_LINEAR"
