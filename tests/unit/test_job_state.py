"""One job-state vocabulary end to end: singan_api.job_state.JobState mirrors the proto's enum, the server
stores it, the client reports it; INTERRUPTED ends a stream but is not final (the job resumes)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from host_plugin.client import JobUpdate
from inference_server.jobs import JobSnapshot, ProgressView
from inference_server.store import JobRecord, ModelStore
from singan_api import singan_pb2 as pb
from singan_api.job_state import JobState


def test_mirrors_the_proto_enum_value_for_value() -> None:
    assert {s.proto: s.value for s in JobState} == {
        value: name.removeprefix("JOB_STATE_") for name, value in pb.JobState.items()
    }
    for state in JobState:
        assert JobState.from_proto(state.proto) is state


def test_final_and_ends_stream() -> None:
    assert {s for s in JobState if s.final} == {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}
    assert {s for s in JobState if s.ends_stream} == {s for s in JobState if s.final} | {JobState.INTERRUPTED}


def test_is_a_string_for_callers_and_json() -> None:
    state = JobState.INTERRUPTED
    assert (
        state == "INTERRUPTED"
        and f"{state}" == str(state) == "INTERRUPTED"
        and state.lower() == "interrupted"
    )
    assert json.dumps({"state": state}) == '{"state": "INTERRUPTED"}'


def _record(state: JobState | str) -> JobRecord:
    return JobRecord("ab" * 16, "cd" * 16, "n", "tiny", {}, 0, 1.0, state=state)


def test_server_and_client_agree_through_the_wire() -> None:
    for state in JobState:
        snap = JobSnapshot(_record(state), ProgressView())
        update = JobUpdate.from_proto(pb.JobEvent(job=pb.Job(state=state.proto)))
        assert update.state is state and update.finished == snap.finished == state.ends_stream


def test_records_on_disk_keep_state_names_and_old_records_load(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    store.save_job(_record(JobState.INTERRUPTED))
    on_disk = json.loads((tmp_path / "jobs" / f"{'ab' * 16}.json").read_text())
    assert on_disk["state"] == "INTERRUPTED"  # the format written before this enum existed
    (loaded,) = store.job_records()
    assert loaded.state is JobState.INTERRUPTED and not loaded.state.final
    bad = dict(asdict(_record("RUNNING")), job_id="ef" * 16, state="EXPLODED")
    (tmp_path / "jobs" / f"{'ef' * 16}.json").write_text(json.dumps(bad))
    assert [r.job_id for r in store.job_records()] == ["ab" * 16]  # an unknown state is skipped
