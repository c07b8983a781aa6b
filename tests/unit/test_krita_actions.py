"""The Krita plugin's scripting API (what its menu runs) against the shared mock document: what each
action reads, Krita's names and places for results, the models recorded in the document. The network
side is a small recording fake of ``host_plugin.client.Client`` (its real behaviour is covered by the
integration tests and the Krita host tests); the shared flows on their own are in
test_plugin_common_flows.py."""

from __future__ import annotations

import struct

import pytest

from host_plugin.client import ConnectionSettings, JobUpdate, RawImage
from host_plugin.common.document import UnsupportedFormat
from host_plugin.common.geometry import Rect, RegionError
from host_plugin.common.mock_document import MockDocument
from host_plugin.common.models import ActionError
from host_plugin.krita.singan_studio import api


def rgba(width: int, height: int, seed: int = 0) -> bytes:
    """Distinct pixels: R = seed, G = y, B = x, A = 255."""
    return b"".join(bytes([seed, y, x, 255]) for y in range(height) for x in range(width))


def document(bit_depth: int = 8) -> MockDocument:
    doc = MockDocument(doc_name="art", width=64, height=48, bit_depth=bit_depth)
    pixel = rgba(40, 30) if bit_depth == 8 else struct.pack("<4H", 3, 2, 1, 65535) * (40 * 30)
    doc.paint("Texture", Rect(10, 5, 40, 30), pixel)
    return doc


class FakeClient:
    """Records calls; answers like the server (RGB(A) results, job updates)."""

    settings = ConnectionSettings(address="127.0.0.1:1")

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


def sent_for_training(doc: MockDocument, session) -> RawImage:
    api.train(document=doc)
    return session.fake.calls[-1][1][0]


# -- request building -------------------------------------------------------------------------------
def test_capture_layer_sends_rgba_with_offset(session) -> None:
    img = sent_for_training(document(), session)
    assert (img.width, img.height, img.channels, img.bit_depth) == (40, 30, 4, 8)
    assert (img.offset_x, img.offset_y) == (10, 5) and img.mask is None
    assert img.pixels[:8] == bytes([0, 0, 0, 255, 0, 0, 1, 255])  # R = seed 0, G = y, B = x


def test_capture_layer_uses_the_selection_bounds_and_mask(session) -> None:
    doc = document()
    mask = bytes([255, 0] * 6)  # 4x3, alternating
    doc.select(Rect(12, 6, 4, 3), mask)
    img = sent_for_training(doc, session)
    assert (img.offset_x, img.offset_y, img.width, img.height) == (12, 6, 4, 3)
    assert img.mask == mask
    assert img.pixels[:4] == bytes([0, 1, 2, 255])  # layer pixel (2, 1): R = 0, G = y 1, B = x 2


def test_capture_16_bit(session) -> None:
    img = sent_for_training(document(16), session)
    assert img.bit_depth == 16
    assert struct.unpack("<4H", img.pixels[:8]) == (3, 2, 1, 65535)


def test_unsupported_document_is_refused_before_anything_else(session) -> None:
    doc = MockDocument(unsupported="SinGAN works on RGB documents; this one is CMYK.")
    with pytest.raises(UnsupportedFormat, match="CMYK"):
        api.train(document=doc)


def test_transparent_layer_is_refused(session) -> None:
    doc = MockDocument()
    doc.paint("Empty", Rect(0, 0, 4, 4), bytes(64))
    with pytest.raises(RegionError, match="transparent"):
        api.train(document=doc)


# -- actions end to end on the mock document --------------------------------------------------------
def test_train_records_the_model_in_the_document(session) -> None:
    doc = document()
    doc.select(Rect(12, 6, 20, 10))
    seen: list[str] = []
    outcome = api.train(preset="tiny", document=doc, on_progress=lambda u: seen.append(u.state))
    assert outcome.model_id == "model1" and seen == ["RUNNING"]
    _, (image,), kw = session.fake.calls[0]
    assert (image.width, image.height, kw["preset"], kw["name"]) == (20, 10, "tiny", "art / Texture")
    record = doc.models().active
    assert record.model_id == "model1" and record.region == Rect(12, 6, 20, 10)
    assert (record.layer_name, record.job_id, record.name) == ("Texture", "job1", "art / Texture")
    assert api.models(doc) == [record]
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
        assert layer.pixels[:4] == bytes([200, 100, 50, 255])  # RGB (200, 100, 50) -> the document's RGBA
    assert doc.layers[0].pixels == source_before
    assert session.fake.calls[-1][2]["n"] == 3 and session.fake.calls[-1][2]["seed"] == 4
    again = api.generate_variations(n=1, document=doc)
    assert doc.layer(again.layers[0].layer_id).parent != group.layer_id  # a second, separate group
    assert [g.name for g in doc.children()][-1] == "SinGAN variations (Texture) 2"


def test_actions_without_a_model_say_to_train_first(session) -> None:
    with pytest.raises(ActionError, match="Train on this layer"):
        api.generate_variations(document=document())


def test_harmonize_sends_the_visible_region_with_the_selection_as_mask(session) -> None:
    doc = document()
    api.train(document=doc)
    doc.select(Rect(20, 10, 5, 5))
    outcome = api.harmonize_selection(document=doc)
    _, (_model, image), _ = session.fake.calls[-1]
    # the selection plus 32 px of context on the canvas (not the trained region or the whole layer)
    assert (image.width, image.height, image.offset_x, image.offset_y) == (57, 47, 0, 0)
    assert image.mask is not None and image.mask.count(255) == 25
    assert outcome.names == ["Harmonized"] and outcome.layers[0].rect == Rect(0, 0, 57, 47)


def test_harmonize_with_fine_tune_harmonizes_with_the_model_the_job_tuned(session) -> None:
    def fine_tune(model_id, composite, *, on_update, **kw):
        session.fake.calls.append(("fine_tune", (model_id, composite), kw))
        on_update(JobUpdate("job5", "tuned5", "RUNNING", iteration=1, iterations=4))
        return JobUpdate("job5", "tuned5", "SUCCEEDED")

    session.fake.fine_tune = fine_tune
    doc = document()
    api.train(document=doc)
    doc.select(Rect(20, 10, 5, 5))
    outcome = api.harmonize_selection(document=doc, injection_scale=2, fine_tune=True)
    assert [(c[0], c[1][0]) for c in session.fake.calls[-2:]] == [
        ("fine_tune", "model1"),
        ("harmonize", "tuned5"),
    ]
    assert outcome.names == ["Harmonized"]


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
    with pytest.raises(ActionError, match="2, 4 or 8"):
        api.super_resolve_selection(factor=3, document=doc)
