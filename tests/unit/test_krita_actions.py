"""Krita plugin logic against the mock document: request building, selection bounds, placement of
results, the model annotation, settings. A real server stands in for nothing here: the network side
is a small recording fake of ``host_plugin.client.Client`` (its real behaviour is covered by the
integration tests and the Krita host tests)."""

from __future__ import annotations

import struct

import pytest

from host_plugin.client import JobUpdate, RawImage
from host_plugin.krita.singan_studio import api, operations
from host_plugin.krita.singan_studio.doc_models import ANNOTATION_KEY, load_models
from host_plugin.krita.singan_studio.geometry import (
    Rect,
    RegionError,
    crop_mask,
    scaled_placement,
    source_region,
)
from host_plugin.krita.singan_studio.mock_document import MockDocument
from host_plugin.krita.singan_studio.pixels import UnsupportedFormat
from host_plugin.krita.singan_studio.requests import capture_layer
from host_plugin.krita.singan_studio.runner import Task, TaskRunner
from host_plugin.krita.singan_studio.settings import MemoryStore, Settings, load_settings, save_settings


def bgra(width: int, height: int, seed: int = 0) -> bytes:
    """Distinct native pixels: B = x, G = y, R = seed, A = 255."""
    return b"".join(bytes([x, y, seed, 255]) for y in range(height) for x in range(width))


def document(depth: str = "U8") -> MockDocument:
    doc = MockDocument(doc_name="art", width=64, height=48, depth=depth)
    pixel = bgra(40, 30) if depth == "U8" else struct.pack("<4H", 1, 2, 3, 65535) * (40 * 30)
    doc.paint("Texture", Rect(10, 5, 40, 30), pixel)
    return doc


