"""The instant (training-free) RPCs through a real server on a loopback port and the pure-Python client:
variations, fill, edit and extend canvas; region answers, alpha and 16 bit kept, limits, budget, cancel."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from host_plugin.client import (
    Cancelled,
    CancelToken,
    Client,
    InvalidArgument,
    RawImage,
    ResourceExhausted,
)
from inference_server.server import build_server

W, H = 96, 72


def texture(w: int = W, h: int = H, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(xx / 5.0) + 40 * np.cos(yy / 7.0)
    arr = (base[..., None] + rng.normal(0, 12, (h, w, channels))).clip(0, 255).astype(np.uint8)
    if channels in (2, 4):
        arr[..., -1] = 255
        arr[: h // 3, :, -1] = 128  # some real transparency
    return arr


def raw(arr: np.ndarray, mask: np.ndarray | None = None, offset: tuple[int, int] = (0, 0)) -> RawImage:
    h, w, c = arr.shape
    depth = 16 if arr.dtype == np.uint16 else 8
    data = arr.astype("<u2").tobytes() if depth == 16 else arr.tobytes()
    return RawImage(
        w, h, c, data, bit_depth=depth, mask=None if mask is None else mask.tobytes(), offset_x=offset[0],
        offset_y=offset[1],
    )  # fmt: skip


def pixels(img: RawImage) -> np.ndarray:
    dtype = "<u2" if img.bit_depth == 16 else np.uint8
    return np.frombuffer(img.pixels, dtype).reshape(img.height, img.width, img.channels)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    with (
        build_server(port=0, models_dir=tmp_path_factory.mktemp("models"), max_samples=4) as srv,
        Client(address=srv.address) as c,
    ):
        yield c


def hole_mask(w: int = W, h: int = H) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    mask[30:50, 40:64] = 255
    return mask


def test_capability_listed(client) -> None:
    assert "instant" in client.server_info().capabilities


def test_variations_count_seeds_size_and_offset(client) -> None:
    src = texture()
    out = client.instant_variations(raw(src, offset=(7, -3)), n=2, seed=5)
    assert len(out) == 2 and all((o.width, o.height, o.channels) == (W, H, 3) for o in out)
    assert all((o.offset_x, o.offset_y) == (7, -3) for o in out)
    assert not np.array_equal(pixels(out[0]), pixels(out[1]))  # seeds 5 and 6
    again = client.instant_variations(raw(src), n=1, seed=6)[0]
    assert np.array_equal(pixels(again), pixels(out[1]))
    wide = client.instant_variations(raw(src), size=(150, 60))[0]
    assert (wide.width, wide.height) == (150, 60)


def test_variation_keeps_an_opaque_alpha_and_16_bit(client) -> None:
    src = texture(channels=4)
    src[..., 3] = 255
    out = client.instant_variations(raw(src))[0]
    assert out.channels == 4 and (pixels(out)[..., 3] == 255).all()
    deep = client.instant_variations(raw(texture().astype(np.uint16) * 257))[0]
    assert deep.bit_depth == 16


@pytest.mark.parametrize("channels,dtype", [(3, np.uint8), (4, np.uint16)])
def test_fill_keeps_everything_outside_the_hole(client, channels, dtype) -> None:
    src = texture(channels=channels)
    if dtype == np.uint16:
        src = src.astype(np.uint16) * 257 + 3  # not a multiple of 257: 16-bit detail
    mask = hole_mask()
    out = client.instant_fill(raw(src, mask, offset=(100, 200)), seed=1)
    assert (out.width, out.height, out.channels, out.offset_x, out.offset_y) == (W, H, channels, 100, 200)
    got = pixels(out)
    assert np.array_equal(got[mask == 0], src[mask == 0])  # bit for bit
    assert not np.array_equal(got[mask > 0], src[mask > 0])


def test_fill_region_only_is_the_hole_s_rectangle(client) -> None:
    src = texture(channels=4)
    mask = hole_mask()
    mask[30:34, 40:44] = 0  # not a rectangle: a notch stays transparent in the answer
    full = pixels(client.instant_fill(raw(src, mask, offset=(10, 20)), seed=2))
    region = client.instant_fill(raw(src, mask, offset=(10, 20)), seed=2, region_only=True)
    assert (region.offset_x, region.offset_y, region.width, region.height) == (50, 50, 24, 20)
    px = pixels(region)
    assert region.channels == 4
    assert (px[:4, :4, 3] == 0).all()  # outside the hole: transparent
    inside = mask[30:50, 40:64] > 0
    assert np.array_equal(px[inside], full[30:50, 40:64][inside])  # the same pixels, the input's alpha


def test_fill_from_a_source_with_other_channels(client) -> None:
    src, other = texture(), texture(channels=1, seed=3)
    out = client.instant_fill(raw(src, hole_mask()), source=raw(other), seed=0)
    got = pixels(out)
    inside = got[hole_mask() > 0]
    assert np.abs(inside.astype(int) - inside[:, :1]).max() <= 1  # grey source: grey fill (as RGB)


def test_edit_and_extend(client) -> None:
    src = texture()
    edited = src.copy()
    edited[10:30, 10:40] = src[40:60, 50:80]  # a rough paste
    mask = np.zeros((H, W), np.uint8)
    mask[6:34, 6:44] = 255
    out = pixels(client.instant_edit(raw(src), raw(edited, mask), seed=0))
    assert np.array_equal(out[mask == 0], edited[mask == 0])
    ext = client.extend_canvas(raw(src, offset=(5, 5)), left=10, top=0, right=20, bottom=8, seed=0)
    assert (ext.width, ext.height, ext.offset_x, ext.offset_y) == (W + 30, H + 8, -5, 5)
    assert np.array_equal(pixels(ext)[0:H, 10 : 10 + W], src)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda c: c.instant_fill(raw(texture())), "mask"),
        (lambda c: c.instant_fill(raw(texture(), np.zeros((H, W), np.uint8))), "empty"),
        (lambda c: c.instant_variations(raw(texture()), size=(0, 50)), "width and a height"),
        (lambda c: c.instant_variations(raw(texture()[:5, :5])), "at least"),
        (lambda c: c.extend_canvas(raw(texture())), "at least one border"),
        (lambda c: c.instant_edit(raw(texture()), raw(texture(w=50))), "same size"),
    ],
)
def test_bad_input_is_invalid_argument(client, call, message) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call(client)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda c: c.instant_variations(raw(texture()), n=5), "limit of 4"),
        (lambda c: c.instant_variations(raw(texture()), size=(9000, 10)), "limit"),
        (lambda c: c.extend_canvas(raw(texture()), right=10_000), "limit"),
    ],
)
def test_over_the_limits_is_resource_exhausted(client, call, message) -> None:
    with pytest.raises(ResourceExhausted, match=message):
        call(client)


def test_memory_budget_refuses_before_work(tmp_path) -> None:
    with (
        build_server(port=0, models_dir=tmp_path, max_memory_bytes=20 << 20) as srv,
        Client(address=srv.address) as c,
    ):
        with pytest.raises(ResourceExhausted, match="budget"):
            c.instant_variations(raw(texture(w=400, h=300)))


def test_cancel_stops_the_engine(tmp_path) -> None:
    """A cancelled variation ends the server's work at the engine's next safe point (the pool is free
    again at once: a second call answers long before the first would have finished)."""
    big = texture(w=1200, h=900)
    with (
        build_server(port=0, models_dir=tmp_path, inference_threads=1) as srv,
        Client(address=srv.address) as c,
    ):
        token = CancelToken()
        threading.Timer(1.0, token.cancel).start()
        t0 = time.monotonic()
        with pytest.raises(Cancelled):
            c.instant_variations(raw(big), size=(2400, 1800), cancel=token)
        small = c.instant_variations(raw(texture()))  # queued behind the cancelled one in the 1-thread pool
        assert len(small) == 1
        assert time.monotonic() - t0 < 20, "the cancelled variation kept the pool busy"
