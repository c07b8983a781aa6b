"""The shared flows (host_plugin.common.flows) and how they run (runner), on the shared mock document
with a small style and a recording fake client; the hosts' own names and the real hosts are covered by
test_krita_actions.py, test_gimp_actions.py and tests/hosts/."""

from __future__ import annotations

import threading
import time

import pytest

from host_plugin.client import Cancelled, ConnectionSettings, JobUpdate, RawImage
from host_plugin.common import flows
from host_plugin.common.geometry import Rect, RegionError, with_context
from host_plugin.common.mock_document import MockDocument
from host_plugin.common.models import ActionError, ModelRef
from host_plugin.common.runner import Outcome, Plan, Task, TaskRunner, describe_error, run_waiting
from singan_api import singan_pb2 as pb


class Style:
    upscale_in_place = True

    def samples(self, model, seed, images):
        return None, [f"sample {i}" for i in range(len(images))]

    def injected(self, kind, result, source):
        return kind

    def upscaled(self, doc, layer, factor):
        return f"x{factor} of {layer}"

    def frames(self, count, frame_ms):
        return [f"frame {i} {frame_ms}" for i in range(count)]


STYLE = Style()


class FakeClient:
    settings = ConnectionSettings(address="gpu-box:1")

    def __init__(self, final_state: str = "SUCCEEDED") -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.final_state = final_state
        self.cancelled: list[str] = []

    def _image(self, w: int, h: int) -> RawImage:
        return RawImage(w, h, 3, bytes([10, 20, 30]) * (w * h))

    def train(self, image, **kw):
        self.calls.append(("train", (image,), kw))
        kw["on_update"](JobUpdate("job1", "model1", "RUNNING", num_scales=3))
        return JobUpdate("job1", "model1", self.final_state, error="out of memory")

    def cancel_job(self, job_id):
        self.cancelled.append(job_id)

    def generate(self, model_id, **kw):
        self.calls.append(("generate", (model_id,), kw))
        return [self._image(8, 6) for _ in range(kw["n"])]

    def paint_to_image(self, model_id, image, **kw):
        self.calls.append(("paint_to_image", (model_id, image), kw))
        return self._image(image.width, image.height)

    edit = harmonize = paint_to_image

    def super_resolve(self, model_id, image, **kw):
        self.calls.append(("super_resolve", (model_id, image), kw))
        return self._image(image.width * kw["factor"], image.height * kw["factor"])

    def animate(self, model_id, **kw):
        self.calls.append(("animate", (model_id,), kw))
        return [self._image(8, 6) for _ in range(kw["frames"])]


def document() -> MockDocument:
    doc = MockDocument(doc_name="art")
    doc.paint("Base", Rect(0, 0, 64, 48), bytes([1, 2, 3, 255]) * (64 * 48))
    doc.paint("Paint", Rect(10, 5, 20, 10), bytes([9, 9, 9, 255]) * (20 * 10))
    return doc


def run(plan: Plan, doc: MockDocument, client: FakeClient) -> Outcome:
    return TaskRunner(post=lambda fn: fn()).run_blocking(plan, doc, client)


def test_train_records_where_the_model_came_from() -> None:
    doc, client = document(), FakeClient()
    outcome = run(flows.plan_train(doc, "fast", layer="Paint"), doc, client)
    (ref,) = doc.models().records
    assert ref == ModelRef("model1", "art / Paint", "fast", "Paint", Rect(10, 5, 20, 10), "job1", "gpu-box:1")
    assert outcome.model_id == "model1" and doc.models().active == ref


@pytest.mark.parametrize(("state", "error"), [("FAILED", ActionError), ("CANCELLED", Cancelled)])
def test_a_training_that_does_not_succeed_records_nothing(state: str, error: type) -> None:
    doc = document()
    with pytest.raises(error, match="out of memory" if state == "FAILED" else "cancelled"):
        run(flows.plan_train(doc, "fast"), doc, FakeClient(state))
    assert doc.models().records == ()


