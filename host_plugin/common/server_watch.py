"""The managed server's watcher: ``python -m host_plugin.common.server_watch DATA_FOLDER``.

Started next to the managed server (see :mod:`host_plugin.common.managed_server`), in the server's
environment. Once a second it looks at the editors using the server; when none is alive any more (the
editor quit or crashed without saying so) and no training is running, it stops the server and exits. It
also exits when the server is gone or another one replaced it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from host_plugin.client import Client, ClientError, ConnectionSettings

from .managed_server import LOCK_FILE, ManagedServer, ServerState, file_lock, pid_alive

POLL_S = 1.0
BUSY_POLL_S = 5.0


def training_running(state: ServerState) -> bool:
    """True when the server has a queued or running training job (or cannot say: then keep it)."""
    settings = ConnectionSettings(address=state.address, token=state.token, timeout=10.0)
    try:
        with Client(settings) as client:
            return bool(client.list_jobs(active_only=True))
    except ClientError:
        return True


def watch(folder: Path) -> str:
    manager = ManagedServer(folder=folder, user=0)
    first = manager.read_state()
    if first is None:
        return "no managed server"
    while True:
        time.sleep(POLL_S)
        with file_lock(folder / LOCK_FILE):
            state = manager.read_state()
            if state is None or state.pid != first.pid:
                return "the managed server was replaced or stopped"
            if not pid_alive(state.pid):
                manager.write_state(None)
                return "the managed server exited"
            if any(pid_alive(u) for u in state.users):
                continue
        # release() checks again under the lock: an editor may have joined, a training started
        message = manager.release(busy=training_running)
        if message.startswith(("stopped", "no managed")):
            return message
        time.sleep(BUSY_POLL_S)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m host_plugin.common.server_watch DATA_FOLDER", file=sys.stderr)
        return 2
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} server_watch: {watch(Path(args[0]))}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
