"""The instant actions (host_plugin.common.instant_flows) on the shared mock document with a fake client
that answers as the server does (sizes, offsets, region answers): what is captured and sent, where the
results go, and that nothing outside the selection or under the new layers changes."""

from __future__ import annotations

import pytest

from host_plugin.client import RawImage
from host_plugin.common import instant_flows as instant
from host_plugin.common.geometry import Rect, RegionError
from host_plugin.common.mock_document import MockDocument
from host_plugin.common.models import ActionError
from host_plugin.common.runner import Outcome, Plan, TaskRunner

W, H = 64, 48
RED = bytes([200, 10, 10, 255])


class FakeClient:
    """Answers like singan-server's instant RPCs (pixels are a flat colour; geometry is what matters)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, RawImage, dict]] = []

    def instant_variations(self, image, **kw):
        self.calls.append(("variations", image, kw))
        w, h = kw["size"]
        return [
            RawImage(w, h, 4, RED * (w * h), offset_x=image.offset_x, offset_y=image.offset_y)
            for _ in range(kw["n"])
        ]

    def instant_fill(self, image, **kw):
        self.calls.append(("fill", image, kw))
        assert kw["region_only"]
        inside = [i for i, v in enumerate(image.mask) if v >= 128]
        rows = [i // image.width for i in inside]
        cols = [i % image.width for i in inside]
        x0, y0, x1, y1 = min(cols), min(rows), max(cols) + 1, max(rows) + 1
        px = bytearray()
        for y in range(y0, y1):
            for x in range(x0, x1):
                px += RED if image.mask[y * image.width + x] >= 128 else bytes(4)
        return RawImage(
            x1 - x0, y1 - y0, 4, bytes(px), offset_x=image.offset_x + x0, offset_y=image.offset_y + y0
        )

    def extend_canvas(self, image, **kw):
        self.calls.append(("extend", image, kw))
        w = image.width + kw["left"] + kw["right"]
        h = image.height + kw["top"] + kw["bottom"]
        return RawImage(
            w, h, 4, RED * (w * h), offset_x=image.offset_x - kw["left"], offset_y=image.offset_y - kw["top"]
        )


def document() -> MockDocument:
    doc = MockDocument(doc_name="art", width=W, height=H)
    doc.paint("Base", Rect(0, 0, W, H), bytes(range(256)) * (W * H * 4 // 256))
    return doc


def run(plan: Plan, doc: MockDocument, client: FakeClient) -> Outcome:
    return TaskRunner(post=lambda fn: fn()).run_blocking(plan, doc, client)


def snapshot(doc: MockDocument) -> list[tuple[str, Rect, bytes]]:
    return [(layer.name, layer.rect, layer.pixels) for layer in doc.layers]


def test_engines_are_named_for_the_artist() -> None:
    assert instant.ENGINES == {"instant": "Instant, no training", "model": "SinGAN model"}


def test_variations_over_the_selection_as_one_group() -> None:
    doc, client = document(), FakeClient()
    doc.select(Rect(8, 4, 20, 16))
    before = snapshot(doc)
    outcome = run(instant.plan_instant_variations(doc, n=3, seed=7), doc, client)
    name, sent, kw = client.calls[0]
    assert (sent.width, sent.height, sent.offset_x, sent.offset_y) == (20, 16, 8, 4)
    assert kw["size"] == (20, 16) and kw["n"] == 3 and kw["seed"] == 7
    assert outcome.names == ["Instant variation 7", "Instant variation 8", "Instant variation 9"]
    assert all(p.rect == Rect(8, 4, 20, 16) for p in outcome.layers)
    assert snapshot(doc)[: len(before)] == before  # nothing existing changed
    group = doc.layers[len(before)]
    assert group.kind == "grouplayer" and group.name == "Instant variations (Base)"


def test_variations_at_document_size_cover_the_canvas_and_other_sizes_open_a_document() -> None:
    doc, client = document(), FakeClient()
    doc.select(Rect(8, 4, 20, 16))
    outcome = run(instant.plan_instant_variations(doc, size="document"), doc, client)
    assert client.calls[0][2]["size"] == (W, H) and outcome.layers[0].rect == Rect(0, 0, W, H)
    outcome = run(instant.plan_instant_variations(doc, n=2, size=(100, 30)), doc, client)
    assert all(p.new_document for p in outcome.layers) and doc.opened[0].bounds == Rect(0, 0, 100, 30)


@pytest.mark.parametrize("bad", [0, instant.MAX_VARIATIONS + 1])
def test_variation_count_is_checked(bad) -> None:
    with pytest.raises(ActionError, match="number of variations"):
        instant.plan_instant_variations(document(), n=bad)


def test_bad_size_is_an_action_error() -> None:
    with pytest.raises(ActionError, match="size must be"):
        instant.plan_instant_variations(document(), size=(0, 10))


def test_fill_sends_the_selection_with_its_surroundings_and_changes_nothing_outside() -> None:
    doc, client = document(), FakeClient()
    mask = bytearray(b"\xff" * (10 * 8))
    mask[0] = 0  # a non-rectangular selection: its corner stays untouched
    doc.select(Rect(30, 20, 10, 8), bytes(mask))
    before = snapshot(doc)
    outcome = run(instant.plan_fill(doc, seed=3), doc, client)
    _, sent, kw = client.calls[0]
    assert (sent.offset_x, sent.offset_y, sent.width, sent.height) == (0, 0, W, H)  # grown by 32, clipped
    assert kw["seed"] == 3 and kw["source"] is None
    assert outcome.names == ["Filled"] and outcome.layers[0].rect == Rect(30, 20, 10, 8)
    assert snapshot(doc)[: len(before)] == before
    filled = doc.layers[-1].pixels  # RGBA over the selection's box: transparent where not selected
    for i in range(10 * 8):
        assert filled[4 * i : 4 * i + 4] == (bytes(4) if i == 0 else RED), i


def test_fill_from_a_source_layer_and_without_a_selection() -> None:
    doc, client = document(), FakeClient()
    doc.paint("Source", Rect(0, 0, 16, 16), bytes([5, 6, 7, 255]) * 256, active=False)
    with pytest.raises(RegionError, match="needs a selection"):
        instant.plan_fill(doc)
    doc.select(Rect(40, 30, 6, 6))
    run(instant.plan_fill(doc, source_layer="Source"), doc, client)
    source = client.calls[0][2]["source"]
    assert (source.width, source.height) == (16, 16)


def test_extend_grows_the_canvas_and_keeps_every_layer() -> None:
    doc, client = document(), FakeClient()
    base = doc.layers[0].pixels
    outcome = run(instant.plan_extend(doc, left=10, top=0, right=6, bottom=4, seed=2), doc, client)
    assert client.calls[0][2] == {
        "left": 10,
        "top": 0,
        "right": 6,
        "bottom": 4,
        "seed": 2,
        "cancel": client.calls[0][2]["cancel"],
    }
    assert doc.bounds == Rect(0, 0, W + 16, H + 4)
    assert doc.layers[0].rect == Rect(10, 0, W, H) and doc.layers[0].pixels == base
    assert outcome.names == ["Extended"] and outcome.layers[0].rect == Rect(0, 0, W + 16, H + 4)


@pytest.mark.parametrize("borders", [(0, 0, 0, 0), (-1, 5, 0, 0), (0, 0, instant.MAX_BORDER + 1, 0)])
def test_bad_borders(borders) -> None:
    with pytest.raises(ActionError, match="borders"):
        instant.plan_extend(document(), *borders)


@pytest.mark.parametrize(
    "text,borders", [("0, 0, 256, 0", (0, 0, 256, 0)), ("32", (32, 32, 32, 32)), ("1 2 3 4", (1, 2, 3, 4))]
)
def test_parse_borders(text, borders) -> None:
    assert instant.parse_borders(text) == borders


@pytest.mark.parametrize("text", ["", "1, 2", "a, b, c, d", "1.5"])
def test_parse_borders_refuses(text) -> None:
    with pytest.raises(ActionError, match="borders|one number or four"):
        instant.parse_borders(text)


def test_parse_size() -> None:
    assert instant.parse_size("1600x600") == (1600, 600) and instant.parse_size(" 20 X 30 ") == (20, 30)
    for bad in ("", "0x5", "12", "axb", "1x2x3"):
        with pytest.raises(ActionError, match="WIDTHxHEIGHT"):
            instant.parse_size(bad)
