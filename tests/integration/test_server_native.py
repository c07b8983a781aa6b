"""Results at the document's resolution through the server: harmonize/edit answer with the changed region
only (region_only), at the input's resolution; Generate at a document's size (at_document_size), with
detail from the trained region (exemplar) or, without one (older clients), through the ladder."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_server import H, W, tiny_trained_server

from host_plugin.client import InvalidArgument, RawImage
from singan_core.checkpoint import load_checkpoint
from singan_core.tasks.upscale import generate_at_size

BIG = 8  # the layer is BIG times the model's size: the native path
OFFSET = (5, 7)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):
    with tiny_trained_server(tmp_path_factory, seed=3) as (client, model_id, arr):
        yield client, model_id


def pixels(img: RawImage) -> np.ndarray:
    return np.frombuffer(img.pixels, np.uint8).reshape(img.height, img.width, img.channels)


def big_layer() -> tuple[RawImage, np.ndarray, np.ndarray]:
    """A sharp RGBA layer (pixel noise) BIG times the model's size with a small selection in it."""
    h, w = H * BIG, W * BIG
    rgb = np.random.default_rng(5).integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    alpha = np.full((h, w, 1), 255, np.uint8)
    alpha[64:68, 76:86] = 99  # the artist's transparency inside the selection comes back
    mask = np.zeros((h, w), np.uint8)
    mask[60:84, 70:106] = 255
    rgba = np.concatenate([rgb, alpha], axis=2)
    layer = RawImage(w, h, 4, rgba.tobytes(), mask=mask.tobytes(), offset_x=OFFSET[0], offset_y=OFFSET[1])
    return layer, rgba, mask


def laplacian(grey: np.ndarray) -> np.ndarray:
    g = grey.astype(np.float64)
    return np.abs(4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:])


@pytest.mark.parametrize("task", ["harmonize", "edit"])
def test_region_only_answers_the_changed_rectangle_of_the_whole_result(setup, task: str) -> None:
    client, model_id = setup
    layer, rgba, mask = big_layer()
    whole = pixels(getattr(client, task)(model_id, layer, seed=2))
    region = getattr(client, task)(model_id, layer, seed=2, region_only=True)
    px = pixels(region)
    assert region.channels == 4
    assert region.width < layer.width and region.height < layer.height  # cropped, not the layer
    left, top = region.offset_x - OFFSET[0], region.offset_y - OFFSET[1]
    assert 0 < left <= 70 and 0 < top <= 60  # the dilated mask's corner, inside the layer
    assert left + region.width >= 106 and top + region.height >= 84  # the whole selection is in it
    window = (slice(top, top + region.height), slice(left, left + region.width))
    inside = px[:, :, 3] > 0
    # where it is opaque it is the whole result (same seed), with the input's alpha; elsewhere
    # transparent, and there the whole result is the input itself
    assert np.array_equal(px[inside], whole[window][inside])
    assert np.array_equal(whole[window][~inside], rgba[window][~inside])
    assert inside[mask[window] > 0].all()  # the whole selection is opaque
    assert (px[64 - top : 68 - top, 76 - left : 86 - left, 3] == 99).all()
    # at the layer's resolution: detail inside the selection is as sharp as the input's there
    sel = mask[window][1:-1, 1:-1] > 0
    out_grey, in_grey = px[:, :, :3].mean(axis=2), rgba[window][:, :, :3].mean(axis=2)
    ratio = laplacian(out_grey)[sel].mean() / laplacian(in_grey)[sel].mean()
    assert ratio >= 0.8, f"sharpness ratio {ratio:.2f}"


def test_generate_at_document_size(setup) -> None:
    client, model_id = setup
    size = (W * 3, H * 2)
    images = client.generate(model_id, n=2, seed=4, size=size, at_document_size=True)
    assert [(i.width, i.height) for i in images] == [size, size]
    a, b = (pixels(i) for i in images)
    assert not np.array_equal(a, b)
    with pytest.raises(InvalidArgument, match="at_document_size needs size"):
        client.generate(model_id, at_document_size=True)


def test_generate_at_document_size_copies_detail_from_the_exemplar(setup, tmp_path) -> None:
    client, model_id = setup
    h, w = H * BIG, W * BIG
    # the "trained region at document resolution": sharp texture (pixel noise) in two colour families
    rng = np.random.default_rng(8)
    ex = rng.integers(0, 128, size=(h, w, 3), dtype=np.uint8)
    ex[:, :, 1] += 127
    exemplar = RawImage(w, h, 3, ex.tobytes(), offset_x=40, offset_y=9)
    (with_ex,) = client.generate(model_id, n=1, seed=4, size=(w, h), at_document_size=True, exemplar=exemplar)
    (ladder,) = client.generate(model_id, n=1, seed=4, size=(w, h), at_document_size=True)
    client.export_model(model_id, tmp_path / "m.singan")
    model = load_checkpoint(tmp_path / "m.singan")
    (core_detail,) = generate_at_size(model, (h, w), seed=4, exemplar=ex)
    (core_ladder,) = generate_at_size(model, (h, w), seed=4)
    a, b = pixels(with_ex).astype(int), pixels(ladder).astype(int)
    # the server ran the core's detail path with this exemplar, and without one the ladder (old clients)
    assert np.abs(a - core_detail).mean() < 1.0 and np.abs(b - core_ladder).mean() < 1.0
    assert np.abs(a - b).mean() > 10
    # its high frequencies come from the exemplar: nearly as sharp as it (the ladder: the model's strokes)
    ratio = laplacian(a.mean(axis=2)).mean() / laplacian(ex.astype(int).mean(axis=2)).mean()
    assert ratio >= 0.8, f"sharpness ratio {ratio:.2f}"
    with pytest.raises(InvalidArgument, match="exemplar is only used with at_document_size"):
        client.generate(model_id, n=1, size=(w, h), exemplar=exemplar)
