"""What each procedure sends and where results land (host_plugin.gimp.actions), on an in-memory document
and a recording stand-in for the client; the real client and GIMP are covered by tests/hosts/test_gimp.py."""

from __future__ import annotations

import pytest

from host_plugin.client import ConnectionSettings, JobUpdate, RawImage
from host_plugin.gimp import actions
from host_plugin.gimp.model_ref import ModelRef
from host_plugin.gimp.regions import Rect, RegionError


class MemoryDocument:
    def __init__(self, layer: Rect, selection: Rect | None = None) -> None:
        self.layer, self.selection = layer, selection
        self.reads: list[tuple[Rect, bool]] = []
        self.layers: list = []
        self.images: list = []
        self.model: ModelRef | None = None

    def title(self) -> str:
        return "doc.xcf / Layer"

    def layer_rect(self) -> Rect:
        return self.layer

    def selection_rect(self) -> Rect | None:
        return self.selection

    def read(self, area: Rect, *, with_mask: bool = False) -> RawImage:
        self.reads.append((area, with_mask))
        mask = None
        if with_mask and self.selection is not None:
            sel = self.selection
            mask = bytes(
                255 if sel.x <= area.x + i % area.width < sel.right and sel.y <= area.y + i // area.width < sel.bottom
                else 0
                for i in range(area.width * area.height)
            )  # fmt: skip
        return RawImage(area.width, area.height, 4, bytes(area.width * area.height * 4), mask=mask,
                        offset_x=area.x, offset_y=area.y)  # fmt: skip

    def remember_model(self, ref: ModelRef) -> None:
        self.model = ref

    def add_layers(self, results) -> None:
        self.layers.extend(results)

    def new_image(self, layers):
        self.images.append(layers)
        return len(self.images)


class RecordingClient:
    settings = ConnectionSettings(address="127.0.0.1:1")

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def _image(self, w: int = 8, h: int = 6) -> RawImage:
        return RawImage(w, h, 3, bytes(w * h * 3))

    def train(self, image, **kw) -> JobUpdate:
        self.calls.append(("train", (image,), kw))
        kw["on_update"](JobUpdate(job_id="job1", model_id="m1", state="RUNNING", num_scales=3, iterations=10))
        return JobUpdate(job_id="job1", model_id="m1", state="SUCCEEDED")

    def generate(self, model_id, **kw):
        self.calls.append(("generate", (model_id,), kw))
        return [self._image(12, 6) for _ in range(kw["n"])]

    def harmonize(self, model_id, image, **kw):
        self.calls.append(("harmonize", (model_id, image), kw))
        return self._image(image.width, image.height)

    def super_resolve(self, model_id, image, **kw):
        self.calls.append(("super_resolve", (model_id, image), kw))
        return self._image(image.width * kw["factor"], image.height * kw["factor"])

    def animate(self, model_id, **kw):
        self.calls.append(("animate", (model_id,), kw))
        return [self._image() for _ in range(kw["frames"])]


class Bar:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def update(self, fraction: float, text: str) -> None:
        assert 0.0 <= fraction <= 1.0
        self.texts.append(text)

    def pulse(self, text: str) -> None:
        self.texts.append(text)


class Watch:
    def __init__(self) -> None:
        self.jobs: list[str] = []
        self.ended = False

    def job(self, job_id: str) -> None:
        self.jobs.append(job_id)

    def done(self) -> None:
        self.ended = True


def test_train_reads_the_selection_box_and_remembers_the_model() -> None:
    doc, client, bar, watch = (
        MemoryDocument(Rect(5, 3, 32, 24), Rect(0, 0, 20, 10)),
        RecordingClient(),
        Bar(),
        Watch(),
    )
    assert actions.train(doc, client, bar, preset="tiny", watch=watch) == "m1"
    (name, (image,), kw) = client.calls[0]
    assert (image.width, image.height, image.offset_x, image.offset_y) == (15, 7, 5, 3)
    assert kw["preset"] == "tiny" and kw["name"] == "doc.xcf / Layer"
    assert doc.model == ModelRef("m1", name="doc.xcf / Layer", preset="tiny", server="127.0.0.1:1")
    assert watch.jobs == ["job1"] and watch.ended
    assert any("scale 1/3" in text for text in bar.texts)


def test_failed_training_is_an_error_and_still_ends_the_watch() -> None:
    class Failing(RecordingClient):
        def train(self, image, **kw):
            return JobUpdate(job_id="j", model_id="m", state="FAILED", error="image too small")

    watch = Watch()
    with pytest.raises(actions.TrainingFailed, match="image too small"):
        actions.train(MemoryDocument(Rect(0, 0, 8, 8)), Failing(), Bar(), preset="fast", watch=watch)
    assert watch.ended


def test_generate_passes_arguments_and_places_layers() -> None:
    doc, client = MemoryDocument(Rect(5, 3, 32, 24)), RecordingClient()
    n = actions.generate(
        doc, client, Bar(), "m1", n=3, seed=9, width_scale=1.5, height_scale=0.5, start_scale=1
    )
    assert n == 3
    assert client.calls[0][2] == {"n": 3, "seed": 9, "scale_h": 1.5, "scale_v": 0.5, "start_scale": 1}
    assert [(p.x, p.y) for p, _ in doc.layers] == [(5, 3)] * 3


def test_harmonize_sends_the_whole_layer_with_the_selection_mask() -> None:
    doc, client = MemoryDocument(Rect(0, 0, 10, 8), Rect(2, 2, 3, 3)), RecordingClient()
    actions.harmonize(doc, client, Bar(), "m1", scale=2, seed=1)
    (_, (model_id, image), kw) = client.calls[0]
    assert (model_id, image.width, image.height, kw) == ("m1", 10, 8, {"injection_scale": 2, "seed": 1})
    assert sum(1 for v in image.mask if v) == 9
    assert doc.layers[0][0].name == "SinGAN harmonized"


def test_harmonize_without_selection_tells_what_to_select() -> None:
    with pytest.raises(RegionError, match="pasted object"):
        actions.harmonize(MemoryDocument(Rect(0, 0, 10, 8)), RecordingClient(), Bar(), "m1", scale=0, seed=0)


def test_super_resolve_trains_for_the_factor_and_makes_a_new_image() -> None:
    doc, client = MemoryDocument(Rect(0, 0, 10, 8)), RecordingClient()
    assert actions.super_resolve(doc, client, Bar(), factor=4, preset="tiny", seed=0) == 1
    assert client.calls[0][2]["super_resolution_factor"] == 4
    ((name, image),) = doc.images[0]
    assert (image.width, image.height) == (40, 32) and name.startswith("SinGAN x4")


def test_animate_makes_named_frames() -> None:
    doc, client = MemoryDocument(Rect(0, 0, 10, 8)), RecordingClient()
    actions.animate(
        doc, client, Bar(), "m1", frames=3, start_scale=1, alpha=0.1, beta=0.9, seed=0, frame_ms=50
    )
    assert [name for name, _ in doc.images[0]] == [f"Frame {i} (50ms) (replace)" for i in (1, 2, 3)]
