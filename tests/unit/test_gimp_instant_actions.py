"""The GIMP procedures of the instant actions -> the shared instant flows (host_plugin.gimp.actions): their
arguments reach the server as asked, no model is needed, results land where the flows put them."""

from __future__ import annotations

from test_gimp_actions import call, memory_document
from test_plugin_instant_flows import FakeClient

from host_plugin.common.geometry import Rect
from host_plugin.gimp import actions
from host_plugin.gimp.procedures import BY_NAME


def test_instant_procedures_need_no_model() -> None:
    for name in ("instant-variations", "instant-fill", "instant-extend"):
        assert name in actions.NO_MODEL and f"plug-in-singan-{name}" in BY_NAME


def test_variations_of_a_custom_size_open_a_new_image() -> None:
    doc, client = memory_document(Rect(0, 0, 40, 30)), FakeClient()
    outcome = call("instant-variations", doc, client, n=2, seed=4, size="custom", width=90, height=20)
    _, sent, kw = client.calls[0]
    assert (sent.width, sent.height) == (40, 30) and kw["size"] == (90, 20) and kw["seed"] == 4
    assert [p.new_document for p in outcome.layers] == [True, True]


def test_fill_by_source_layer_name_and_extend_borders() -> None:
    doc, client = memory_document(Rect(0, 0, 64, 48), selection=Rect(20, 20, 8, 8)), FakeClient()
    doc.paint("Grass", Rect(0, 0, 16, 16), bytes([1, 2, 3, 255]) * 256, active=False)
    outcome = call("instant-fill", doc, client, seed=2, source_layer="Grass")
    assert client.calls[0][2]["source"].width == 16 and outcome.names == ["Filled"]
    outcome = call("instant-extend", doc, client, left=4, top=0, right=0, bottom=6, seed=1)
    assert doc.bounds == Rect(0, 0, 68, 54) and outcome.names == ["Extended"]
