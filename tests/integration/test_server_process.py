"""``singan-server`` as a real process (console script): startup rules, a client with grpcio blocked and
protobuf's pure-Python implementation, SIGTERM mid-training and resume on restart."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from host_plugin.client import Client, RawImage, Unauthenticated

REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"singan-server ready on (\S+):(\d+)")

BLOCK_GRPC = textwrap.dedent(
    """
    import sys

    class _BlockGrpc:
        def find_spec(self, name, path=None, target=None):
            if name == "grpc" or name.startswith(("grpc.", "grpc_")):
                raise ImportError(f"{name} is blocked: the client must not need grpcio")
            return None

    sys.meta_path.insert(0, _BlockGrpc())
    """
)


def server_command() -> str:
    """The console script of the environment running the tests (.venv/bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "singan-server"
    exe = str(beside) if beside.is_file() else shutil.which("singan-server")
    assert exe, "the singan-server console script is not installed: run `bash installers/setup-dev.sh`"
    return exe


class ServerProcess:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [server_command(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr_lines: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.time() + 60
        self.address = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            match = READY.search(line)
            if match:
                self.address = f"{match.group(1)}:{match.group(2)}"
                break
        if not self.address:
            self.proc.kill()
            raise AssertionError("server did not start:\n" + "".join(self.stderr_lines))

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def make_image(seed: int) -> RawImage:
    arr = np.random.default_rng(seed).integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
    return RawImage(32, 24, 3, arr.tobytes())


def test_refuses_to_listen_beyond_loopback_unprotected(tmp_path: Path) -> None:
    proc = subprocess.run(
        [server_command(), "--host", "0.0.0.0", "--port", "0", "--models", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--token" in proc.stderr and "--tls-cert" in proc.stderr


def test_pure_python_client_against_the_console_script(tmp_path: Path) -> None:
    block = tmp_path / "block"
    block.mkdir()
    (block / "sitecustomize.py").write_text(BLOCK_GRPC)
    server = ServerProcess("--port", "0", "--models", str(tmp_path / "models"))
    try:
        script = textwrap.dedent(
            f"""
            import json, sys
            from google.protobuf.internal import api_implementation
            from host_plugin.client import Client, RawImage
            try:
                import grpc  # noqa: F401
                raise SystemExit("grpc was importable")
            except ImportError:
                pass
            pixels = bytes(range(256)) * (32 * 24 * 3 // 256)
            with Client(address={server.address!r}) as c:
                info = c.server_info()
                updates = []
                done = c.train(RawImage(32, 24, 3, pixels), preset="tiny", name="pure",
                               overrides={{"train.iterations": 3, "train.d_steps": 1, "train.g_steps": 1}},
                               on_update=updates.append)
                samples = c.generate(done.model_id, n=2, seed=1)
            print(json.dumps({{
                "protobuf": api_implementation.Type(),
                "grpc_loaded": any(m == "grpc" or m.startswith("grpc.") for m in sys.modules),
                "version": info.version, "state": done.state, "updates": len(updates),
                "samples": [[s.width, s.height] for s in samples],
            }}))
            """
        )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(block), str(REPO)])
        env["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"
        proc = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path
        )
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["protobuf"] == "python"
        assert not result["grpc_loaded"]
        assert result["state"] == "SUCCEEDED" and result["updates"] >= 3
        assert result["samples"] == [[32, 24], [32, 24]]
        assert server.terminate() == 0
        log = "".join(server.stderr_lines)
        assert "Train ipv4:127.0.0.1" in log and "Generate" in log  # one line per request
    finally:
        server.kill()


def test_token_required_beyond_loopback(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-for-tests\n")
    server = ServerProcess(
        "--host", "0.0.0.0", "--port", "0", "--models", str(tmp_path / "m"), "--token-file", str(token_file)
    )
    port = server.address.rsplit(":", 1)[1]
    try:
        with Client(address=f"127.0.0.1:{port}") as anonymous:
            with pytest.raises(Unauthenticated, match="bearer token"):
                anonymous.server_info()
        with Client(address=f"127.0.0.1:{port}", token="wrong") as wrong:
            with pytest.raises(Unauthenticated):
                wrong.list_models()
        with Client(address=f"127.0.0.1:{port}", token="s3cret-token-for-tests") as good:
            assert good.server_info().auth_required
        assert server.terminate() == 0
    finally:
        server.kill()


def test_sigterm_mid_training_then_resume_on_restart(tmp_path: Path) -> None:
    models = tmp_path / "models"
    overrides = {
        "train.iterations": 15,
        "train.lr_decay_iteration": 12,
        "train.d_steps": 1,
        "train.g_steps": 1,
    }
    server = ServerProcess("--port", "0", "--models", str(models))
    try:
        first_scale = threading.Event()
        seen: list = []
        outcome: dict = {}

        def on_update(u) -> None:
            seen.append(u)
            if u.scales_done >= 1:
                first_scale.set()

        def run() -> None:
            with Client(address=server.address) as c:
                outcome["last"] = c.train(
                    make_image(7), preset="tiny", overrides=overrides, on_update=on_update
                )

        worker = threading.Thread(target=run)
        worker.start()
        assert first_scale.wait(120), "first scale never finished"
        assert server.terminate() == 0  # SIGTERM: stop at a safe point
        worker.join(30)
        assert outcome["last"].state == "INTERRUPTED"
        job_id = seen[0].job_id
        record = json.loads((models / "jobs" / f"{job_id}.json").read_text())
        assert record["state"] == "INTERRUPTED" and record["scales_done"] >= 1
    finally:
        server.kill()

    restarted = ServerProcess("--port", "0", "--models", str(models))
    try:
        with Client(address=restarted.address) as c:
            updates: list = []
            done = c.watch_job(job_id, on_update=updates.append)
            assert done.state == "SUCCEEDED", done.error
            trained = [u.scale for u in updates if u.state == "RUNNING" and u.iteration > 0]
            assert trained and min(trained) >= record["scales_done"], (
                "restarted from scratch instead of resuming"
            )
            assert c.get_model(done.model_id).complete
        assert "resuming job" in "".join(restarted.stderr_lines)
        assert restarted.terminate() == 0
    finally:
        restarted.kill()
