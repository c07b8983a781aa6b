"""The pure-Python client library without a server: images, addresses, updates, errors, cancellation,
and that it imports with grpcio blocked and protobuf's pure-Python implementation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from host_plugin.client import (
    Cancelled,
    CancelToken,
    Client,
    ConnectionSettings,
    JobUpdate,
    NotFound,
    RawImage,
    Unavailable,
    parse_address,
    pb,
)
from host_plugin.client.errors import ClientError, error_for

REPO = Path(__file__).resolve().parents[2]


def test_raw_image_validates_sizes_and_round_trips() -> None:
    img = RawImage(3, 2, 4, bytes(range(24)), mask=b"\x00\xff\x00\xff\x00\xff", offset_x=5, offset_y=-7)
    back = RawImage.from_proto(pb.Image.FromString(img.to_proto().SerializeToString()))
    assert back == img
    assert RawImage(2, 2, 3, bytes(24), bit_depth=16).expected_bytes == 24
    with pytest.raises(ValueError, match="needs 12 bytes"):
        RawImage(2, 2, 3, bytes(11))
    with pytest.raises(ValueError, match="positive"):
        RawImage(0, 2, 3, b"")
    with pytest.raises(ValueError, match="channels"):
        RawImage(1, 1, 5, bytes(5))
    with pytest.raises(ValueError, match="bit_depth"):
        RawImage(1, 1, 1, bytes(4), bit_depth=32)
    with pytest.raises(ValueError, match="mask"):
        RawImage(2, 2, 1, bytes(4), mask=bytes(3))
    assert RawImage.from_proto(RawImage(1, 1, 1, b"\x01").to_proto()).mask is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:50051", ("127.0.0.1", 50051)),
        ("gpu-box", ("gpu-box", 50051)),
        ("grpc://gpu-box:9000", ("gpu-box", 9000)),
        ("[::1]:7000", ("::1", 7000)),
        ("[::1]", ("::1", 50051)),
    ],
)
def test_parse_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["", "host:port", "host:70000"])
def test_parse_address_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_address(text)


def test_settings_metadata_and_tls() -> None:
    assert ConnectionSettings().metadata() is None
    assert ConnectionSettings(token="t").metadata() == {"authorization": "Bearer t"}
    assert ConnectionSettings().ssl_context() is None
    assert ConnectionSettings(tls=True).ssl_context() is not None


def test_job_update_from_proto() -> None:
    event = pb.JobEvent(
        job=pb.Job(
            job_id="ab" * 16,
            model_id="cd" * 12,
            state=pb.JOB_STATE_RUNNING,
            scales_done=1,
            progress=pb.Progress(
                scale=1, num_scales=3, iteration=7, iterations=30, losses={"d": 0.5}, eta_s=12.0
            ),
        ),
        preview=RawImage(2, 1, 3, bytes(6)).to_proto(),
    )
    update = JobUpdate.from_proto(event)
    assert (update.state, update.scale, update.num_scales, update.iteration) == ("RUNNING", 1, 3, 7)
    assert update.losses == {"d": 0.5} and update.preview.width == 2 and update.model is None
    assert not update.finished
    done = JobUpdate.from_proto(
        pb.JobEvent(job=pb.Job(state=pb.JOB_STATE_SUCCEEDED), model=pb.ModelInfo(name="m"))
    )
    assert done.finished and done.model.name == "m" and done.preview is None


def test_error_classes_by_status() -> None:
    err = error_for("NOT_FOUND", "no model")
    assert isinstance(err, NotFound) and err.code == "NOT_FOUND" and str(err) == "no model"
    other = error_for("DATA_LOSS", "x")
    assert type(other) is ClientError and other.code == "DATA_LOSS"


def test_unreachable_server_is_unavailable_with_a_hint() -> None:
    with Client(address="127.0.0.1:1", timeout=5) as client:
        with pytest.raises(Unavailable, match="is singan-server running"):
            client.server_info()


def test_cancel_token_interrupts_a_blocking_call() -> None:
    # A listening socket that never answers: the call blocks until cancelled.
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    try:
        with Client(address=f"127.0.0.1:{port}") as client:
            token = CancelToken()
            threading.Timer(0.5, token.cancel).start()
            started = time.monotonic()
            with pytest.raises(Cancelled):
                client.generate("0123456789abcdef", cancel=token)
            assert time.monotonic() - started < 5
            with pytest.raises(Cancelled):
                client.server_info(cancel=token)  # an already-cancelled token
    finally:
        sock.close()


def test_imports_without_grpcio_and_with_pure_python_protobuf(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import sys
            class _BlockGrpc:
                def find_spec(self, name, path=None, target=None):
                    if name == "grpc" or name.startswith(("grpc.", "grpc_")):
                        raise ImportError(name + " blocked")
                    return None
            sys.meta_path.insert(0, _BlockGrpc())
            """
        )
    )
    script = textwrap.dedent(
        """
        import json, sys
        import host_plugin.client as c
        from google.protobuf.internal import api_implementation
        img = c.RawImage(2, 1, 4, bytes(8), bit_depth=8)
        msg = c.pb.TrainRequest(image=img.to_proto(), preset="tiny", overrides={"train.iterations": "5"})
        back = c.pb.TrainRequest.FromString(msg.SerializeToString())
        print(json.dumps({
            "impl": api_implementation.Type(),
            "grpc": sorted(m for m in sys.modules if m == "grpc" or m.startswith(("grpc.", "grpc_"))),
            "heavy": sorted(m for m in ("torch", "numpy", "PIL") if m in sys.modules),
            "ok": back.image.width == 2 and back.overrides["train.iterations"] == "5",
        }))
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    env["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result == {"impl": "python", "grpc": [], "heavy": [], "ok": True}


@pytest.mark.parametrize("last_state", ["JOB_STATE_INTERRUPTED", "JOB_STATE_RUNNING"])
def test_stream_ending_badly_after_its_final_event_still_returns_it(last_state: str) -> None:
    """A server that shuts down right after sending a job's final event may never send the call's status:
    the client keeps the final event instead of failing. Before the final event it must still fail."""
    import asyncio

    import grpclib.const
    from grpclib.server import Server

    from host_plugin.client import AsyncClient

    class Abrupt:
        async def Train(self, stream) -> None:  # noqa: N802 - the RPC's name
            await stream.recv_message()
            await stream.send_message(pb.JobEvent(job=pb.Job(job_id="j1", state=pb.JOB_STATE_RUNNING)))
            await stream.send_message(pb.JobEvent(job=pb.Job(job_id="j1", state=getattr(pb, last_state))))
            raise RuntimeError("gone before the status")  # the client sees a failed status, not OK

        def __mapping__(self):
            return {
                "/singan.v1.SinGAN/Train": grpclib.const.Handler(
                    self.Train, grpclib.const.Cardinality.UNARY_STREAM, pb.TrainRequest, pb.JobEvent
                )
            }

    async def scenario() -> list[str]:
        server = Server([Abrupt()])
        await server.start("127.0.0.1", 0)
        port = server._server.sockets[0].getsockname()[1]
        seen: list[str] = []
        try:
            async with AsyncClient(address=f"127.0.0.1:{port}", timeout=10) as client:
                async for update in client.train(RawImage(2, 2, 3, bytes(12))):
                    seen.append(update.state)
        finally:
            server.close()
            await server.wait_closed()
        return seen

    if last_state == "JOB_STATE_INTERRUPTED":
        assert asyncio.run(scenario()) == ["RUNNING", "INTERRUPTED"]
    else:
        with pytest.raises(ClientError):
            asyncio.run(scenario())
