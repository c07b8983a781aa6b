"""What each procedure sends and where results land (host_plugin.gimp.actions over the shared flows), on
the shared mock document and a recording stand-in for the client; the real client and GIMP are covered
by tests/hosts/test_gimp.py."""

from __future__ import annotations

import pytest

from host_plugin.client import ConnectionSettings, JobUpdate, RawImage
from host_plugin.common import flows
from host_plugin.common.geometry import Rect, RegionError
from host_plugin.common.mock_document import MockDocument
from host_plugin.common.models import ActionError, ModelRef
from host_plugin.gimp import actions

DEFAULTS = {
    "seed": 0,
    "preset": "fast",
    "preset-name": "",
    "retrain": False,
    "factor": "x2",
    "scale": 0,
    "iterations": 0,
    "max-size": 0,
    "whole-layer": False,
    "change": "default",
    "variation": 1.0,
    "fine-tune": False,
    "size": "document",
}


def memory_document(layer: Rect, selection: Rect | None = None) -> MockDocument:
    doc = MockDocument(doc_name="doc.xcf")
    doc.paint("Layer", layer, bytes([5, 6, 7, 255]) * (layer.width * layer.height))
    if selection is not None:
        doc.select(selection)
    return doc


def call(task: str, doc: MockDocument, client, bar=None, watch=None, model: str = "", **args):
    """Run procedure ``task`` with ``args`` (the procedure's argument names, ``_`` for ``-``)."""
    values = {**DEFAULTS, **{name.replace("_", "-"): value for name, value in args.items()}}
    plan = actions.plan(task, doc, values.get, ModelRef(model) if model else None)
    return actions.run(plan, doc, client, bar or Bar(), watch)


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

    def paint_to_image(self, model_id, image, **kw):
        self.calls.append(("paint_to_image", (model_id, image), kw))
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
        memory_document(Rect(5, 3, 32, 24), Rect(0, 0, 20, 10)),
        RecordingClient(),
        Bar(),
        Watch(),
    )
    assert call("train", doc, client, bar, watch, preset_name="tiny").model_id == "m1"
    (name, (image,), kw) = client.calls[0]
    assert (image.width, image.height, image.offset_x, image.offset_y) == (15, 7, 5, 3)
    assert kw["preset"] == "tiny" and kw["name"] == "doc.xcf / Layer"
    ref = doc.models().active
    assert (ref.model_id, ref.name, ref.preset, ref.server) == (
        "m1",
        "doc.xcf / Layer",
        "tiny",
        "127.0.0.1:1",
    )
    assert ref.region == Rect(5, 3, 15, 7) and ref.layer_name == "Layer"
    assert watch.jobs == ["job1"] and watch.ended
    assert any("scale 1/3" in text for text in bar.texts)


def test_the_dialogs_preset_is_used_unless_a_script_names_one() -> None:
    client = RecordingClient()
    call("train", memory_document(Rect(0, 0, 8, 8)), client, preset="paper")
    assert client.calls[-1][2]["preset"] == "paper"


def test_train_options_whole_layer_iterations_and_model_size() -> None:
    client = RecordingClient()
    doc = memory_document(Rect(5, 3, 32, 24), Rect(0, 0, 20, 10))
    call("train", doc, client, whole_layer=True, iterations=500, max_size=120)
    (_, (image,), kw) = client.calls[0]
    assert (image.width, image.height, image.offset_x, image.offset_y) == (32, 24, 5, 3)  # not the selection
    assert kw["overrides"] == {
        "train.iterations": "500",
        "train.lr_decay_iteration": "400",
        "pyramid.max_size": "120",
    }
    call("train", doc, client)
    assert client.calls[1][2]["overrides"] is None  # 0, 0: the preset as it is


def test_training_overrides_refuse_nonsense() -> None:
    assert flows.training_overrides(0, 0) is None
    assert flows.training_overrides(10, 0) == {"train.iterations": "10", "train.lr_decay_iteration": "8"}
    with pytest.raises(ActionError, match="at least 32 px"):
        flows.training_overrides(0, 8)
    with pytest.raises(ActionError, match="positive"):
        flows.training_overrides(-1, 0)


