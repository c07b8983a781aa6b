"""Issue 18, finding 5: the client's default deadlines per kind of call, and 'the server did not answer
in time' told apart from 'cannot reach the server'."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from host_plugin.client import Client, ConnectionSettings, DeadlineExceeded, RawImage, Unavailable


@pytest.fixture()
def frozen_server() -> Iterator[str]:
    """A listener that accepts connections and reads, but never answers (a stuck server)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.setblocking(False)
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


def test_defaults_are_per_kind_of_call() -> None:
    settings = ConnectionSettings()
    assert settings.timeout is not None and settings.timeout <= 60
    assert settings.inference_timeout is not None and settings.timeout < settings.inference_timeout
    assert settings.training_timeout is not None and settings.training_timeout >= 24 * 3600


def test_a_stuck_server_gives_deadline_exceeded_not_cannot_reach(frozen_server: str) -> None:
    image = RawImage(4, 4, 3, bytes(48), mask=bytes([255]) * 16)
    with Client(address=frozen_server, timeout=1.0, inference_timeout=1.5) as client:
        for call, limit in (
            (client.server_info, "1 s"),
            (client.list_models, "1 s"),
            (lambda: client.generate("0123456789abcdef"), "1.5 s"),  # the inference default
            (lambda: client.harmonize("0123456789abcdef", image, timeout=0.5), "0.5 s"),  # overridden
        ):
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded) as info:
                call()
            assert time.monotonic() - started < 10
            message = str(info.value)
            assert f"did not answer within {limit}" in message and "cannot reach" not in message


def test_nothing_listening_is_cannot_reach() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    with Client(address=f"127.0.0.1:{port}", timeout=5.0) as client:
        with pytest.raises(Unavailable, match="cannot reach"):
            client.server_info()
