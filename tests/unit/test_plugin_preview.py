"""The dialogs' preview (host_plugin.common.preview): shrinking, the request a dialog's values make, the
call sent, and the debounce / cancel / stale-answer rules of PreviewLoop (fake clock, fake worker)."""

from __future__ import annotations

import struct

import pytest
from test_plugin_common_flows import STYLE, FakeClient, document

from host_plugin.client import Cancelled, CancelToken, RawImage
from host_plugin.client.errors import error_for
from host_plugin.common.dialogs import GenerateChoices, InjectChoices
from host_plugin.common.geometry import Rect
from host_plugin.common.models import ActionError, ModelRef
from host_plugin.common.preview import (
    Previewer,
    PreviewLoop,
    preview_request,
    sample_request,
    shrink,
)
from singan_api import singan_pb2 as pb

MODEL = ModelRef("m", region=Rect(10, 5, 20, 10))


class ModelClient(FakeClient):
    def get_model(self, model_id, **kw):
        self.calls.append(("get_model", (model_id,), kw))
        return pb.ModelInfo(model_id=model_id, num_scales=8, width=16, height=12)


# -- shrink ------------------------------------------------------------------------------------------
def test_shrink_keeps_small_images_and_moves_them_to_the_origin() -> None:
    image = RawImage(8, 6, 3, bytes(8 * 6 * 3), offset_x=5, offset_y=7)
    small = shrink(image, 16)
    assert (small.width, small.height, small.offset_x, small.offset_y) == (8, 6, 0, 0)
    assert small.pixels == image.pixels


def test_shrink_averages_and_keeps_the_aspect_and_mask() -> None:
    # 40x20 RGBA: left half red, right half blue, alternate columns dark (plain sampling would alias)
    rows = []
    for _y in range(20):
        for x in range(40):
            v = 200 if x % 2 else 100
            rows.append(bytes([v, 0, 0, 255]) if x < 20 else bytes([0, 0, v, 255]))
    mask = bytes(255 if x >= 30 else 0 for _y in range(20) for x in range(40))
    small = shrink(RawImage(40, 20, 4, b"".join(rows), mask=mask, offset_x=3), 10)
    assert (small.width, small.height, small.channels, small.offset_x) == (10, 5, 4, 0)
    first, last = small.pixels[:4], small.pixels[36:40]
    assert first == bytes([150, 0, 0, 255]) and last == bytes([0, 0, 150, 255])  # the columns' mean
    assert small.mask is not None and set(small.mask) == {0, 255}
    assert small.mask[:10] == bytes([0] * 7 + [255] * 3)  # the masked right quarter


def test_shrink_reads_16_bit_little_endian_samples() -> None:
    pixels = b"".join(struct.pack("<H", 1000 if x % 2 else 3000) for _y in range(4) for x in range(8))
    small = shrink(RawImage(8, 4, 1, pixels, bit_depth=16), 4)
    assert (small.width, small.height, small.bit_depth) == (4, 2, 16)
    assert struct.unpack("<8H", small.pixels) == (2000,) * 8


# -- the request and the call -----------------------------------------------------------------------
def _plan(kind: str = "harmonize"):
    doc = document()
    doc.select(Rect(12, 6, 4, 4))
    return InjectChoices().plan(doc, STYLE, kind, MODEL)


def test_the_dialogs_values_become_the_preview_request() -> None:
    plan = _plan()
    request = preview_request(plan, InjectChoices("keep-layout", 42, 0.5, fine_tune=True))
    assert (request.kind, request.model_id, request.seed, request.variation) == ("harmonize", "m", 42, 0.5)
    assert request.change_level == 1.0 and request.image is plan.image  # the pixels captured once
    assert preview_request(plan, InjectChoices()).variation is None  # as trained: left unset
    with pytest.raises(ActionError, match="seed"):
        preview_request(plan, InjectChoices(seed=-1))
    with pytest.raises(ActionError, match="unknown change"):
        preview_request(plan, InjectChoices(change="lots"))


@pytest.mark.parametrize(("change", "scale"), [("keep-layout", 7), ("change-more", 1), ("default", 0)])
def test_the_preview_calls_the_action_at_the_models_size(change: str, scale: int) -> None:
    client = ModelClient()
    plan = _plan()  # 64x48 document, selection with context: larger than the model's 16x12
    request = preview_request(plan, InjectChoices(change, 3, 1.5))
    token = CancelToken()
    preview = Previewer(client).render(request, token)
    name, (model_id, image), kw = client.calls[-1]
    assert model_id == "m" and max(image.width, image.height) == 16  # the model's longer side
    assert image.width / image.height == pytest.approx(plan.image.width / plan.image.height, rel=0.15)
    assert (kw["injection_scale"], kw["seed"], kw["variation"], kw["cancel"]) == (scale, 3, 1.5, token)
    assert "region_only" not in kw and "fine_tune" not in kw  # the whole composite, never a tuning job
    assert preview.image.size == image.size and preview.seconds >= 0
    assert "model's size" in preview.caption


