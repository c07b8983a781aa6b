"""The applications through the server: harmonize, edit, paint-to-image, super-resolve, animate, and
interactive calls answered while a training job runs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from tiny_server import H, W, tiny_trained_server

from host_plugin.client import InvalidArgument, RawImage


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):
    with tiny_trained_server(tmp_path_factory, seed=11) as (client, model_id, arr):
        yield client, model_id, arr


def layer_with_selection(arr: np.ndarray, offset: tuple[int, int] = (3, 4)) -> tuple[RawImage, np.ndarray]:
    alpha = np.full((H, W, 1), 255, np.uint8)
    alpha[0, 0] = 7  # the artist's transparency must come back untouched
    mask = np.zeros((H, W), np.uint8)
    mask[8:16, 10:20] = 255
    rgba = np.concatenate([arr, alpha], axis=2)
    return RawImage(
        W, H, 4, rgba.tobytes(), mask=mask.tobytes(), offset_x=offset[0], offset_y=offset[1]
    ), alpha


def pixels(img: RawImage) -> np.ndarray:
    dtype = np.dtype("<u2") if img.bit_depth == 16 else np.uint8
    return np.frombuffer(img.pixels, dtype).reshape(img.height, img.width, img.channels)


@pytest.mark.parametrize("task", ["harmonize", "edit", "paint_to_image"])
def test_injection_tasks_keep_size_offset_and_alpha(setup, task: str) -> None:
    client, model_id, arr = setup
    layer, alpha = layer_with_selection(arr)
    result = getattr(client, task)(model_id, layer, seed=1)
    assert (result.width, result.height, result.channels) == (W, H, 4)
    assert (result.offset_x, result.offset_y) == (3, 4)
    assert np.array_equal(pixels(result)[:, :, 3:], alpha)
    assert not np.array_equal(pixels(result)[:, :, :3], arr)


@pytest.mark.parametrize("task", ["harmonize", "edit"])
def test_a_layer_larger_than_the_model_keeps_its_channels_and_alpha(setup, task: str) -> None:
    """Larger than the model: the core works at the layer's resolution; an RGB model, an RGBA layer."""
    client, model_id, arr = setup
    big = np.repeat(np.repeat(arr, 2, axis=0), 2, axis=1)
    alpha = np.full((2 * H, 2 * W, 1), 255, np.uint8)
    alpha[:4, :4] = 9
    mask = np.zeros((2 * H, 2 * W), np.uint8)
    mask[16:32, 20:40] = 255
    layer = RawImage(2 * W, 2 * H, 4, np.concatenate([big, alpha], axis=2).tobytes(), mask=mask.tobytes())
    result = getattr(client, task)(model_id, layer, seed=1)
    assert (result.width, result.height, result.channels) == (2 * W, 2 * H, 4)
    assert np.array_equal(pixels(result)[:, :, 3:], alpha)


def test_injection_scale_is_checked(setup) -> None:
    client, model_id, arr = setup
    layer, _ = layer_with_selection(arr)
    with pytest.raises(InvalidArgument, match="injection_scale must be in 1..2"):
        client.harmonize(model_id, layer, injection_scale=3)
    assert client.harmonize(model_id, layer, injection_scale=2).width == W


def test_super_resolve_own_image_and_a_selection(setup) -> None:
    client, model_id, arr = setup
    own = client.super_resolve(model_id, factor=2)
    assert (own.width, own.height) == (2 * W, 2 * H)
    crop = np.ascontiguousarray(arr[5:16, 3:20])  # an odd-sized region of the layer
    region = RawImage(17, 11, 3, crop.tobytes(), offset_x=3, offset_y=5)
    big = client.super_resolve(model_id, region, factor=4)
    assert (big.width, big.height, big.offset_x, big.offset_y) == (68, 44, 12, 20)
    # one rule for the factor, the core's: an integer from 2 to 16 (the paper's 2, 4, 8 and the rest)
    with pytest.raises(InvalidArgument, match="factor must be an integer from 2 to 16"):
        client.super_resolve(model_id, factor=17)
    with pytest.raises(InvalidArgument, match="factor must be an integer from 2 to 16"):
        client.train(RawImage(W, H, 3, arr.tobytes()), preset="tiny", super_resolution_factor=17)


def test_super_resolve_keeps_the_layers_transparency_at_any_factor(setup) -> None:
    client, model_id, arr = setup  # an RGB model: the layer's alpha is not learned but comes back
    alpha = np.full((H, W, 1), 255, np.uint8)
    alpha[:, : W // 2] = 0  # left half transparent
    layer = RawImage(W, H, 4, np.concatenate([arr, alpha], axis=2).tobytes())
    big = client.super_resolve(model_id, layer, factor=3)
    assert (big.width, big.height, big.channels) == (3 * W, 3 * H, 4)
    out_alpha = pixels(big)[:, :, 3]
    assert (out_alpha[:, : 3 * W // 2 - 4] == 0).all() and (out_alpha[:, 3 * W // 2 + 4 :] == 255).all()


def test_animate_streams_frames(setup) -> None:
    client, model_id, _ = setup
    seen = []
    frames = client.animate(model_id, frames=4, start_scale=1, seed=2, on_frame=seen.append)
    assert len(frames) == 4 and [f.index for f in seen] == [0, 1, 2, 3] and seen[0].total == 4
    assert all((f.width, f.height) == (W, H) for f in frames)
    with pytest.raises(InvalidArgument, match="alpha"):
        client.animate(model_id, frames=2, alpha=1.5)


def test_generate_is_answered_while_a_training_job_runs(setup) -> None:
    client, model_id, _ = setup
    running = threading.Event()
    result: dict = {}

    def on_update(u) -> None:
        result.setdefault("job_id", u.job_id)
        if u.state == "RUNNING" and u.iteration > 0:
            running.set()

    other = RawImage(W, H, 3, np.random.default_rng(12).integers(0, 256, W * H * 3, dtype=np.uint8).tobytes())
    slow = {"train.iterations": 2000, "train.d_steps": 1, "train.g_steps": 1}
    worker = threading.Thread(
        target=lambda: result.update(
            done=client.train(other, preset="tiny", overrides=slow, on_update=on_update)
        )
    )
    worker.start()
    try:
        assert running.wait(60)
        started = time.monotonic()
        samples = client.generate(model_id, n=2)
        elapsed = time.monotonic() - started
        assert len(samples) == 2
        assert client.list_jobs(active_only=True), "training should still be running"
        assert elapsed < 20, f"Generate waited {elapsed:.1f}s behind the training job"
    finally:
        client.cancel_job(result["job_id"])
        worker.join(60)
    assert result["done"].state == "CANCELLED"
