"""Raw pixel images as they travel over the API (no numpy, no encoding)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from singan_api import singan_pb2 as pb


@dataclass(frozen=True)
class RawImage:
    """Row-major interleaved pixels; 16-bit samples little-endian; straight (not premultiplied) alpha.

    ``channels``: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. ``mask`` (optional) is ``width*height`` bytes,
    0 = outside, 255 = inside the selection. ``offset_x/offset_y`` place the image in the document.
    """

    width: int
    height: int
    channels: int
    pixels: bytes
    bit_depth: int = 8
    mask: bytes | None = None
    offset_x: int = 0
    offset_y: int = 0

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"image size must be positive, got {self.width}x{self.height}")
        if self.channels not in (1, 2, 3, 4):
            raise ValueError(f"channels must be 1, 2, 3 or 4, got {self.channels}")
        if self.bit_depth not in (8, 16):
            raise ValueError(f"bit_depth must be 8 or 16, got {self.bit_depth}")
        if len(self.pixels) != self.expected_bytes:
            raise ValueError(
                f"{self.width}x{self.height}x{self.channels} at {self.bit_depth} bit needs "
                f"{self.expected_bytes} bytes, got {len(self.pixels)}"
            )
        if self.mask is not None and len(self.mask) != self.width * self.height:
            raise ValueError(
                f"mask needs {self.width * self.height} bytes (width*height), got {len(self.mask)}"
            )

    @property
    def expected_bytes(self) -> int:
        return self.width * self.height * self.channels * (self.bit_depth // 8)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def with_mask(self, mask: bytes | None) -> RawImage:
        return replace(self, mask=mask)

    def with_offset(self, offset_x: int, offset_y: int) -> RawImage:
        return replace(self, offset_x=offset_x, offset_y=offset_y)

    def to_proto(self) -> pb.Image:
        return pb.Image(
            width=self.width,
            height=self.height,
            channels=self.channels,
            bit_depth=self.bit_depth,
            pixels=self.pixels,
            mask=self.mask or b"",
            offset_x=self.offset_x,
            offset_y=self.offset_y,
        )

    @classmethod
    def from_proto(cls, msg: pb.Image) -> RawImage:
        return cls(
            width=msg.width,
            height=msg.height,
            channels=msg.channels,
            pixels=bytes(msg.pixels),
            bit_depth=msg.bit_depth or 8,
            mask=bytes(msg.mask) or None,
            offset_x=msg.offset_x,
            offset_y=msg.offset_y,
        )