def test_failed_training_is_an_error_and_still_ends_the_watch() -> None:
    class Failing(RecordingClient):
        def train(self, image, **kw):
            return JobUpdate(job_id="j", model_id="m", state="FAILED", error="image too small")

    watch = Watch()
    with pytest.raises(ActionError, match="image too small"):
        call("train", memory_document(Rect(0, 0, 8, 8)), Failing(), watch=watch)
    assert watch.ended


def test_generate_passes_arguments_and_places_layers() -> None:
    doc, client = memory_document(Rect(5, 3, 32, 24)), RecordingClient()
    args = {"n": 3, "seed": 9, "width_scale": 1.5, "height_scale": 0.5, "start_scale": 1}
    outcome = call("generate", doc, client, model="m1", **args)
    assert len(outcome.layers) == 3
    sent = client.calls[0][2]
    assert {k: sent[k] for k in ("n", "seed", "scale_h", "scale_v", "start_scale")} == {
        "n": 3, "seed": 9, "scale_h": 1.5, "scale_v": 0.5, "start_scale": 1
    }  # fmt: skip
    assert [(p.rect.x, p.rect.y) for p in outcome.layers] == [(5, 3)] * 3
    assert outcome.names[0] == "SinGAN sample 1 (seed 9, 12x6)" and outcome.names[1].startswith(
        "SinGAN sample 2"
    )


def test_harmonize_sends_the_whole_layer_with_the_selection_mask() -> None:
    doc, client = memory_document(Rect(0, 0, 10, 8), Rect(2, 2, 3, 3)), RecordingClient()
    outcome = call("harmonize", doc, client, model="m1", scale=2, seed=1)
    (_, (model_id, image), kw) = client.calls[0]
    assert (model_id, image.width, image.height) == ("m1", 37, 37)  # the selection + 32 px of context
    assert (kw["injection_scale"], kw["seed"]) == (2, 1)
    assert sum(1 for v in image.mask if v) == 9
    assert outcome.names == ["SinGAN harmonized"]


def test_harmonize_without_selection_tells_what_to_select() -> None:
    with pytest.raises(RegionError, match="pasted object"):
        call("harmonize", memory_document(Rect(0, 0, 10, 8)), RecordingClient(), model="m1")


def test_paint_to_image_passes_quantize_and_names_the_layer() -> None:
    doc, client = memory_document(Rect(2, 1, 10, 8)), RecordingClient()
    outcome = call("paint-to-image", doc, client, model="m1", quantize=True)
    assert client.calls[0][2]["quantize"] is True
    assert outcome.names == ["SinGAN paint to image"] and outcome.layers[0].rect == Rect(2, 1, 10, 8)


def test_super_resolve_trains_for_the_factor_and_makes_a_new_image() -> None:
    doc, client = memory_document(Rect(0, 0, 10, 8)), RecordingClient()
    outcome = call("super-resolve", doc, client, factor="x4", preset_name="tiny")
    assert client.calls[0][2]["super_resolution_factor"] == 4 and client.calls[0][2]["preset"] == "tiny"
    (image,) = doc.opened
    (layer,) = image.layers
    assert (layer.rect.width, layer.rect.height) == (40, 32) and layer.name.startswith("SinGAN x4")
    assert outcome.layers[0].document is image  # what the procedure returns


def test_animate_makes_named_frames() -> None:
    doc, client = memory_document(Rect(0, 0, 10, 8)), RecordingClient()
    args = {"frames": 3, "start_scale": 1, "alpha": 0.1, "beta": 0.9, "frame_ms": 50}
    call("animate", doc, client, model="m1", **args)
    assert [layer.name for layer in doc.opened[0].layers] == [
        f"Frame {i} (50ms) (replace)" for i in (1, 2, 3)
    ]


def test_tasks_other_than_training_need_a_model() -> None:
    with pytest.raises(ValueError, match="needs a model"):
        call("generate", memory_document(Rect(0, 0, 10, 8)), RecordingClient(), n=1)


