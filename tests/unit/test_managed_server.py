"""The managed local server (host_plugin/common/managed_server.py) against a real singan-server: start,
reuse by a second editor, release, the watcher stopping it once its editors are gone, a crash at start
and a taken port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from host_plugin.client import Client, ConnectionSettings
from host_plugin.common import managed_server as ms

SERVER = Path(sysconfig.get_path("scripts")) / "singan-server"


def _manager(tmp_path: Path, **kwargs) -> ms.ManagedServer:
    assert SERVER.exists(), f"singan-server is not installed in {SERVER.parent}"
    options = {
        "folder": tmp_path / "data",
        "server_command": [str(SERVER), "--device", "cpu"],
        "watcher_python": sys.executable,
        "models": tmp_path / "models",
        **kwargs,
    }
    return ms.ManagedServer(**options)


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while ms.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not ms.pid_alive(pid)


@pytest.fixture
def editor():
    """A stand-in editor process (its pid is a user of the server)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc
    proc.kill()
    proc.wait()


def test_folders_per_platform():
    home = Path("/home/ann")
    assert ms.data_dir("linux", {}, home) == home / ".local/share/singan-studio"
    assert ms.data_dir("linux", {"XDG_DATA_HOME": "/x"}, home) == Path("/x/singan-studio")
    assert ms.env_dir("darwin", {}, home) == home / "Library/Application Support/singan-studio/server-env"
    win = ms.env_dir("win32", {"LOCALAPPDATA": "C:/Users/ann/AppData/Local"}, home)
    assert win == Path("C:/Users/ann/AppData/Local/singan-studio/server-env")
    assert ms.env_executable(win, "singan-server", "win32") == win / "Scripts" / "singan-server.exe"
    assert ms.env_executable(Path("/e"), "python", "linux") == Path("/e/bin/python")


def test_no_environment_is_a_clear_error(tmp_path):
    manager = ms.ManagedServer(env=tmp_path / "nowhere", folder=tmp_path / "data")
    with pytest.raises(ms.ManagedServerError, match="no server environment at .*run the installer"):
        manager.ensure()


def test_start_reuse_release_and_the_watcher(tmp_path, editor):
    first = _manager(tmp_path, user=editor.pid)
    said: list[str] = []
    state = first.ensure(said.append)
    assert said == ["starting the local server..."]
    assert state.alive() and state.port > 0 and len(state.token) >= 32
    assert "singan-server ready on 127.0.0.1" in first.log_path.read_text()
    settings = ConnectionSettings(address=state.address, token=state.token)
    with Client(settings) as client:
        assert client.server_info().version
    with pytest.raises(Exception, match="UNAUTHENTICATED|token"):
        with Client(ConnectionSettings(address=state.address, token="x" * 20)) as client:
            client.server_info()

    second = _manager(tmp_path)  # this test process as a second editor: same server, no new start
    said.clear()
    again = second.ensure(said.append)
    assert said == [] and again.pid == state.pid and again.port == state.port
    assert set(again.users) == {editor.pid, second.user}

    assert "stays" in second.release()  # the editor still uses it
    assert ms.pid_alive(state.pid)
    editor.kill()
    editor.wait()
    assert _wait_gone(state.pid, 30), "the watcher did not stop the server once its editor was gone"
    # the watcher removes the state file after the server's exit (a moment later on a loaded machine)
    deadline = time.monotonic() + 10
    while first.read_state() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first.read_state() is None, "the watcher stopped the server but left its state file"


def test_release_keeps_a_busy_server_then_stop(tmp_path):
    manager = _manager(tmp_path, watcher_python=shutil.which("true"))  # no watcher in this test
    state = manager.ensure()
    assert "training" in manager.release(busy=lambda s: s.pid == state.pid)
    assert ms.pid_alive(state.pid)
    assert manager.stop()
    assert not ms.pid_alive(state.pid) and manager.read_state() is None


def test_crash_at_start_shows_the_log(tmp_path):
    manager = _manager(tmp_path, server_command=[str(SERVER), "--max-message-mb", "1"])
    with pytest.raises(ms.ManagedServerError) as err:
        manager.ensure()
    message = str(err.value)
    assert "stopped at start (exit code 2)" in message and "run the installer again to repair" in message
    assert "--max-message-mb must be in 4..2047" in message
    assert manager.read_state() is None


@pytest.mark.parametrize("listening", [True, False], ids=["listening", "bound only"])
def test_port_taken(tmp_path, listening):
    """Found before the start (something answers there) or from the server's log (bound, not listening)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        if listening:
            taken.listen()
        port = taken.getsockname()[1]
        manager = _manager(tmp_path, port=port)
        with pytest.raises(ms.ManagedServerError, match=f"cannot listen on port {port}: the port is taken"):
            manager.ensure()


def test_settings_choose_local_or_remote(tmp_path):
    from host_plugin.common.settings import (
        REMOTE,
        MemoryStore,
        Settings,
        load_settings,
        managed_server,
        server_connection,
    )

    store = MemoryStore()
    assert load_settings(store, environ={}).managed  # a fresh install: the managed local server
    store.values["address"] = "gpu-box:6000"  # stored before there was a choice: that server
    assert load_settings(store, environ={}).server_mode == REMOTE
    store.values["server_mode"] = "local"
    assert load_settings(store, environ={}).managed
    assert load_settings(store, environ={"SINGAN_SERVER": "a:1"}).server_mode == REMOTE
    with pytest.raises(ValueError, match="the server must be one of local, remote"):
        Settings(server_mode="cloud")
    remote = Settings(address="gpu-box:6000", token="t" * 20, server_mode=REMOTE)
    assert server_connection(remote).address == "gpu-box:6000"
    local = Settings(server_env=str(tmp_path / "env"))
    assert managed_server(local, user=5).env == tmp_path / "env" and managed_server(local, user=5).user == 5
    with pytest.raises(ms.ManagedServerError, match="no server environment at"):
        server_connection(local)


def test_krita_session_starts_then_releases_the_managed_server_at_quit(tmp_path, monkeypatch):
    """What Krita's applicationClosing hook calls (kritarunner, in the host tests, never emits it)."""
    from host_plugin.common.settings import MemoryStore
    from host_plugin.krita.singan_studio import api

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the data folder and the models
    monkeypatch.delenv("SINGAN_SERVER", raising=False)
    store = MemoryStore()
    store.values.update(server_mode="local", server_env=str(SERVER.parent.parent))
    session = api.Session(store=store)
    heard: list[str] = []
    assert session.client(heard.append).server_info().version
    assert heard == ["starting the local server..."]
    state = ms.ManagedServer(folder=tmp_path / "data" / "singan-studio").read_state()
    assert state is not None and state.users == (os.getpid(),)
    assert session.release_server() == "stopped the local server"
    assert _wait_gone(state.pid, 20) and session.release_server() == ""