def test_results_land_at_the_model_region_else_at_the_selection_or_layer() -> None:
    doc, client = document(), FakeClient()
    trained = ModelRef("m", region=Rect(10, 5, 20, 10))
    placed = run(flows.plan_generate(doc, STYLE, trained, 2), doc, client).layers
    assert [(p.name, p.rect) for p in placed] == [
        ("sample 0", Rect(10, 5, 8, 6)),
        ("sample 1", Rect(10, 5, 8, 6)),
    ]
    again = run(flows.plan_generate(doc, STYLE, trained, 1), doc, client).layers
    assert again[0].name == "sample 0 2"  # the mock, like Krita, keeps layer names apart
    doc.select(Rect(30, 20, 5, 5))
    elsewhere = run(flows.plan_generate(doc, STYLE, ModelRef("other"), 1), doc, client).layers
    assert elsewhere[0].rect.x == 30 and elsewhere[0].rect.y == 20
    empty = MockDocument()
    assert run(flows.plan_generate(empty, STYLE, ModelRef("other"), 1), empty, client).layers[0].rect.x == 0


def test_paint_to_image_reads_the_painted_layer_over_the_model_region() -> None:
    doc, client = document(), FakeClient()
    model = ModelRef("m", region=Rect(10, 5, 20, 10))
    outcome = run(
        flows.plan_inject(doc, STYLE, "paint_to_image", model, quantize=True, layer="Paint"), doc, client
    )
    _, (_, image), kw = client.calls[-1]
    assert image.pixels[:4] == bytes([9, 9, 9, 255]) and (image.offset_x, image.offset_y) == (10, 5)
    assert kw["quantize"] is True and outcome.layers[0].rect == Rect(10, 5, 20, 10)


def test_edit_sends_the_visible_image_with_the_selection_and_checks_it() -> None:
    doc, client = document(), FakeClient()
    with pytest.raises(RegionError, match="select the edited region"):
        flows.plan_inject(doc, STYLE, "edit", ModelRef("m"))
    doc.select(Rect(0, 0, 64, 48))
    with pytest.raises(RegionError, match="smaller than the layer"):
        flows.plan_inject(doc, STYLE, "edit", ModelRef("m"))
    doc.select(Rect(12, 6, 2, 2))
    run(flows.plan_inject(doc, STYLE, "edit", ModelRef("m", region=Rect(10, 5, 20, 10))), doc, client)
    _, (_, image), kw = client.calls[-1]
    # the selection plus 32 px of context (not the model's region, not the whole layer), on the canvas
    assert (image.width, image.height) == (46, 40) and image.mask.count(255) == 4
    assert kw["region_only"] is True
    assert "quantize" not in kw
    with pytest.raises(ActionError, match="unknown injection"):
        flows.plan_inject(doc, STYLE, "sharpen", ModelRef("m"))


def test_a_changed_region_lands_at_its_own_offset_with_the_model_scale() -> None:
    doc, client = document(), FakeClient()

    def harmonize(model_id, image, **kw):  # the server's region_only answer: a smaller RGBA at (30, 20)
        client.calls.append(("harmonize", (model_id, image), kw))
        return RawImage(6, 5, 4, bytes([1, 2, 3, 0]) * 30, offset_x=30, offset_y=20)

    client.harmonize = harmonize
    client.get_model = lambda model_id: type("Info", (), {"width": 16, "height": 12})()
    doc.select(Rect(31, 21, 4, 3))
    outcome = run(flows.plan_inject(doc, STYLE, "harmonize", ModelRef("m")), doc, client)
    sent = client.calls[-1][1][1]
    assert Rect(sent.offset_x, sent.offset_y, sent.width, sent.height) == Rect(0, 0, 64, 48)
    assert outcome.layers[0].rect == Rect(30, 20, 6, 5)
    assert outcome.message.endswith("(model: 1 px = 4 document px)")  # 64x48 seen at 16x12


def test_variations_cover_the_trained_region_at_its_document_size() -> None:
    doc, client = document(), FakeClient()
    run(flows.plan_generate(doc, STYLE, ModelRef("m", region=Rect(10, 5, 20, 10)), 1), doc, client)
    assert client.calls[-1][2]["size"] == (20, 10) and client.calls[-1][2]["at_document_size"] is True
    run(
        flows.plan_generate(doc, STYLE, ModelRef("m", region=Rect(10, 5, 20, 10)), 1, scale=(2.0, 1.0)),
        doc,
        client,
    )
    assert "at_document_size" not in client.calls[-1][2] and client.calls[-1][2]["size"] is None
    run(flows.plan_generate(doc, STYLE, ModelRef("elsewhere"), 1), doc, client)
    assert "at_document_size" not in client.calls[-1][2]


