"""Cancel a training job on the server when GIMP kills the plug-in.

When the artist cancels a plug-in's progress, GIMP asks the plug-in to quit and SIGKILLs it 10 ms later,
so the plug-in itself gets no chance to call ``CancelJob``. It therefore starts this small watcher in
its own session before training: the plug-in writes JSON lines on the watcher's stdin (first the
connection, then the job id, then ``{"done": true}`` when training ended normally). If stdin closes
without ``done`` after a job id arrived, the plug-in died: the watcher cancels that job and exits.

Run as ``python -m host_plugin.gimp.cancel_watch`` with the plug-in folder (and its vendored
dependencies) on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from typing import IO

from host_plugin.client import ConnectionSettings


def watch(lines: Iterable[str]) -> tuple[ConnectionSettings | None, str, bool]:
    """Read the plug-in's messages until EOF: (connection, last job id, ended normally)."""
    settings: ConnectionSettings | None = None
    job_id = ""
    done = False
    for line in lines:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "address" in message:
            settings = ConnectionSettings(
                address=message["address"], token=message.get("token") or None, tls=bool(message.get("tls"))
            )
        if message.get("job"):
            job_id = str(message["job"])
        if message.get("done"):
            done = True
    return settings, job_id, done


def main() -> int:
    settings, job_id, done = watch(sys.stdin)
    if done or not job_id or settings is None:
        return 0
    from host_plugin.client import Client, ClientError

    try:
        with Client(settings) as client:
            client.cancel_job(job_id)
    except ClientError as exc:
        print(f"singan: could not cancel job {job_id}: {exc}", file=sys.stderr)
        return 1
    print(f"singan: cancelled job {job_id} (the plug-in was stopped)", file=sys.stderr)
    return 0


class CancelWatch:
    """The plug-in's side: start the watcher, tell it the job, tell it when training ended."""

    def __init__(self, settings: ConnectionSettings, pythonpath: Sequence[str], python: str = sys.executable):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath))
        kwargs: dict[str, object] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # survives a kill of the plug-in's process group
        else:
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        self._proc = subprocess.Popen(
            [python, "-m", "host_plugin.gimp.cancel_watch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            text=True,
            **kwargs,  # type: ignore[call-overload]
        )
        self._job = ""
        self._send({"address": settings.address, "token": settings.token or "", "tls": settings.tls})

    def _send(self, message: dict[str, object]) -> None:
        stdin: IO[str] | None = self._proc.stdin
        if stdin is None or stdin.closed:
            return
        try:
            stdin.write(json.dumps(message) + "\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def job(self, job_id: str) -> None:
        if job_id and job_id != self._job:
            self._job = job_id
            self._send({"job": job_id})

    def done(self) -> None:
        self._send({"done": True})
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()


if __name__ == "__main__":
    sys.exit(main())
