"""The instant actions' dialog values (host_plugin.common.instant_choices, what Krita's three dialogs lay
out): seed, the variations' number and size, the fill's source, the borders, and the requests they make
through the shared instant flows on the mock document with the fake server client."""

from __future__ import annotations

import pytest
from test_plugin_instant_flows import FakeClient, H, W, document, run

from host_plugin.common.dialogs import MAX_SEED
from host_plugin.common.geometry import Rect
from host_plugin.common.instant_choices import (
    AROUND,
    AROUND_LABEL,
    VARIATION_SIZES,
    ExtendChoices,
    FillChoices,
    VariationsChoices,
    fill_sources,
)
from host_plugin.common.models import ActionError


def test_sizes_and_sources_are_worded_for_the_artist() -> None:
    assert [key for key, _ in VARIATION_SIZES] == ["source", "document", "custom"]
    assert fill_sources(["Photo", "Texture"]) == [
        (AROUND, AROUND_LABEL),
        ("Photo", "Layer: Photo"),
        ("Texture", "Layer: Texture"),
    ]
    assert AROUND_LABEL == "The rest of the image (around the selection)"


@pytest.mark.parametrize(
    ("choices", "size", "at_selection"),
    [
        (VariationsChoices(n=2, seed=5), (20, 16), True),
        (VariationsChoices(size="document", seed=5), (W, H), False),
        (VariationsChoices(size="custom", width=90, height=30, seed=5), (90, 30), False),
    ],
)
def test_variations_send_the_seed_count_and_size(choices, size, at_selection) -> None:
    doc, client = document(), FakeClient()
    doc.select(Rect(8, 4, 20, 16))
    outcome = run(choices.plan(doc), doc, client)
    kw = client.calls[0][2]
    assert (kw["seed"], kw["n"], kw["size"]) == (5, choices.n, size)
    assert outcome.names[0] == "Instant variation 5"
    assert (outcome.layers[0].rect == Rect(8, 4, 20, 16)) is at_selection


def test_fill_from_the_image_or_from_another_layer() -> None:
    doc, client = document(), FakeClient()
    doc.paint("Texture", Rect(0, 0, 16, 12), bytes([5, 6, 7, 255]) * (16 * 12), active=False)
    doc.select(Rect(40, 30, 6, 6))
    run(FillChoices(seed=9).plan(doc), doc, client)
    run(FillChoices(seed=2, source="Texture").plan(doc), doc, client)
    (_, _, around), (_, _, layer) = client.calls
    assert around["seed"] == 9 and around["source"] is None
    assert layer["seed"] == 2 and (layer["source"].width, layer["source"].height) == (16, 12)


def test_extend_sends_the_borders_and_the_seed() -> None:
    doc, client = document(), FakeClient()
    run(ExtendChoices(left=4, top=0, right=0, bottom=6, seed=11).plan(doc), doc, client)
    kw = client.calls[0][2]
    assert (kw["left"], kw["top"], kw["right"], kw["bottom"], kw["seed"]) == (4, 0, 0, 6, 11)
    assert doc.bounds == Rect(0, 0, W + 4, H + 6)
    assert ExtendChoices().borders == (0, 0, 256, 0)  # what the dialog starts with


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda doc: VariationsChoices(seed=-1).plan(doc), "seed must be"),
        (lambda doc: VariationsChoices(seed=MAX_SEED + 1).plan(doc), "seed must be"),
        (lambda doc: VariationsChoices(size="huge").plan(doc), "unknown size 'huge'"),
        (lambda doc: VariationsChoices(size="custom").plan(doc), "width and height"),
        (lambda doc: VariationsChoices(n=0).plan(doc), "number of variations"),
        (lambda doc: FillChoices(source="Nope").plan(doc), "no layer named 'Nope'"),
        (lambda doc: ExtendChoices(right=0).plan(doc), "borders"),
        (lambda doc: ExtendChoices(seed=-3).plan(doc), "seed must be"),
    ],
)
def test_bad_values_are_action_errors_before_any_request(make, message) -> None:
    doc = document()
    doc.select(Rect(8, 4, 20, 16))
    with pytest.raises(ActionError, match=message):
        make(doc)
