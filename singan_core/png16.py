"""A small PNG codec for 16-bit-per-channel images, which Pillow cannot read or write in colour.

Only what layers from image editors need: non-interlaced grey, grey+alpha, RGB and RGBA at 16 bits.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from .errors import ImageError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type
_CHANNELS = {v: k for k, v in _COLOR_TYPES.items()}


def png_bit_depth(data: bytes) -> int | None:
    """Bit depth from a PNG's IHDR, or None when ``data`` is not a PNG."""
    if not data.startswith(SIGNATURE) or len(data) < 33:
        return None
    return data[24]


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def encode_png16(arr: np.ndarray) -> bytes:
    """Encode an HxWxC ``uint16`` array (C in 1..4) as a 16-bit PNG."""
    if arr.dtype != np.uint16 or arr.ndim != 3 or arr.shape[2] not in _COLOR_TYPES:
        raise ValueError("encode_png16 needs an HxWxC uint16 array with 1-4 channels")
    h, w, c = arr.shape
    ihdr = struct.pack(">IIBBBBB", w, h, 16, _COLOR_TYPES[c], 0, 0, 0)
    rows = arr.astype(">u2").reshape(h, w * c).view(np.uint8)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()
    return SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, h: int, stride: int, bpp: int) -> np.ndarray:
    buf = np.frombuffer(raw, np.uint8)
    if buf.size != h * (stride + 1):
        raise ImageError("PNG pixel data is truncated or corrupt")
    buf = buf.reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prior = np.zeros(stride, np.uint8)
    for y in range(h):
        kind, line = buf[y, 0], buf[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) & 0xFF
        elif kind == 2:
            cur = (line + prior) & 0xFF
        elif kind in (3, 4):
            cur = line.copy()
            pr = prior.astype(np.int64)
            for x in range(stride):
                left = cur[x - bpp] if x >= bpp else 0
                if kind == 3:
                    cur[x] = (cur[x] + ((left + pr[x]) >> 1)) & 0xFF
                else:
                    upleft = pr[x - bpp] if x >= bpp else 0
                    cur[x] = (cur[x] + _paeth(int(left), int(pr[x]), int(upleft))) & 0xFF
        else:
            raise ImageError(f"PNG uses unknown row filter {kind}: the file is corrupt")
        out[y] = cur
        prior = out[y]
    return out


def decode_png16(data: bytes) -> np.ndarray:
    """Decode a 16-bit PNG into an HxWxC ``uint16`` array."""
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        payload = data[pos + 8 : pos + 8 + length]
        if len(payload) != length:
            raise ImageError("PNG file is truncated")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", payload)
        elif kind == b"IDAT":
            idat.append(payload)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        raise ImageError("PNG file is truncated or has no image data")
    w, h, depth, color, _, _, interlace = header
    if depth != 16 or color not in _CHANNELS:
        raise ImageError(f"unsupported 16-bit PNG colour type {color}")
    if interlace:
        raise ImageError("interlaced 16-bit PNGs are not supported: save it without interlacing")
    c = _CHANNELS[color]
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error:
        raise ImageError("PNG pixel data is truncated or corrupt") from None
    rows = _unfilter(raw, h, w * c * 2, c * 2)
    return rows.view(">u2").reshape(h, w, c).astype(np.uint16)
