"""A fine-tuned model's id follows from its file's contents (issues 16 and 18): its checkpoint records the
tunings it was made by (covered by the checksum), and the id an import computes is the one FineTune gave
it; a trained model's file and id are as before tuning records existed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.torch import save_file

from inference_server.finetune_jobs import TuneSpec, tuned_model
from singan_core.checkpoint import (
    checkpoint_metadata,
    content_model_id,
    load_checkpoint,
    save_checkpoint,
    tensors_digest,
)
from singan_core.errors import CheckpointError
from singan_core.fingerprint import TuningRecord, lineage_model_id, model_id
from singan_core.tasks.inject import tune_for_harmonize

ITERATIONS = 2  # per tuned scale: the id, not the quality, is under test


def composite_and_mask(image: np.ndarray, colour: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    pasted = image.copy()
    pasted[6:14, 8:20] = colour
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[5:15, 7:21] = 255
    return pasted, mask


def fine_tuned(base, base_id: str, colour: tuple[int, int, int]):  # noqa: ANN001, ANN201
    """What a FineTune job stores: the tuned model and its spec (as the server builds them)."""
    composite, mask = composite_and_mask(base.image, colour)
    spec = TuneSpec.for_model(base, base_id, composite, mask, 0, ITERATIONS)
    tuned = tune_for_harmonize(
        base, composite, mask, injection_scale=spec.injection_scale, seed=spec.seed, iterations=ITERATIONS
    )
    return tuned_model(tuned, spec), spec


@pytest.fixture(scope="module")
def tuned_file(tiny_model, tmp_path_factory) -> tuple[Path, TuneSpec]:
    model, spec = fine_tuned(tiny_model, tiny_model.model_id, (240, 30, 30))
    path = tmp_path_factory.mktemp("tuned") / "tuned.singan"
    save_checkpoint(model, path)
    return path, spec


def rewrite(src: Path, dst: Path, edit, *, reseal: bool = False) -> Path:  # noqa: ANN001
    """``src`` with its metadata changed by ``edit(meta)``; ``reseal``: the checksum computed again over
    the edited records, as someone crafting a file would."""
    with safe_open(str(src), framework="pt", device="cpu") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        meta = json.loads(f.metadata()["singan"])
    edit(meta)
    if reseal:
        records = tuple(TuningRecord.from_dict(r) for r in meta.get("tunings", []))
        meta["tensors_sha256"] = tensors_digest(tensors, records)
    save_file(tensors, str(dst), metadata={"singan": json.dumps(meta)})
    return dst


def test_the_tuned_checkpoints_id_is_the_one_the_fine_tune_job_gave_it(tiny_model, tuned_file) -> None:
    path, spec = tuned_file
    base_id = tiny_model.model_id
    assert content_model_id(tiny_model) == base_id == model_id(tiny_model.image_hash, tiny_model.config)
    loaded = load_checkpoint(path)
    assert loaded.tunings == (spec.record,)
    assert spec.record.base_model_id == base_id and spec.record.iterations == ITERATIONS
    assert content_model_id(loaded) == spec.model_id == loaded.model_id
    assert spec.model_id != base_id
    # the file's own id string plays no part: a file claiming the base's id still computes the tuned one
    claims_base = rewrite(path, path.with_name("claims_base.singan"), lambda m: m.update(model_id=base_id))
    assert content_model_id(load_checkpoint(claims_base)) == spec.model_id


def test_a_model_tuned_twice_keeps_both_records_in_order(tiny_model, tuned_file, tmp_path) -> None:
    path, first = tuned_file
    once = load_checkpoint(path)
    twice, second = fine_tuned(once, once.model_id, (20, 200, 60))
    save_checkpoint(twice, tmp_path / "twice.singan")
    loaded = load_checkpoint(tmp_path / "twice.singan")
    assert loaded.tunings == (first.record, second.record)
    assert second.record.base_model_id == first.model_id
    assert content_model_id(loaded) == second.model_id not in (first.model_id, tiny_model.model_id)
    # the records out of order do not follow from the contents: refused
    swapped = rewrite(
        tmp_path / "twice.singan", tmp_path / "swapped.singan", lambda m: m["tunings"].reverse(), reseal=True
    )
    with pytest.raises(CheckpointError, match="tuning records do not match"):
        content_model_id(load_checkpoint(swapped))


def test_tuned_ids_keep_the_formula_fine_tune_used_before_they_were_recorded() -> None:
    # computed by TuneSpec.model_id at a9f344e (the first FineTune jobs): models tuned since keep their ids
    composite = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    mask = np.zeros((4, 5), np.uint8)
    mask[1:3, 1:4] = 255
    spec = TuneSpec("0123456789abcdef01234567", composite, mask, injection_scale=1, iterations=7, seed=3)
    assert spec.model_id == "be8159152026bc5fcc4c4631"


def test_a_trained_models_file_has_no_tuning_record_and_its_checksum_is_as_before(
    tiny_model, tmp_path
) -> None:
    save_checkpoint(tiny_model, tmp_path / "trained.singan")
    meta = checkpoint_metadata(tmp_path / "trained.singan")
    assert "tunings" not in meta
    with safe_open(str(tmp_path / "trained.singan"), framework="pt", device="cpu") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    assert meta["tensors_sha256"] == tensors_digest(tensors)  # the digest of files written before
    loaded = load_checkpoint(tmp_path / "trained.singan")
    assert loaded.tunings == () and content_model_id(loaded) == tiny_model.model_id


@pytest.mark.parametrize(
    ("field", "value"),
    [("seed", 5), ("iterations", 3), ("composite_hash", "0" * 64), ("injection_scale", 0)],
)
def test_an_edited_tuning_record_is_refused_or_gives_another_id(tuned_file, tmp_path, field, value) -> None:
    path, spec = tuned_file
    assert getattr(spec.record, field) != value

    def edit(meta: dict) -> None:
        meta["tunings"][0][field] = value

    with pytest.raises(CheckpointError, match="do not match their checksum"):
        load_checkpoint(rewrite(path, tmp_path / "edited.singan", edit))
    resealed = load_checkpoint(rewrite(path, tmp_path / "resealed.singan", edit, reseal=True))
    assert content_model_id(resealed) not in (spec.model_id, spec.base_id)


def test_a_record_naming_another_base_model_is_refused(tiny_model, tuned_file, tmp_path) -> None:
    path, spec = tuned_file
    other = "f" * 24
    crafted = rewrite(
        path,
        tmp_path / "other_base.singan",
        lambda m: m["tunings"][0].update(base_model_id=other),
        reseal=True,
    )
    model = load_checkpoint(crafted)
    with pytest.raises(CheckpointError, match=f"made from model {other}, but the file's contents give"):
        content_model_id(model)
    with pytest.raises(ValueError, match=tiny_model.model_id):
        lineage_model_id(model.image_hash, model.config, model.tunings)


def test_dropping_the_records_is_found_by_the_checksum(tuned_file, tmp_path) -> None:
    # without its records the file would pass for the base model: the checksum covers them
    path, _ = tuned_file
    dropped = rewrite(path, tmp_path / "dropped.singan", lambda m: m.pop("tunings"))
    with pytest.raises(CheckpointError, match="do not match their checksum"):
        load_checkpoint(dropped)


@pytest.mark.parametrize(
    ("records", "error"),
    [
        (lambda r: {"seed": 1}, "not a list"),
        (lambda r: [["not", "a", "record"]], "not an object with the fields"),
        (lambda r: [{"kind": "fine_tune"}], "not an object with the fields"),
        (lambda r: [{**r, "extra": 1}], "not an object with the fields"),
        (lambda r: [{**r, "kind": "sharpen"}], "unknown kind"),
        (lambda r: [{**r, "seed": True}], "seed is not a whole number"),
        (lambda r: [{**r, "iterations": -1}], "iterations is not a whole number"),
        (lambda r: [{**r, "mask_hash": "abc"}], "mask_hash is not a hash"),
        (lambda r: [{**r, "base_model_id": "../../etc/passwd"}], "base_model_id is not a hash"),
    ],
)
def test_malformed_records_are_a_clear_error(tuned_file, tmp_path, records, error) -> None:
    path, spec = tuned_file
    edited = rewrite(
        path, tmp_path / "malformed.singan", lambda m: m.update(tunings=records(spec.record.to_dict()))
    )
    with pytest.raises(CheckpointError, match=f"inconsistent .*{error}"):
        load_checkpoint(edited)


def test_records_in_a_file_without_a_checksum_are_refused(tuned_file, tmp_path) -> None:
    path, _ = tuned_file
    unsealed = rewrite(path, tmp_path / "unsealed.singan", lambda m: m.pop("tensors_sha256"))
    with pytest.raises(CheckpointError, match="tuning records without a checksum"):
        load_checkpoint(unsealed)