def test_variations_at_document_size_send_the_trained_region_as_exemplar() -> None:
    doc, client = document(), FakeClient()
    trained = ModelRef("m", layer_name="Base", region=Rect(10, 5, 20, 10))
    run(flows.plan_generate(doc, STYLE, trained, 1), doc, client)
    ex = client.calls[-1][2]["exemplar"]  # the trained layer's pixels over the region, at its resolution
    assert (ex.width, ex.height, ex.offset_x, ex.offset_y) == (20, 10, 10, 5)
    assert ex.pixels == doc.read_layer(doc.find_layer("Base"), Rect(10, 5, 20, 10)).pixels
    # no exemplar (the server's ladder, as before): the layer is gone, or the model size is asked for
    for ref, kw in [
        (ModelRef("m", layer_name="Gone", region=Rect(10, 5, 20, 10)), {}),
        (trained, {"scale": (2.0, 1.0)}),
    ]:
        run(flows.plan_generate(doc, STYLE, ref, 1, **kw), doc, client)
        assert "exemplar" not in client.calls[-1][2]
    assert (
        flows.trained_region(doc, ModelRef("m", layer_name="Base"), Rect(0, 0, 4000, 2001)) is None
    )  # > 8 MP


def test_context_around_a_selection_stays_on_the_canvas() -> None:
    canvas = Rect(0, 0, 2400, 1600)
    assert with_context(Rect(1000, 600, 431, 391), canvas) == Rect(784, 384, 863, 823)
    assert with_context(Rect(0, 0, 10, 10), canvas) == Rect(0, 0, 42, 42)
    assert with_context(Rect(0, 0, 2400, 1600), canvas) == canvas


def test_super_resolve_trains_for_the_factor_when_there_is_no_model() -> None:
    doc, client = document(), FakeClient()
    doc.select(Rect(0, 0, 64, 48))  # beyond the active layer: super-resolution reads the visible image
    outcome = run(flows.plan_super_resolve(doc, STYLE, 2, seed=3, preset="tiny"), doc, client)
    assert [call[0] for call in client.calls] == ["train", "super_resolve"]
    assert client.calls[0][2]["super_resolution_factor"] == 2 and client.calls[0][2]["preset"] == "tiny"
    assert client.calls[1][1][0] == "model1" and outcome.layers[0].new_document  # 128x96 > the canvas


def test_animate_makes_a_new_document_of_frames() -> None:
    doc, client = document(), FakeClient()
    outcome = run(flows.plan_animate(doc, STYLE, ModelRef("m"), frames=3, frame_ms=40), doc, client)
    (new,) = doc.opened
    assert [layer.name for layer in new.layers] == ["frame 0 40", "frame 1 40", "frame 2 40"]
    assert outcome.names == ["frame 0 40", "frame 1 40", "frame 2 40"] and outcome.layers[0].document is new
    with pytest.raises(ActionError, match="2..1000"):
        flows.plan_animate(doc, STYLE, ModelRef("m"), frames=1)


def test_run_waiting_handles_updates_on_the_calling_thread() -> None:
    doc, client = document(), FakeClient()
    caller = threading.get_ident()
    threads: list[int] = []
    outcome = run_waiting(
        flows.plan_train(doc, "fast"),
        doc,
        client,
        lambda u: threads.append(threading.get_ident()),
        lambda _s: None,
    )
    assert outcome.model_id == "model1" and threads == [caller]


def test_cancelling_a_training_task_cancels_the_server_job() -> None:
    doc, client = document(), FakeClient("CANCELLED")
    task = Task("Train")

    class Ctx:
        def __init__(self) -> None:
            self.client, self.task, self.cancel, self.report = client, task, task.cancel_token, lambda u: None

    with pytest.raises(Cancelled):
        flows.plan_train(doc, "fast").run(Ctx())  # type: ignore[arg-type]
    task.cancel()
    for _ in range(100):
        if client.cancelled:
            break
        task.done.wait(0.01)
    assert client.cancelled == ["job1"]


