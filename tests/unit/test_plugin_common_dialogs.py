"""The dialogs' values -> the requests the server gets (host_plugin.common.dialogs), on the mock document
with the recording fake client of test_plugin_common_flows."""

from __future__ import annotations

import pytest
from test_plugin_common_flows import STYLE, FakeClient, document, run

from host_plugin.client.errors import error_for
from host_plugin.client.estimate import TrainingEstimate
from host_plugin.common.dialogs import (
    CHANGE_KEYS,
    GenerateChoices,
    InjectChoices,
    estimate_line,
    estimate_or_reason,
    injection_scale_for,
    training_value_text,
)
from host_plugin.common.geometry import Rect
from host_plugin.common.models import ActionError, ModelRef
from singan_api import singan_pb2 as pb


class ModelClient(FakeClient):
    def get_model(self, model_id, **kw):
        self.calls.append(("get_model", (model_id,), kw))
        return pb.ModelInfo(model_id=model_id, num_scales=8, width=40, height=30)


MODEL = ModelRef("m", region=Rect(10, 5, 20, 10))


def test_change_words_map_onto_the_models_injection_scales() -> None:
    # 8 scales: injection 1 (coarsest usable, "change more") .. 7 (finest, "keep layout")
    assert [injection_scale_for(level, 8) for level in (0.0, 1 / 3, 2 / 3, 1.0)] == [1, 3, 5, 7]
    assert injection_scale_for(1.0, 3) == 2 and injection_scale_for(0.0, 3) == 1
    assert injection_scale_for(0.5, 2) == 1  # two scales: only one place to inject
    with pytest.raises(ActionError, match="one scale"):
        injection_scale_for(0.5, 1)


@pytest.mark.parametrize(
    ("change", "scale"),
    [("keep-layout", 7), ("keep-shapes", 5), ("balanced", 3), ("change-more", 1), ("default", 0)],
)
def test_the_harmonize_dialog_becomes_the_request(change: str, scale: int) -> None:
    doc, client = document(), ModelClient()
    doc.select(Rect(12, 6, 4, 4))
    plan = InjectChoices(change=change, seed=42, variation=0.5).plan(doc, STYLE, "harmonize", MODEL)
    run(plan, doc, client)
    _name, _args, kw = client.calls[-1]  # the fake's harmonize records as paint_to_image
    assert kw["region_only"] is True and (kw["injection_scale"], kw["seed"], kw["variation"]) == (
        scale,
        42,
        0.5,
    )
    asked = [c for c in client.calls if c[0] == "get_model"]
    assert asked  # the scale count comes from the server, on the worker thread


def test_defaults_send_no_variation_and_bad_values_are_one_line() -> None:
    doc, client = document(), ModelClient()
    plan = InjectChoices().plan(doc, STYLE, "paint_to_image", MODEL, layer="Paint")
    run(plan, doc, client)
    _name, _args, kw = client.calls[-1]
    assert "variation" not in kw and kw["injection_scale"] == 0 and kw["seed"] == 0
    doc.select(Rect(12, 6, 4, 4))
    with pytest.raises(ActionError, match="variation must be 0..2"):
        InjectChoices(variation=3.0).plan(doc, STYLE, "edit", MODEL)
    with pytest.raises(ActionError, match="seed must be"):
        InjectChoices(seed=-1).plan(doc, STYLE, "edit", MODEL)
    with pytest.raises(ActionError, match="unknown change 'more'"):
        InjectChoices(change="more").plan(doc, STYLE, "edit", MODEL)
    assert CHANGE_KEYS[0] == "default"


def test_the_generate_dialog_becomes_the_request() -> None:
    doc, client = document(), FakeClient()
    run(GenerateChoices(n=3, seed=7, size="document", variation=1.5).plan(doc, STYLE, MODEL), doc, client)
    _name, _args, kw = client.calls[-1]
    assert (kw["n"], kw["seed"], kw["variation"]) == (3, 7, 1.5)
    assert kw["at_document_size"] is True and kw["size"] == (20, 10)  # the model's region in the document
    run(GenerateChoices(n=2, seed=1, size="model").plan(doc, STYLE, MODEL), doc, client)
    _name, _args, kw = client.calls[-1]
    assert kw["size"] is None and "at_document_size" not in kw and "variation" not in kw  # model size
    with pytest.raises(ActionError, match="number of samples must be 1..64"):
        GenerateChoices(n=0).plan(doc, STYLE, MODEL)
    with pytest.raises(ActionError, match="unknown size 'huge'"):
        GenerateChoices(size="huge").plan(doc, STYLE, MODEL)


