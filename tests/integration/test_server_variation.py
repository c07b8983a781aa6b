"""The variation strength travels from the plugins' common plans through the client and a real server to
the sampler (issue 22): at 0 every sample is the reconstruction (the seed and the sample index no longer
matter), at 1 they differ, and a bad value is INVALID_ARGUMENT with the range in one line."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tiny_server import H, W, tiny_trained_server

from host_plugin.client import InvalidArgument, RawImage
from host_plugin.common import flows
from host_plugin.common.geometry import Rect
from host_plugin.common.mock_document import MockDocument
from host_plugin.common.models import ModelRef
from host_plugin.common.runner import TaskRunner


class Style:
    def samples(self, model, seed, images):
        return None, [f"v{i}" for i in range(len(images))]

    def injected(self, kind, result, source):
        return kind

    def frames(self, count, frame_ms):
        return [f"f{i}" for i in range(count)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):
    """The tiny server, with a model of the tiny preset's full 30 iterations on a smooth image (the
    fixture's own 4-iteration model draws one flat colour, whatever the noise)."""
    with tiny_trained_server(tmp_path_factory, seed=5) as (client, _, _noise):
        y, x = np.mgrid[0:H, 0:W]
        arr = np.stack([x * 255 // W, y * 255 // H, (x * y) % 256], axis=2).astype(np.uint8)
        done = client.train(RawImage(W, H, 3, arr.tobytes()), preset="tiny")
        assert done.state == "SUCCEEDED", done.error
        yield client, done.model_id, arr


def run(client, plan, doc: MockDocument) -> list[bytes]:
    """The plan through the real client; the pixels of the layers it placed."""
    outcome = TaskRunner(post=lambda fn: fn()).run_blocking(plan, doc, client)
    return [p.document.layer(p.layer_id).pixels for p in outcome.layers]


def document(arr: np.ndarray) -> MockDocument:
    doc = MockDocument(doc_name="art")
    rgba = np.concatenate([arr, np.full((H, W, 1), 255, np.uint8)], axis=2)
    doc.paint("Base", Rect(0, 0, W, H), rgba.tobytes())
    return doc


@pytest.mark.parametrize("start_scale", [0, 1])
def test_generate_plan_at_variation_0_gives_the_reconstruction_every_time(setup, start_scale: int) -> None:
    client, model_id, arr = setup
    doc, model = document(arr), ModelRef(model_id)
    still = run(
        client, flows.plan_generate(doc, Style(), model, 3, seed=1, start_scale=start_scale, variation=0), doc
    )
    other_seed = run(
        client, flows.plan_generate(doc, Style(), model, 1, seed=7, start_scale=start_scale, variation=0), doc
    )
    assert still[0] == still[1] == still[2] == other_seed[0]
    varied = run(client, flows.plan_generate(doc, Style(), model, 3, seed=1, start_scale=start_scale), doc)
    assert len(set(varied)) == 3
    wild = run(
        client, flows.plan_generate(doc, Style(), model, 3, seed=1, start_scale=start_scale, variation=2), doc
    )
    assert wild != varied  # same seed, stronger noise


def test_animate_and_edit_plans_carry_the_variation(setup) -> None:
    client, model_id, arr = setup
    doc, model = document(arr), ModelRef(model_id)
    frames = run(client, flows.plan_animate(doc, Style(), model, frames=3, seed=2, variation=0), doc)
    assert len(frames) == 3 and len(set(frames)) == 1
    assert len(set(run(client, flows.plan_animate(doc, Style(), model, frames=3, seed=2), doc))) == 3

    def edited(seed: int, variation: float) -> bytes:
        doc = document(arr)  # a fresh one: the document, with each result on top, is the next input
        doc.select(Rect(8, 6, 12, 10))
        plan = flows.plan_inject(
            doc, Style(), "edit", model, seed=seed, injection_scale=1, variation=variation
        )
        return run(client, plan, doc)[0]

    assert edited(1, 0) == edited(2, 0)  # variation 0: no noise, so the seed does not matter
    assert edited(1, 1) != edited(2, 1)


@pytest.mark.parametrize("bad", [-0.5, 6.0, math.nan, math.inf])
def test_a_bad_variation_is_invalid_argument(setup, bad: float) -> None:
    client, model_id, arr = setup
    with pytest.raises(
        InvalidArgument, match=r"variation .* is out of range: use 0 \(the reconstruction\) to 5"
    ):
        client.generate(model_id, n=1, variation=bad)
    image = RawImage(W, H, 3, arr.tobytes(), mask=np.full((H, W), 255, np.uint8).tobytes())
    with pytest.raises(InvalidArgument, match="variation"):
        client.harmonize(model_id, image, variation=bad)
    with pytest.raises(InvalidArgument, match="variation"):
        client.animate(model_id, frames=2, variation=bad)
