"""Harmonize with fine-tuning in the shared plugin core: a FineTune job first (progress, Cancel cancels
the job), then Harmonize with the tuned model; an older server without FineTune gets the one call
Harmonize(fine_tune=True). On the mock document with a recording fake client."""

from __future__ import annotations

import threading

import pytest

from host_plugin.client import Cancelled, ConnectionSettings, JobUpdate, RawImage, Unimplemented
from host_plugin.common import flows
from host_plugin.common.geometry import Rect
from host_plugin.common.mock_document import MockDocument
from host_plugin.common.models import ActionError, ModelRef
from host_plugin.common.runner import Task, TaskRunner


class Style:
    upscale_in_place = True

    def injected(self, kind, result, source):
        return kind


class FakeClient:
    settings = ConnectionSettings(address="gpu-box:1")

    def __init__(self, final: str = "SUCCEEDED", fine_tune: bool = True) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.final, self.has_fine_tune = final, fine_tune
        self.cancelled: list[str] = []

    def fine_tune(self, model_id, composite, *, on_update, **kw):
        self.calls.append(("fine_tune", model_id, kw))
        if not self.has_fine_tune:
            raise Unimplemented("Method not found!")
        on_update(JobUpdate("job7", "tuned1", "QUEUED", queue_position=1))
        on_update(JobUpdate("job7", "tuned1", "RUNNING", iteration=5, iterations=10, fraction=0.25))
        return JobUpdate("job7", "tuned1", self.final, error="diverged at scale 2")

    def harmonize(self, model_id, image, **kw):
        self.calls.append(("harmonize", model_id, kw))
        return RawImage(image.width, image.height, 3, bytes(3 * image.width * image.height))

    def cancel_job(self, job_id):
        self.cancelled.append(job_id)


def document() -> MockDocument:
    doc = MockDocument(doc_name="art")
    doc.paint("Base", Rect(0, 0, 64, 48), bytes([1, 2, 3, 255]) * (64 * 48))
    doc.select(Rect(12, 6, 8, 6))
    return doc


def plan(doc: MockDocument, fine_tune: bool = True, kind: str = "harmonize") -> flows.InjectPlan:
    return flows.plan_inject(doc, Style(), kind, ModelRef("base1"), injection_scale=2, fine_tune=fine_tune)


def test_fine_tuning_runs_as_a_job_then_harmonizes_with_the_tuned_model() -> None:
    doc, client = document(), FakeClient()
    updates: list[JobUpdate] = []
    p = plan(doc)
    assert p.doing == "fine-tuning, then harmonizing"
    outcome = TaskRunner(post=lambda fn: fn()).run_blocking(p, doc, client, updates.append)
    assert [c[:2] for c in client.calls] == [("fine_tune", "base1"), ("harmonize", "tuned1")]
    assert client.calls[0][2] == {"injection_scale": 2}
    assert "fine_tune" not in client.calls[1][2] and client.calls[1][2]["region_only"] is True
    assert [u.state for u in updates] == ["QUEUED", "RUNNING"]  # the job's progress, as a training's
    assert outcome.layers and outcome.layers[0].name == "harmonize"


def test_a_server_without_fine_tune_gets_the_one_call() -> None:
    doc, client = document(), FakeClient(fine_tune=False)
    TaskRunner(post=lambda fn: fn()).run_blocking(plan(doc), doc, client)
    assert [c[:2] for c in client.calls] == [("fine_tune", "base1"), ("harmonize", "base1")]
    assert client.calls[1][2]["fine_tune"] is True


def test_without_fine_tuning_nothing_changes() -> None:
    doc, client = document(), FakeClient()
    TaskRunner(post=lambda fn: fn()).run_blocking(plan(doc, fine_tune=False), doc, client)
    assert [c[:2] for c in client.calls] == [("harmonize", "base1")]
    assert "fine_tune" not in client.calls[0][2]
    assert plan(doc, kind="edit").fine_tune is False  # only harmonize fine-tunes


@pytest.mark.parametrize(
    ("state", "error", "match"),
    [("CANCELLED", Cancelled, "model is unchanged"), ("FAILED", ActionError, "fine-tuning failed: diverged")],
)
def test_a_fine_tuning_that_does_not_succeed_adds_no_layer(state, error, match) -> None:
    doc, client = document(), FakeClient(state)
    layers = [layer.name for layer in doc.layers]
    with pytest.raises(error, match=match):
        TaskRunner(post=lambda fn: fn()).run_blocking(plan(doc), doc, client)
    assert [c[0] for c in client.calls] == ["fine_tune"]
    assert [layer.name for layer in doc.layers] == layers


def test_cancelling_the_task_cancels_the_fine_tuning_job() -> None:
    doc, client = document(), FakeClient()
    entered, release = threading.Event(), threading.Event()

    def fine_tune(model_id, composite, *, on_update, **kw):  # a job that runs until cancelled
        on_update(JobUpdate("job9", "tuned9", "RUNNING"))
        entered.set()
        release.wait(10)
        return JobUpdate("job9", "tuned9", "CANCELLED")

    def cancel_job(job_id):
        client.cancelled.append(job_id)
        release.set()

    client.fine_tune, client.cancel_job = fine_tune, cancel_job
    task = TaskRunner(post=lambda fn: fn()).start(plan(doc), doc, client)
    assert isinstance(task, Task) and entered.wait(10)
    task.cancel()
    with pytest.raises(Cancelled):
        task.wait(10)
    assert client.cancelled == ["job9"] and not any(c[0] == "harmonize" for c in client.calls)
