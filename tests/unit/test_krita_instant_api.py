"""The Krita plugin's instant scripting API (singan_studio.instant_api, what its menu and docker run) on the
shared mock document with a fake client: no model needed, results placed by the shared instant flows."""

from __future__ import annotations

import pytest
from test_plugin_instant_flows import FakeClient, document

from host_plugin.common.geometry import Rect, RegionError
from host_plugin.krita.singan_studio import api, instant_api


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    client = FakeClient()
    sess = api.install_session(api.Session())
    monkeypatch.setattr(sess, "client", lambda: client)
    yield client
    api.install_session(api.Session())


def test_the_three_actions_without_a_model(fake) -> None:
    doc = document()
    assert doc.models().active is None
    doc.select(Rect(4, 4, 16, 12))
    assert instant_api.instant_variations(n=2, document=doc).names == [
        "Instant variation 0",
        "Instant variation 1",
    ]
    assert instant_api.fill_selection(seed=1, document=doc).names == ["Filled"]
    assert instant_api.extend_canvas(right=8, document=doc).names == ["Extended"]
    assert [call[0] for call in fake.calls] == ["variations", "fill", "extend"]


def test_problems_found_before_the_server_are_value_errors(fake) -> None:
    with pytest.raises(RegionError, match="needs a selection"):
        instant_api.fill_selection(document=document())
    assert fake.calls == []


def test_the_dialogs_values_run_as_the_actions(fake) -> None:
    from host_plugin.common.instant_choices import ExtendChoices, FillChoices, VariationsChoices

    doc = document()
    doc.select(Rect(4, 4, 16, 12))
    outcome = instant_api.with_choices(VariationsChoices(n=2, seed=4), document=doc)
    assert outcome.names == ["Instant variation 4", "Instant variation 5"]
    assert instant_api.with_choices(FillChoices(seed=6, source="Base"), document=doc).names == ["Filled"]
    assert instant_api.with_choices(ExtendChoices(seed=1), document=doc).names == ["Extended"]
    assert [(c[0], c[2]["seed"]) for c in fake.calls] == [("variations", 4), ("fill", 6), ("extend", 1)]
    assert fake.calls[1][2]["source"] is not None  # from the layer, not from around the selection
