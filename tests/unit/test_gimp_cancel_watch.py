"""The watcher that cancels a server job when GIMP kills the plug-in (host_plugin.gimp.cancel_watch),
against a real server on loopback."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from host_plugin.client import Cancelled, CancelToken, Client, RawImage
from host_plugin.gimp.cancel_watch import CancelWatch, watch
from inference_server.server import build_server

REPO = Path(__file__).resolve().parents[2]


def test_watch_protocol() -> None:
    lines = ['{"address": "h:1", "token": "t"}', "garbage", '{"job": "j1"}', '{"job": "j2"}']
    settings, job, done = watch(lines)
    assert (settings.address, settings.token, job, done) == ("h:1", "t", "j2", False)
    assert watch([*lines, '{"done": true}'])[2] is True


def _start_job(client: Client) -> tuple[str, threading.Thread, CancelToken]:
    image = RawImage(96, 72, 3, bytes((i * 37) % 251 for i in range(96 * 72 * 3)))
    token = CancelToken()
    seen: list[str] = []

    def run() -> None:
        try:
            client.train(
                image, preset="fast", retrain=True, on_update=lambda u: seen.append(u.job_id), cancel=token
            )
        except Cancelled:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen, "no job update"
    return seen[0], thread, token


def _state(client: Client, job_id: str, want: int, wait: float = 20) -> int:
    deadline = time.monotonic() + wait
    state = -1
    while time.monotonic() < deadline:
        state = next(job.state for job in client.list_jobs() if job.job_id == job_id)
        if state == want:
            break
        time.sleep(0.2)
    return state


def test_dead_plugin_cancels_the_job_and_a_finished_one_does_not(tmp_path: Path) -> None:
    with build_server(port=0, models_dir=tmp_path) as server, Client(address=server.address) as client:
        job_id, thread, token = _start_job(client)
        finished = CancelWatch(client.settings, [str(REPO)])
        finished.job(job_id)
        finished.done()  # training ended normally: nothing is cancelled
        assert _state(client, job_id, 5, wait=1) in (1, 2)

        dying = CancelWatch(client.settings, [str(REPO)])
        dying.job(job_id)
        dying._proc.stdin.close()  # what the OS does when GIMP SIGKILLs the plug-in
        assert dying._proc.wait(timeout=30) == 0
        assert _state(client, job_id, 5) == 5  # JOB_STATE_CANCELLED
        token.cancel()
        thread.join(timeout=10)