class FakeClient:
    """Records calls; answers like the server (RGB(A) results, job updates)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def _image(self, w: int, h: int) -> RawImage:
        return RawImage(w, h, 3, bytes([200, 100, 50]) * (w * h))

    def train(self, image, **kw):
        self.calls.append(("train", (image,), kw))
        kw["on_update"](JobUpdate("job1", "model1", "RUNNING", scale=0, num_scales=3))
        return JobUpdate("job1", "model1", "SUCCEEDED", scale=2, num_scales=3, fraction=1.0)

    def generate(self, model_id, **kw):
        self.calls.append(("generate", (model_id,), kw))
        return [self._image(20, 15) for _ in range(kw["n"])]

    def harmonize(self, model_id, image, **kw):
        self.calls.append(("harmonize", (model_id, image), kw))
        return self._image(image.width, image.height)

    def super_resolve(self, model_id, image, **kw):
        self.calls.append(("super_resolve", (model_id, image), kw))
        return self._image(image.width * kw["factor"], image.height * kw["factor"])


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch):
    fake = FakeClient()
    sess = api.install_session(api.Session())
    monkeypatch.setattr(sess, "client", lambda: fake)
    sess.fake = fake
    yield sess
    api.install_session(api.Session())


# -- geometry ---------------------------------------------------------------------------------------
def test_source_region_prefers_the_selection_and_clips_to_the_canvas() -> None:
    canvas = Rect(0, 0, 64, 48)
    layer = Rect(10, 5, 40, 30)
    assert source_region(layer, None, canvas) == layer
    assert source_region(layer, Rect(50, 40, 30, 30), canvas) == Rect(50, 40, 14, 8)
    with pytest.raises(RegionError, match="selection"):
        source_region(layer, Rect(100, 100, 5, 5), canvas)
    with pytest.raises(RegionError, match="empty"):
        source_region(Rect(0, 0, 0, 0), None, canvas)


def test_crop_mask_fills_outside_with_zero() -> None:
    mask = bytes(range(1, 7))  # 3x2 at (1, 1)
    assert crop_mask(mask, Rect(1, 1, 3, 2), Rect(0, 0, 3, 3)) == bytes([0, 0, 0, 0, 1, 2, 0, 4, 5])


def test_scaled_placement_centres_then_shifts_onto_the_canvas() -> None:
    canvas = Rect(0, 0, 64, 48)
    assert scaled_placement(Rect(20, 16, 16, 12), 32, 24, canvas) == Rect(12, 10, 32, 24)
    assert scaled_placement(Rect(0, 0, 16, 12), 32, 24, canvas) == Rect(0, 0, 32, 24)
    assert scaled_placement(Rect(56, 40, 8, 8), 16, 16, canvas) == Rect(48, 32, 16, 16)
    assert scaled_placement(Rect(0, 0, 40, 30), 80, 60, canvas) is None


# -- request building -------------------------------------------------------------------------------
def test_capture_layer_sends_rgba_with_offset() -> None:
    doc = document()
    cap = capture_layer(doc)
    assert cap.region == Rect(10, 5, 40, 30)
    img = cap.image
    assert (img.width, img.height, img.channels, img.bit_depth) == (40, 30, 4, 8)
    assert (img.offset_x, img.offset_y) == (10, 5) and img.mask is None
    assert img.pixels[:8] == bytes([0, 0, 0, 255, 0, 0, 1, 255])  # R = seed 0, G = y, B = x


def test_capture_layer_uses_the_selection_bounds_and_mask() -> None:
    doc = document()
    mask = bytes([255, 0] * 6)  # 4x3, alternating
    doc.select(Rect(12, 6, 4, 3), mask)
    cap = capture_layer(doc)
    assert cap.region == Rect(12, 6, 4, 3)
    assert cap.image.mask == mask
    assert cap.image.pixels[:4] == bytes([0, 1, 2, 255])  # layer pixel (2, 1): R = 0, G = y 1, B = x 2


def test_capture_16_bit() -> None:
    cap = capture_layer(document("U16"))
    assert cap.bit_depth == 16
    assert struct.unpack("<4H", cap.image.pixels[:8]) == (3, 2, 1, 65535)


def test_unsupported_document_is_refused_before_anything_else() -> None:
    doc = MockDocument(model="CMYKA", depth="U8")
    with pytest.raises(UnsupportedFormat, match="CMYK"):
        capture_layer(doc)


def test_transparent_layer_is_refused() -> None:
    doc = MockDocument()
    doc.paint("Empty", Rect(0, 0, 4, 4), bytes(64))
    with pytest.raises(RegionError, match="transparent"):
        capture_layer(doc)


# -- actions end to end on the mock document --------------------------------------------------------
def test_train_records_the_model_in_the_document(session) -> None:
    doc = document()
    doc.select(Rect(12, 6, 20, 10))
    seen: list[str] = []
    outcome = api.train(preset="tiny", document=doc, on_progress=lambda u: seen.append(u.state))
    assert outcome.model_id == "model1" and seen == ["RUNNING"]
    _, (image,), kw = session.fake.calls[0]
    assert (image.width, image.height, kw["preset"], kw["name"]) == (20, 10, "tiny", "art / Texture")
    record = load_models(doc).active
    assert record.model_id == "model1" and record.region == Rect(12, 6, 20, 10)
    assert ANNOTATION_KEY in doc.annotations
    assert len(doc.layers) == 1  # training adds no layers


def test_generate_adds_a_group_at_the_model_region_and_never_touches_the_source(session) -> None:
    doc = document()
    source_before = doc.layers[0].pixels
    api.train(document=doc)
    outcome = api.generate_variations(n=3, seed=4, document=doc)
    assert outcome.names == ["Variation 1", "Variation 2", "Variation 3"]
    group = doc.layers[1]
    assert group.kind == "grouplayer" and group.name == "SinGAN variations (Texture)"
    for placed in outcome.layers:
        layer = doc.layer(placed.layer_id)
        assert layer.parent == group.layer_id and layer.rect == Rect(10, 5, 20, 15)
        assert layer.pixels[:4] == bytes([50, 100, 200, 255])  # RGB (200, 100, 50) -> BGRA, opaque
    assert doc.layers[0].pixels == source_before
    assert session.fake.calls[-1][2]["n"] == 3 and session.fake.calls[-1][2]["seed"] == 4
    again = api.generate_variations(n=1, document=doc)
    assert doc.layer(again.layers[0].layer_id).parent != group.layer_id  # a second, separate group
    assert [g.name for g in doc.children()][-1] == "SinGAN variations (Texture) 2"


def test_actions_without_a_model_say_to_train_first(session) -> None:
    with pytest.raises(operations.ActionError, match="Train on this layer"):
        api.generate_variations(document=document())


def test_harmonize_sends_the_visible_region_with_the_selection_as_mask(session) -> None:
    doc = document()
    api.train(document=doc)
    doc.select(Rect(20, 10, 5, 5))
    outcome = api.harmonize_selection(document=doc)
    _, (_model, image), _ = session.fake.calls[-1]
    assert (image.width, image.height, image.offset_x, image.offset_y) == (40, 30, 10, 5)
    assert image.mask is not None and image.mask.count(255) == 25
    assert outcome.names == ["Harmonized"] and outcome.layers[0].rect == Rect(10, 5, 40, 30)


def test_harmonize_without_selection_is_refused(session) -> None:
    doc = document()
    api.train(document=doc)
    with pytest.raises(RegionError, match="select"):
        api.harmonize_selection(document=doc)


def test_super_resolve_into_a_layer_or_a_new_document(session) -> None:
    doc = document()
    api.train(document=doc)
    doc.select(Rect(20, 16, 16, 12))
    small = api.super_resolve_selection(factor=2, document=doc).layers[0]
    assert not small.new_document and small.rect == Rect(12, 10, 32, 24) and small.name == "Super-resolved x2"
    doc.select(Rect(0, 0, 40, 30))
    big = api.super_resolve_selection(factor=4, document=doc).layers[0]
    assert big.new_document and (big.document.width, big.document.height) == (160, 120)
    assert doc.opened == [big.document]
    with pytest.raises(operations.ActionError, match="2, 4 or 8"):
        api.super_resolve_selection(factor=3, document=doc)


def test_models_annotation_survives_a_round_trip_and_ignores_garbage() -> None:
    doc = document()
    doc.annotations[ANNOTATION_KEY] = b"not json"
    assert load_models(doc).records == ()
    doc.annotations[ANNOTATION_KEY] = (
        b'{"version": 1, "active": "", "models": [{"model_id": "m", "region": {"x": 1, "y": 2, "width": 3, "height": 4}}]}'
    )
    assert load_models(doc).active.region == Rect(1, 2, 3, 4)


def test_settings_round_trip_and_fall_back_on_damage() -> None:
    store = MemoryStore()
    save_settings(store, Settings(address="gpu-box:6000", token="t", default_preset="paper", default_n=8))
    assert load_settings(store) == Settings("gpu-box:6000", "t", "paper", 8)
    store.values["default_n"] = "many"
    assert load_settings(store).default_n == 4
    with pytest.raises(ValueError, match="empty"):
        Settings(address=" ")


def test_background_tasks_apply_results_through_the_ui_poster() -> None:
    posted: list = []
    runner = TaskRunner(post=posted.append)
    doc = document()

    class Plan(operations.Plan):
        title = "demo"

        def run(self, ctx):
            return 7

        def apply(self, doc, result):
            return operations.Outcome(message=str(result))

    events: list[tuple[Task, str]] = []
    runner.listeners.append(lambda task, event, payload: events.append((task, event)))
    task = runner.start(Plan(), doc, client=None)
    for _ in range(200):  # the worker hands the result to the "UI thread" (here: the posted list)
        if posted:
            break
        task.done.wait(0.01)
    assert not task.done.is_set() and events == []
    posted.pop()()
    assert task.wait(1).message == "7" and events == [(task, "done")]
