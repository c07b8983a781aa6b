"""A fine-tuned model keeps its own id across export and import (issues 16 and 18), through real servers:
the id an import computes from the file's contents is the one the FineTune job gave it, whether the
importing server has the base model or not, and replacing the tuned model never touches the base."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from tiny_server import H, W, tiny_trained_server

from host_plugin.client import Client, ClientError, RawImage
from inference_server.server import build_server


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A base model and a model fine-tuned from it on one server; both exported, with the tuned model's
    harmonize output there (the reference for the servers that import it)."""
    with tiny_trained_server(tmp_path_factory, seed=23) as (client, base_id, arr):
        pasted = arr.copy()
        pasted[4:12, 14:26] = (30, 60, 230)  # a blue patch: the pasted object
        mask = np.zeros((H, W), np.uint8)
        mask[3:13, 13:27] = 255
        composite = RawImage(W, H, 3, pasted.tobytes(), mask=mask.tobytes())
        done = client.fine_tune(base_id, composite, iterations=3)
        assert done.state == "SUCCEEDED", done.error
        folder = tmp_path_factory.mktemp("exported")
        for model_id, name in ((base_id, "base"), (done.model_id, "tuned")):
            client.export_model(model_id, str(folder / f"{name}.singan"))
        return {
            "base_id": base_id,
            "tuned_id": done.model_id,
            "base": folder / "base.singan",
            "tuned": folder / "tuned.singan",
            "composite": composite,
            "tuned_pixels": client.harmonize(done.model_id, composite, seed=0).pixels,
            "base_pixels": client.harmonize(base_id, composite, seed=0).pixels,
        }


@contextmanager
def fresh_server(folder: Path) -> Iterator[tuple[Client, Path]]:
    """(client, the server's models folder)."""
    with build_server(port=0, models_dir=folder) as srv, Client(address=srv.address) as client:
        yield client, Path(srv.config.models_path) / "models"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_tuned_model_imported_into_a_fresh_server_keeps_its_id(exported, tmp_path) -> None:
    assert exported["tuned_id"] != exported["base_id"]
    with fresh_server(tmp_path) as (client, _):
        info = client.import_model(str(exported["tuned"]), name="tuned elsewhere")
        assert info.model_id == exported["tuned_id"] and info.name == "tuned elsewhere"
        assert [m.model_id for m in client.list_models()] == [exported["tuned_id"]]
        # the same model: it harmonizes as it did where it was tuned
        assert (
            client.harmonize(exported["tuned_id"], exported["composite"], seed=0).pixels
            == (exported["tuned_pixels"])
        )


def test_a_tuned_model_imported_beside_its_base_leaves_the_base_alone(exported, tmp_path) -> None:
    base_id, tuned_id, composite = exported["base_id"], exported["tuned_id"], exported["composite"]
    with fresh_server(tmp_path) as (client, models):
        assert client.import_model(str(exported["base"]), name="base").model_id == base_id
        base_file = digest(models / f"{base_id}.singan")
        info = client.import_model(str(exported["tuned"]), name="tuned")
        assert info.model_id == tuned_id
        assert {m.model_id: m.name for m in client.list_models()} == {base_id: "base", tuned_id: "tuned"}
        # again: the tuned model is there (not the base), and only it is replaced when asked to
        with pytest.raises(ClientError, match="already on this server as 'tuned'") as refused:
            client.import_model(str(exported["tuned"]))
        assert refused.value.code == "ALREADY_EXISTS" and tuned_id in str(refused.value)
        assert (
            client.import_model(str(exported["tuned"]), name="tuned again", replace=True).model_id == tuned_id
        )
        assert {m.model_id: m.name for m in client.list_models()} == {
            base_id: "base",
            tuned_id: "tuned again",
        }
        assert digest(models / f"{base_id}.singan") == base_file
        assert client.harmonize(base_id, composite, seed=0).pixels == exported["base_pixels"]
        assert client.harmonize(tuned_id, composite, seed=0).pixels == exported["tuned_pixels"]
        assert exported["base_pixels"] != exported["tuned_pixels"]
