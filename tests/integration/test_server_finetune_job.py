"""FineTune as a job (issue 16, item 4), through a real server: queued with trainings, watched,
cancelled, listed; its result is a new model (the base unchanged) that harmonizes the composite as
Harmonize(fine_tune=true) does; an unfinished fine-tuning starts again after a restart."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from tiny_server import QUICK, H, W, tiny_trained_server

from host_plugin.client import Client, InvalidArgument, NotFound, RawImage
from inference_server.server import build_server


def composite_of(arr: np.ndarray) -> RawImage:
    pasted = arr.copy()
    pasted[6:14, 8:20] = (240, 30, 30)  # a red patch: the pasted object
    mask = np.zeros((H, W), np.uint8)
    mask[5:15, 7:21] = 255
    return RawImage(W, H, 3, pasted.tobytes(), mask=mask.tobytes())


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with tiny_trained_server(tmp_path_factory, seed=7) as served:
        yield served


def in_background(fn, *args, **kwargs) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn(*args, **kwargs)), daemon=True)
    thread.start()
    return thread, out


def wait_until(what, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_tuned_model_is_new_and_harmonizes_as_fine_tuning_does(served) -> None:
    client, base_id, arr = served
    comp = composite_of(arr)
    base_before = client.harmonize(base_id, comp, seed=0).pixels
    updates = []
    last = client.fine_tune(base_id, comp, on_update=updates.append)
    assert last.state == "SUCCEEDED", last.error
    tuned_id = last.model_id
    assert tuned_id != base_id and last.model is not None and last.model.model_id == tuned_id
    base_name = client.get_model(base_id).name
    assert last.model.name == f"{base_name} (fine-tuned)"
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # the job's result = the one-call fine-tuning; the base model is unchanged
    tuned = client.harmonize(tuned_id, comp, seed=0).pixels
    assert tuned == client.harmonize(base_id, comp, seed=0, fine_tune=True).pixels
    assert tuned != base_before
    assert client.harmonize(base_id, comp, seed=0).pixels == base_before
    # listed, watchable after the fact, found again for the same request (no second job)
    job = next(j for j in client.list_jobs() if j.job_id == last.job_id)
    assert job.model_id == tuned_id and job.name == last.model.name
    assert client.watch_job(last.job_id).model.model_id == tuned_id
    again = client.fine_tune(base_id, comp, name="other name")
    assert again.reused and again.model_id == tuned_id
    named = client.fine_tune(base_id, comp, iterations=3, name="tuned 3")
    assert named.state == "SUCCEEDED" and named.model_id not in (tuned_id, base_id)
    assert client.get_model(named.model_id).name == "tuned 3"


def test_fine_tunings_queue_one_at_a_time_and_cancel(served) -> None:
    client, base_id, arr = served
    comp = composite_of(arr)
    seen: list = []
    first, first_out = in_background(
        client.fine_tune, base_id, comp, iterations=20_000, on_update=seen.append
    )
    wait_until(lambda: any(u.state == "RUNNING" and u.fraction > 0 and u.eta_s > 0 for u in seen))
    assert seen[0].job_id and all(0 <= u.fraction < 0.5 and u.iterations in (0, 20_000) for u in seen)
    queued: list = []
    second, second_out = in_background(
        client.fine_tune, base_id, comp, iterations=19_999, on_update=queued.append
    )
    wait_until(lambda: bool(queued))
    assert queued[0].state == "QUEUED" and queued[0].queue_position == 1
    running = [
        j for j in client.list_jobs(active_only=True) if j.job_id in (seen[0].job_id, queued[0].job_id)
    ]
    assert len(running) == 2
    client.cancel_job(queued[0].job_id)
    client.cancel_job(seen[0].job_id)
    first.join(30)
    second.join(30)
    assert first_out[0].state == "CANCELLED" and second_out[0].state == "CANCELLED"
    ids = {m.model_id for m in client.list_models()}
    assert seen[0].model_id not in ids and queued[0].model_id not in ids  # nothing half-tuned is stored
    # the server goes on: a short one succeeds
    assert client.fine_tune(base_id, comp, iterations=2).state == "SUCCEEDED"


def test_bad_requests_get_one_line(served) -> None:
    client, base_id, arr = served
    comp = composite_of(arr)
    no_mask = RawImage(W, H, 3, arr.tobytes())
    with pytest.raises(InvalidArgument, match="mask"):
        client.fine_tune(base_id, no_mask)
    with pytest.raises(InvalidArgument, match="injection_scale"):
        client.fine_tune(base_id, comp, injection_scale=99)
    with pytest.raises(InvalidArgument, match="iterations"):
        client.fine_tune(base_id, comp, iterations=10**9)
    with pytest.raises(NotFound):
        client.fine_tune("0123456789abcdef01234567", comp)


def test_an_interrupted_fine_tuning_starts_again_after_a_restart(tmp_path) -> None:
    arr = np.random.default_rng(9).integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    seen: list = []
    srv = build_server(port=0, models_dir=tmp_path)
    with Client(address=srv.address) as client:
        try:
            base = client.train(RawImage(W, H, 3, arr.tobytes()), preset="tiny", overrides=QUICK)
            thread, out = in_background(
                client.fine_tune, base.model_id, composite_of(arr), iterations=20_000, on_update=seen.append
            )
            wait_until(lambda: any(u.state == "RUNNING" and u.iteration > 0 for u in seen))
        finally:
            srv.stop()  # while the client watches: it gets the job's last event, INTERRUPTED
        thread.join(30)
    assert out and out[0].state == "INTERRUPTED"
    job_id = seen[0].job_id
    with build_server(port=0, models_dir=tmp_path) as srv, Client(address=srv.address) as client:
        resumed: list = []
        thread, out = in_background(client.watch_job, job_id, on_update=resumed.append)
        wait_until(lambda: any(u.state == "RUNNING" and u.iteration > 0 for u in resumed))
        assert resumed[-1].model_id == seen[0].model_id and resumed[-1].iterations == 20_000
        client.cancel_job(job_id)
        thread.join(30)
        assert out[0].state == "CANCELLED"
        assert seen[0].model_id not in {m.model_id for m in client.list_models()}
