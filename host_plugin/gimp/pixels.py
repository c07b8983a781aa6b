"""Pixel formats between GIMP drawables (GEGL buffers, babl formats) and the API's raw images.

GIMP hands pixels to a plug-in in whatever babl format it asks for; we always ask explicitly for
non-linear (perceptual, ``R'G'B'``) 8- or 16-bit data so that the bytes match the API's ``Image``.
Precisions beyond 16 bit (32-bit integer, half, float, double) are read as 16 bit; indexed images are
refused with a message, grayscale is sent as 1 or 2 channels.
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass

from host_plugin.client import RawImage
from host_plugin.common.document import UnsupportedFormat


@dataclass(frozen=True)
class PixelLayout:
    """How to read or write a buffer: the babl format name and what it means on the wire."""

    babl_format: str
    channels: int
    bit_depth: int

    @property
    def bytes_per_pixel(self) -> int:
        return self.channels * self.bit_depth // 8


_MODEL_PREFIX = {(False, False): "Y'", (False, True): "Y'A", (True, False): "R'G'B'", (True, True): "R'G'B'A"}
_CHANNELS = {"Y'": 1, "Y'A": 2, "R'G'B'": 3, "R'G'B'A": 4}


def layout(rgb: bool, alpha: bool, bit_depth: int) -> PixelLayout:
    prefix = _MODEL_PREFIX[(rgb, alpha)]
    if bit_depth not in (8, 16):
        raise ValueError(f"bit depth must be 8 or 16, got {bit_depth}")
    return PixelLayout(f"{prefix} u{bit_depth}", _CHANNELS[prefix], bit_depth)


def layout_for_drawable(base_type: str, has_alpha: bool, precision_bits: int) -> PixelLayout:
    """The format to read a drawable in. ``base_type``: ``"rgb"``, ``"gray"`` or ``"indexed"``;
    ``precision_bits``: the image precision's component size (8, 16, 32 or 64)."""
    if base_type == "indexed":
        raise UnsupportedFormat("indexed images are not supported: convert with Image > Mode > RGB first")
    if base_type not in ("rgb", "gray"):
        raise UnsupportedFormat(f"unsupported image mode {base_type!r}")
    return layout(base_type == "rgb", has_alpha, 8 if precision_bits <= 8 else 16)


def layout_for_image(image: RawImage) -> PixelLayout:
    """The format that matches a raw image (results from the server)."""
    return layout(image.channels >= 3, image.channels in (2, 4), image.bit_depth)


def precision_bits(precision_name: str) -> int:
    """Bits per component of a ``Gimp.Precision`` name, e.g. ``"U16_NON_LINEAR"`` -> 16."""
    name = precision_name.upper().removeprefix("GIMP_PRECISION_")
    kind, _, _ = name.partition("_")
    bits = {"U8": 8, "U16": 16, "U32": 32, "HALF": 16, "FLOAT": 32, "DOUBLE": 64}.get(kind)
    if bits is None:
        raise UnsupportedFormat(f"unknown precision {precision_name!r}")
    return bits


def _swap16(data: bytes) -> bytes:
    words = array("H")
    words.frombytes(data)
    words.byteswap()
    return words.tobytes()


def native_to_wire(data: bytes, bit_depth: int, byteorder: str = sys.byteorder) -> bytes:
    """GEGL's ``u16`` samples are native-endian; the API's are little-endian."""
    return _swap16(data) if bit_depth == 16 and byteorder == "big" else data


wire_to_native = native_to_wire  # the same swap both ways


def to_raw_image(
    data: bytes,
    width: int,
    height: int,
    pixel_layout: PixelLayout,
    *,
    mask: bytes | None = None,
    offset: tuple[int, int] = (0, 0),
    byteorder: str = sys.byteorder,
) -> RawImage:
    """Bytes read from a GEGL buffer in ``pixel_layout`` -> the API's raw image."""
    return RawImage(
        width=width,
        height=height,
        channels=pixel_layout.channels,
        pixels=native_to_wire(data, pixel_layout.bit_depth, byteorder),
        bit_depth=pixel_layout.bit_depth,
        mask=mask,
        offset_x=offset[0],
        offset_y=offset[1],
    )


def from_raw_image(image: RawImage, byteorder: str = sys.byteorder) -> tuple[PixelLayout, bytes]:
    """The babl format and native bytes to write a server result into a GEGL buffer."""
    return layout_for_image(image), wire_to_native(image.pixels, image.bit_depth, byteorder)


def layer_type_name(rgb_image: bool, alpha: bool) -> str:
    """``Gimp.ImageType`` member for a new layer in an RGB or grayscale image."""
    return ("RGB" if rgb_image else "GRAY") + ("A" if alpha else "") + "_IMAGE"


def precision_name(bit_depth: int) -> str:
    """``Gimp.Precision`` member for a new image holding results of this bit depth."""
    return "U16_NON_LINEAR" if bit_depth == 16 else "U8_NON_LINEAR"