def _estimate(**kw) -> TrainingEstimate:
    base = dict(seconds=370.0, low=280.0, high=470.0, scale_sizes=((34, 25),), iterations=200,
                peak_memory_bytes=1 << 28, basis="measured on this server (3 trainings)", model_id="m",
                already_trained=False)  # fmt: skip
    return TrainingEstimate(**{**base, **kw})


def test_the_training_estimate_in_words() -> None:
    assert estimate_line(_estimate()) == "about 6 min on this server (measured)"
    first = _estimate(basis="a default for this device (cpu): no training has finished on this server yet")
    assert (
        estimate_line(first) == "5-8 min (a first guess for this device: nothing trained on this server yet)"
    )
    assert estimate_line(_estimate(already_trained=True)).startswith("already trained")

    def older():
        raise error_for("UNIMPLEMENTED", "Method not found!")

    assert estimate_or_reason(older) == "no estimate: this server is older"
    assert estimate_or_reason(lambda: _estimate()) == "about 6 min on this server (measured)"


def test_the_harmonize_dialogs_fine_tune_option_runs_the_fine_tune_job_first() -> None:
    from test_plugin_common_fine_tune import FakeClient as TuneClient

    class Client(TuneClient, ModelClient):
        def __init__(self) -> None:
            TuneClient.__init__(self)

    doc, client = document(), Client()
    doc.select(Rect(12, 6, 4, 4))
    plan = InjectChoices(change="keep-layout", seed=3, fine_tune=True).plan(doc, STYLE, "harmonize", MODEL)
    assert plan.fine_tune and plan.doing == "fine-tuning, then harmonizing"
    run(plan, doc, client)
    assert client.calls[0][0] == "get_model"  # the keep-layout scale for this model, asked first
    tune, harmonize = (c for c in client.calls if c[0] != "get_model")
    assert tune == ("fine_tune", "m", {"injection_scale": 7})  # tuned at the scale it harmonizes at
    assert harmonize[:2] == ("harmonize", "tuned1") and harmonize[2]["injection_scale"] == 7
    off = InjectChoices(change="keep-layout", seed=3).plan(doc, STYLE, "harmonize", MODEL)
    assert not off.fine_tune
    with pytest.raises(ActionError, match="only Harmonize can fine-tune"):
        InjectChoices(fine_tune=True).plan(doc, STYLE, "edit", MODEL)


def test_the_variation_range_is_one_constant_the_server_accepts() -> None:
    """Both editors' dialogs, GIMP's procedure argument and every plan use variation.py's one range; the
    server accepts all of it (its own limit, for the CLI and scripts, is wider)."""
    from host_plugin.common import dialogs, variation
    from host_plugin.gimp.procedures import BY_NAME
    from singan_core.tasks import sample

    assert (dialogs.VARIATION_MIN, dialogs.VARIATION_MAX, dialogs.VARIATION_DEFAULT) == (0.0, 2.0, 1.0)
    assert (
        dialogs.VARIATION_MAX is variation.MAX_VARIATION
        and dialogs.VARIATION_HELP is variation.VARIATION_HELP
    )
    assert dialogs.VARIATION_HELP.endswith("2 = wilder")
    for name in ("plug-in-singan-generate", "plug-in-singan-harmonize", "plug-in-singan-paint-to-image"):
        (arg,) = [a for a in BY_NAME[name].args if a.name == "variation"]
        assert (arg.default, arg.minimum, arg.maximum) == (1.0, 0.0, variation.MAX_VARIATION), name
    assert variation.MAX_VARIATION <= sample.MAX_VARIATION
    assert sample.check_variation(variation.MIN_VARIATION) == 0.0
    assert sample.check_variation(variation.MAX_VARIATION) == variation.MAX_VARIATION
    doc = document()
    plan = GenerateChoices(variation=2.0).plan(doc, STYLE, MODEL)  # the top of the range is sent as is
    assert plan.variation == 2.0
    for bad in (2.01, -0.01, float("nan")):
        with pytest.raises(ActionError, match=r"variation must be 0\.\.2 \(1 = as trained\), got "):
            GenerateChoices(variation=bad).plan(doc, STYLE, MODEL)


def test_a_train_option_of_0_is_shown_as_the_presets() -> None:
    assert training_value_text(0) == "preset"
    assert training_value_text(1500) == "1500"