def test_background_tasks_apply_results_through_the_ui_poster() -> None:
    posted: list = []
    runner = TaskRunner(post=posted.append)
    doc = document()

    class Seven(Plan):
        title = "demo"

        def run(self, ctx):
            return 7

        def apply(self, doc, result):
            return Outcome(message=str(result))

    events: list[tuple[Task, str]] = []
    runner.listeners.append(lambda task, event, payload: events.append((task, event)))
    task = runner.start(Seven(), doc, client=None)
    for _ in range(200):  # the worker hands the result to the "UI thread" (here: the posted list)
        if posted:
            break
        task.done.wait(0.01)
    assert not task.done.is_set() and events == []
    posted.pop()()
    assert task.wait(1).message == "7" and events == [(task, "done")]


def test_errors_read_as_one_line() -> None:
    assert describe_error(RegionError("select something")) == "select something"
    assert describe_error(KeyError()) == "KeyError"
    assert describe_error(Cancelled("cancelled")) == "cancelled: nothing was changed"
    training = "training cancelled; finished scales are kept and Train resumes from them"
    assert describe_error(Cancelled(training)) == training


def test_without_an_active_layer_image_reads_use_the_selection_or_the_canvas() -> None:
    doc, client = document(), FakeClient()
    doc.active_id = None  # Krita in batch mode after adding a group
    doc.select(Rect(4, 4, 8, 6))
    upscaled = run(flows.plan_super_resolve(doc, STYLE, 2, model=ModelRef("m")), doc, client).layers[0]
    assert (upscaled.name, upscaled.rect) == ("x2 of art", Rect(0, 1, 16, 12))  # centred on (8, 7)
    run(flows.plan_inject(doc, STYLE, "harmonize", ModelRef("m")), doc, client)
    _, (_, image), _ = client.calls[-1]
    assert (image.width, image.height) == (44, 42) and image.mask.count(255) == 48  # + 32 px context
    with pytest.raises(RegionError, match="no active layer"):
        flows.plan_train(doc, "fast")


def test_listeners_hear_a_background_task_start_with_what_it_does() -> None:
    doc, client = document(), FakeClient()
    runner = TaskRunner(post=lambda fn: fn())
    events: list[tuple[str, object]] = []
    runner.listeners.append(lambda task, event, payload: events.append((event, payload)))
    plan = flows.plan_generate(doc, STYLE, ModelRef("m"), n=2, seed=1)
    runner.start(plan, doc, client).wait(30)
    assert events[0] == ("started", plan.doing) and plan.doing
    assert events[-1][0] == "done"


def test_a_blocking_run_leaves_the_ui_listeners_alone() -> None:
    """Scripts block the UI thread; their progress comes on the client's I/O thread, where Krita's
    docker must not be touched (that crashed Krita)."""
    doc, client = document(), FakeClient()
    runner = TaskRunner(post=lambda fn: fn())
    heard: list[str] = []
    runner.listeners.append(lambda task, event, payload: heard.append(event))
    updates: list[object] = []
    runner.run_blocking(flows.plan_train(doc, "fast"), doc, client, updates.append)
    assert updates and heard == []


def test_cancelling_a_long_inference_call_leaves_the_document_unchanged() -> None:
    doc, client = document(), FakeClient()
    entered = threading.Event()

    def slow_harmonize(model_id, image, *, cancel, **kw):  # as the sync client: waits, honours the token
        entered.set()
        while not cancel.cancelled:
            time.sleep(0.01)
        raise Cancelled("harmonize cancelled")

    client.harmonize = slow_harmonize
    doc.select(Rect(12, 6, 8, 6))
    layers_before = [layer.name for layer in doc.layers]
    task = TaskRunner(post=lambda fn: fn()).start(
        flows.plan_inject(doc, STYLE, "harmonize", ModelRef("m")), doc, client
    )
    assert entered.wait(10)
    task.cancel()
    with pytest.raises(Cancelled):
        task.wait(10)
    assert [layer.name for layer in doc.layers] == layers_before


def test_a_trained_model_is_named_after_document_layer_working_size_and_preset() -> None:
    doc, client = document(), FakeClient()
    renamed: list[tuple[str, str]] = []
    info = pb.ModelInfo(model_id="model1", width=160, height=107)
    client.train = lambda image, **kw: JobUpdate("job1", "model1", "SUCCEEDED", model=info)
    client.rename_model = lambda model_id, name: renamed.append((model_id, name))
    run(flows.plan_train(doc, "fast", layer="Base"), doc, client)
    (record,) = doc.models().records
    assert record.name == "art / Base, 160x107, fast"  # the model's size, not the layer's 64x48
    assert renamed == [("model1", "art / Base, 160x107, fast")]
