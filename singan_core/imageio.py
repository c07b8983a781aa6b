"""Files and bytes <-> ``uint8``/``uint16`` HxWxC numpy arrays, alpha and masks. No torch here.

Transparency policy (documented in the README): an alpha channel that is fully opaque is dropped; a
fully transparent image is refused; otherwise alpha is kept as a channel the model learns like any
other (so samples of a cut-out layer have matching transparency), and the colour under fully
transparent pixels is replaced by the mean opaque colour so that hidden garbage is not learned.
Grayscale stays grayscale (1 channel, or 2 with alpha).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import ImageError
from .png16 import decode_png16, encode_png16, png_bit_depth

DEFAULT_MAX_PIXELS = 64_000_000

_PILLOW_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read PNG, JPEG, WebP or TIFF (8 or 16 bit; grey, grey+alpha, RGB, RGBA) as HxWxC."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{p}: is a directory, not an image") from None
    except OSError as exc:
        raise ImageError(f"{p}: cannot read ({exc.strerror or exc})") from None
    try:
        return decode_image(data)
    except ImageError as exc:
        raise ImageError(f"{p}: {exc}") from None


def decode_image(data: bytes) -> np.ndarray:
    """Decode an encoded image (any format Pillow reads, plus 16-bit colour PNG) to HxWxC."""
    if not data:
        raise ImageError("the file is empty")
    if png_bit_depth(data) == 16:
        return decode_png16(data)
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return _from_pillow(im)
    except UnidentifiedImageError:
        raise ImageError("not a readable image (supported: PNG, JPEG, WebP, TIFF)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the image is truncated or corrupt ({exc})") from None


def _from_pillow(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode.startswith("I;16") or mode == "I":
        arr = np.asarray(im)
        if arr.min() < 0 or arr.max() > 65535:
            raise ImageError(f"unsupported {mode} image with values outside 0..65535")
        return arr.astype(np.uint16)[:, :, None]
    if mode == "F":
        arr = np.clip(np.asarray(im, dtype=np.float64), 0.0, 1.0)
        return np.round(arr * 65535).astype(np.uint16)[:, :, None]
    if mode in ("P", "PA"):
        im = im.convert("RGBA" if ("transparency" in im.info or mode == "PA") else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode == "La":
        im = im.convert("LA")
    elif mode not in _PILLOW_MODES.values():
        im = im.convert("RGBA" if "A" in mode else "RGB")
    arr = np.asarray(im)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return np.ascontiguousarray(arr.astype(np.uint8))


def encode_png(arr: np.ndarray) -> bytes:
    """Encode HxWxC (or HxW) ``uint8``/``uint16`` as PNG bytes, keeping the bit depth."""
    arr = as_hwc(arr)
    if arr.dtype == np.uint16:
        return encode_png16(arr)
    buf = io.BytesIO()
    Image.fromarray(_squeeze(arr), _PILLOW_MODES[arr.shape[2]]).save(buf, format="PNG")
    return buf.getvalue()


def save_image(arr: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Write an image; the format follows the extension. 16-bit is kept in PNG, reduced to 8 elsewhere."""
    p = Path(path)
    arr = as_hwc(arr)
    suffix = p.suffix.lower()
    if suffix == ".png":
        data = encode_png(arr)
    else:
        if arr.dtype == np.uint16:
            arr = to_uint8(arr)
        if suffix in (".jpg", ".jpeg") and arr.shape[2] in (2, 4):
            arr = arr[:, :, :-1]
        fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}.get(suffix)
        if fmt is None:
            raise ImageError(f"{p}: unknown image extension {suffix!r} (use .png, .jpg, .webp or .tif)")
        buf = io.BytesIO()
        Image.fromarray(_squeeze(arr), _PILLOW_MODES[arr.shape[2]]).save(buf, format=fmt, quality=95)
        data = buf.getvalue()
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, p)


def _squeeze(arr: np.ndarray) -> np.ndarray:
    return arr[:, :, 0] if arr.shape[2] == 1 else arr


def as_hwc(arr: np.ndarray) -> np.ndarray:
    """Validate an image array and return it as HxWxC with C in 1..4."""
    if arr.dtype not in (np.uint8, np.uint16):
        raise ImageError(f"image arrays must be uint8 or uint16, got {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise ImageError(f"image arrays must be HxWxC with 1-4 channels, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageError(f"image is empty ({arr.shape[1]}x{arr.shape[0]})")
    return arr


def to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def max_value(dtype: np.dtype) -> int:
    return 65535 if np.dtype(dtype) == np.uint16 else 255


def prepare_training_image(arr: np.ndarray, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Apply the transparency policy and the pixel limit; raises :class:`ImageError` with one line."""
    arr = as_hwc(arr)
    h, w, c = arr.shape
    if h * w > max_pixels:
        raise ImageError(
            f"image is {w}x{h} = {h * w / 1e6:.1f} MP, over the limit of {max_pixels / 1e6:.1f} MP; "
            "scale it down first or raise the limit (--max-pixels)"
        )
    if c not in (2, 4):
        return arr
    alpha = arr[:, :, -1]
    top = max_value(arr.dtype)
    if not alpha.any():
        raise ImageError("image is fully transparent: there is nothing to learn from")
    if (alpha == top).all():
        return np.ascontiguousarray(arr[:, :, :-1])
    out = arr.copy()
    hidden = alpha == 0
    if hidden.any():
        mean = arr[~hidden][:, :-1].mean(axis=0)
        out[hidden, :-1] = np.round(mean).astype(arr.dtype)
    return out


def to_mask(arr: np.ndarray) -> np.ndarray:
    """An HxW ``uint8`` mask from a mask image: the brightest colour channel, or alpha when the colour
    is uniform (a mask painted as transparency)."""
    arr = to_uint8(as_hwc(arr))
    c = arr.shape[2]
    colour = arr[:, :, : (1 if c <= 2 else 3)].max(axis=2)
    if c in (2, 4) and colour.min() == colour.max():
        return np.ascontiguousarray(arr[:, :, -1])
    return np.ascontiguousarray(colour)


def load_mask(path: str | os.PathLike[str]) -> np.ndarray:
    return to_mask(load_image(path))