def test_the_dialogs_words_seed_and_variation_reach_the_request() -> None:
    """Harmonize's 'How much may change' (a model of 6 scales: keep layout = injection at scale 5),
    seed and variation; Generate's model size and variation."""

    class WithModelInfo(RecordingClient):
        def get_model(self, model_id, **kw):
            from singan_api import singan_pb2 as pb

            return pb.ModelInfo(model_id=model_id, num_scales=6)

    doc, client = memory_document(Rect(0, 0, 40, 30), Rect(5, 5, 6, 6)), WithModelInfo()
    call("harmonize", doc, client, model="m1", change="keep-layout", seed=4, variation=0.25)
    (_, _args, kw) = [c for c in client.calls if c[0] == "harmonize"][-1]
    assert (kw["injection_scale"], kw["seed"], kw["variation"]) == (5, 4, 0.25)
    call("harmonize", doc, client, model="m1", change="change-more", scale=3)  # a script's scale wins
    (_, _args, kw) = [c for c in client.calls if c[0] == "harmonize"][-1]
    assert kw["injection_scale"] == 3 and "variation" not in kw
    scales = {"width_scale": 1.0, "height_scale": 1.0, "start_scale": 0}
    call("generate", doc, client, model="m1", n=2, seed=1, size="model", variation=1.5, **scales)
    (_, _args, kw) = [c for c in client.calls if c[0] == "generate"][-1]
    assert (kw["n"], kw["variation"], kw["size"]) == (2, 1.5, None) and "at_document_size" not in kw


def test_harmonize_with_fine_tune_runs_the_fine_tune_job_then_harmonizes_with_the_tuned_model() -> None:
    class Tuning(RecordingClient):
        def fine_tune(self, model_id, composite, *, on_update, **kw):
            self.calls.append(("fine_tune", (model_id, composite), kw))
            on_update(JobUpdate(job_id="job9", model_id="t1", state="RUNNING", iteration=2, iterations=4))
            return JobUpdate(job_id="job9", model_id="t1", state="SUCCEEDED")

    doc, client, bar, watch = memory_document(Rect(0, 0, 40, 30), Rect(5, 5, 6, 6)), Tuning(), Bar(), Watch()
    outcome = call("harmonize", doc, client, bar, watch, model="m1", scale=2, fine_tune=True)
    assert [(c[0], c[1][0]) for c in client.calls] == [("fine_tune", "m1"), ("harmonize", "t1")]
    assert client.calls[0][2] == {"injection_scale": 2} and watch.jobs == ["job9"]  # Cancel reaches the job
    assert outcome.names == ["SinGAN harmonized"] and len(doc.layers) == 2
    call("harmonize", doc, client, model="m1", scale=2)  # unticked: no fine-tune
    assert [c[0] for c in client.calls[2:]] == ["harmonize"]


class EstimatingClient(RecordingClient):
    def estimate_training(self, image, **kw):
        from host_plugin.client.estimate import TrainingEstimate

        self.calls.append(("estimate_training", (image,), kw))
        return TrainingEstimate(
            200.0, 150.0, 260.0, (), 500, 0, "measured on this server (1 training)", "", False
        )


def test_the_train_dialogs_estimate_follows_the_options_and_reads_pixels_once_per_area() -> None:
    doc = memory_document(Rect(0, 0, 40, 30), selection=Rect(5, 5, 10, 8))
    reads: list[Rect] = []
    read = doc.read_layer
    doc.read_layer = lambda layer, area, **kw: reads.append(area) or read(layer, area, **kw)  # type: ignore[method-assign]
    captured: dict = {}
    values = dict(DEFAULTS)
    first = actions.estimate_request(doc, values.get, captured)
    assert (first.image.width, first.image.height, first.preset, first.overrides) == (10, 8, "fast", None)
    values.update(preset="paper", iterations=500, **{"max-size": 200})
    second = actions.estimate_request(doc, values.get, captured)
    assert second.image is first.image and second.preset == "paper"
    assert second.overrides == {
        "train.iterations": "500",
        "train.lr_decay_iteration": "400",
        "pyramid.max_size": "200",
    }
    values["whole-layer"] = True
    whole = actions.estimate_request(doc, values.get, captured)
    assert (whole.image.width, whole.image.height) == (40, 30) and len(reads) == 2
    values["max-size"] = 10
    with pytest.raises(ActionError, match="too small"):
        actions.estimate_request(doc, values.get, captured)
    client = EstimatingClient()
    assert actions.training_estimate(client, whole) == "about 3 min on this server (measured)"
    assert client.calls[-1][2] == {"preset": "paper", "overrides": whole.overrides}