def test_the_preview_asks_the_model_once_and_shrinks_once() -> None:
    client, plan = ModelClient(), _plan("edit")
    previewer = Previewer(client)
    for seed in (1, 2, 3):
        previewer.render(preview_request(plan, InjectChoices(seed=seed)), CancelToken())
    assert [c[0] for c in client.calls].count("get_model") == 1
    sent = [c[1][1] for c in client.calls if c[0] != "get_model"]
    assert len(sent) == 3 and sent[0] is sent[1] is sent[2]


def test_paint_to_image_previews_send_quantize() -> None:
    client, plan = ModelClient(), _plan("paint_to_image")
    plan.quantize = True
    Previewer(client).render(preview_request(plan, InjectChoices()), CancelToken())
    assert client.calls[-1][2]["quantize"] is True


def test_generates_preview_is_variation_1_at_the_models_size() -> None:
    client, token = ModelClient(), CancelToken()
    request = sample_request(MODEL, GenerateChoices(n=4, seed=7, size="document", variation=0.5))
    preview = Previewer(client).render(request, token)
    name, (model_id,), kw = client.calls[-1]
    assert (name, model_id) == ("generate", "m")
    assert kw == {"n": 1, "seed": 7, "cancel": token, "variation": 0.5}  # no size: the model's own
    assert preview.caption.startswith("variation 1 at the model's size (8x6, ")
    Previewer(client).render(sample_request(MODEL, GenerateChoices(seed=1)), token)
    assert "variation" not in client.calls[-1][2]  # as trained: left unset
    with pytest.raises(ActionError, match="variation"):
        sample_request(MODEL, GenerateChoices(variation=3.0))


# -- the loop: debounce, cancel, stale answers ------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A PreviewLoop whose worker runs only when told (``finish``) and whose ``post`` is direct."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.clock, self.rendered, self.shown, self.busy = Clock(), [], [], 0
        self.tokens: list[CancelToken] = []
        self.workers: list = []
        self.fail = fail

        def render(request, token):
            self.tokens.append(token)
            if token.cancelled:
                raise Cancelled("cancelled")
            if self.fail is not None:
                raise self.fail
            self.rendered.append(request)
            return f"image {request}"

        self.loop = PreviewLoop(
            render,
            lambda result, error: self.shown.append((result, error)),
            lambda fn: fn(),
            busy=self._busy,
            start=self.workers.append,
            delay=0.4,
            clock=self.clock,
        )

    def _busy(self) -> None:
        self.busy += 1

    def tick(self, seconds: float) -> None:
        self.clock.now += seconds
        self.loop.poll()

    def finish(self, index: int = -1) -> None:
        self.workers.pop(index)()


def test_changes_are_debounced_and_only_the_newest_is_rendered() -> None:
    h = Harness()
    h.loop.request("seed 1")
    h.tick(0.2)
    h.loop.request("seed 2")
    h.tick(0.3)  # 0.3 s after the last change: not yet
    assert h.workers == [] and h.loop.started == 0
    h.tick(0.15)
    assert len(h.workers) == 1 and h.busy == 1
    h.tick(1.0)  # nothing new: no second render
    assert len(h.workers) == 1
    h.finish()
    assert h.rendered == ["seed 2"] and h.shown == [("image seed 2", "")]


def test_a_newer_change_cancels_the_render_in_flight_and_its_answer_is_dropped() -> None:
    h = Harness()
    h.loop.request("a")
    h.tick(0.5)
    old = h.workers.pop()
    h.loop.request("b")  # while "a" is being computed
    h.tick(0.5)
    old()  # "a"'s worker sees its token cancelled (a real call raises Cancelled): nothing shown
    h.finish()
    assert h.tokens[0].cancelled and not h.tokens[1].cancelled
    assert h.shown == [("image b", "")]


def test_a_late_answer_of_an_older_render_is_not_shown() -> None:
    h = Harness()
    h.loop.request("a")
    h.tick(0.5)
    first = h.workers.pop()
    h.loop.request("b")
    h.tick(0.5)
    h.loop.render = lambda request, token: f"image {request}"  # answers although cancelled (too late)
    first()
    assert h.shown == []  # stale: a newer render started
    h.finish()
    assert h.shown == [("image b", "")]


def test_close_cancels_and_drops_everything() -> None:
    h = Harness()
    h.loop.request("a")
    h.tick(0.5)
    h.loop.request("b")
    h.loop.close()
    assert h.tokens == [] and h.loop.poll() is False
    h.finish()
    assert h.tokens[0].cancelled and h.shown == []
    h.loop.request("c")
    h.tick(1.0)
    assert h.workers == []


def test_errors_are_one_line_in_place_of_the_image() -> None:
    h = Harness(fail=error_for("NOT_FOUND", "model m not found\nmore"))
    h.loop.request("a")
    h.tick(0.5)
    h.finish()
    assert h.shown == [(None, "no preview: NOT_FOUND: model m not found")]
