"""Host tests in real Krita with the managed local server: the test starts no server. The plugin,
installed by ``installers/krita.py``, is set to "local (managed)" with this Python's environment as the
server's; it starts ``singan-server`` itself, trains the tiny preset, and Krita quits. Idle at the quit,
the server is gone afterwards; with a training running, it stays (the test then stops it).

Needs Debian's ``krita`` and ``python3-pyqt5`` (``kritarunner`` on PATH), as tests/hosts/test_krita.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest

from host_plugin.client import Client, ConnectionSettings
from host_plugin.common.managed_server import ManagedServer, pid_alive
from installers import krita as krita_installer

pytestmark = pytest.mark.host

HARNESS_DIR = Path(__file__).resolve().parent
SERVER_ENV = Path(sysconfig.get_path("scripts")).parent  # holds bin/singan-server and bin/python
QUICK = {"train.iterations": "6", "train.lr_decay_iteration": "5", "train.d_steps": "1", "train.g_steps": "1"}
LONG = {"train.iterations": "4000", "train.lr_decay_iteration": "3000"}
TIMEOUT_S = 300


def _run_krita(root: Path, variant: str, overrides: dict[str, str]) -> dict:
    kritarunner = shutil.which("kritarunner")
    if kritarunner is None:
        pytest.fail("kritarunner not found: apt-get install --no-install-recommends krita python3-pyqt5")
    assert (SERVER_ENV / "bin" / "singan-server").exists(), f"no singan-server in {SERVER_ENV}/bin"
    dirs = {name: root / name for name in ("home", "data", "config", "cache")}
    for path in dirs.values():
        path.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        HOME=str(dirs["home"]),
        XDG_DATA_HOME=str(dirs["data"]),
        XDG_CONFIG_HOME=str(dirs["config"]),
        XDG_CACHE_HOME=str(dirs["cache"]),
        QT_QPA_PLATFORM="offscreen",
        PATH=os.pathsep.join(dict.fromkeys([str(Path(kritarunner).parent), "/usr/bin", "/bin"])),
    )
    pykrita = dirs["data"] / "krita" / "pykrita"
    krita_installer.install(pykrita, kritarc=dirs["config"] / "kritarc")
    spec, result = root / "spec.json", root / "result.json"
    spec.write_text(
        json.dumps(
            {"server_env": str(SERVER_ENV), "variant": variant, "overrides": overrides, "workdir": str(root)}
        )
    )
    env.update(
        PYTHONPATH=os.pathsep.join([str(pykrita), str(HARNESS_DIR)]),
        SINGAN_KRITA_SPEC=str(spec),
        SINGAN_KRITA_RESULT=str(result),
    )
    started = time.monotonic()
    proc = subprocess.run(
        [kritarunner, "-s", "krita_managed_harness", "-f", "main"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    log = (proc.stdout + proc.stderr)[-4000:]
    if not result.exists():
        pytest.fail(f"the harness wrote no result (exit {proc.returncode}); Krita's output:\n{log}")
    data = json.loads(result.read_text())
    data.update(
        krita_seconds=time.monotonic() - started, output=log, folder=str(dirs["data"] / "singan-studio")
    )
    assert data.get("fatal") is None, data["fatal"] + log
    status = data["steps"]["status"]
    assert status["ok"] and status["value"]["connected"], f"{status}\n{log}"
    return data


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not pid_alive(pid)


def test_plugin_starts_the_managed_server_trains_and_the_server_goes_with_krita(tmp_path: Path) -> None:
    run = _run_krita(tmp_path, "idle", QUICK)
    status = run["steps"]["status"]["value"]
    assert status["heard"] == ["starting the local server..."]
    assert status["server"] == "local (managed)" and status["message"].startswith("connected: local server")
    assert status["device"] and status["version"]
    print(f"first managed start from Krita: {status['seconds']} s (status call, server start included)")
    state = run["state"]
    assert state["users"] == [run["krita_pid"]] and state["host"] == "127.0.0.1"
    dialog = run["steps"]["dialog"]
    assert dialog["ok"], dialog.get("traceback")
    assert dialog["value"]["choices"] == ["local (managed)", "address + token"]
    assert dialog["value"]["current"] == "local (managed)" and not dialog["value"]["address_enabled"]
    assert dialog["value"]["in_use"] == "local (managed)"
    assert dialog["value"]["status"] == status["message"] and status["device"] in status["message"]
    assert dialog["value"]["log"] == run["log"]
    train = run["steps"]["train"]
    assert train["ok"], train.get("traceback")
    assert train["value"]["model_id"]
    models = Path(run["folder"]) / "models"
    assert any(models.iterdir()), f"no model saved in {models}"
    assert "singan-server ready on 127.0.0.1" in Path(run["log"]).read_text()
    assert _wait_gone(state["pid"], 30), f"the managed server (pid {state['pid']}) outlived Krita"
    manager = ManagedServer(folder=Path(run["folder"]))
    deadline = time.monotonic() + 10  # the stopper removes the state file just after the process
    while manager.read_state() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert manager.read_state() is None


def test_a_training_running_at_quit_keeps_the_server(tmp_path: Path) -> None:
    run = _run_krita(tmp_path, "training", LONG)
    started = run["steps"]["start_training"]
    assert started["ok"], started.get("traceback")
    state = run["state"]
    manager = ManagedServer(folder=Path(run["folder"]))
    try:
        time.sleep(8)  # several of the watcher's rounds after Krita is gone
        assert pid_alive(state["pid"]), "the server was stopped although a training was running"
        settings = ConnectionSettings(address=f"127.0.0.1:{state['port']}", token=state["token"])
        with Client(settings) as client:
            assert [j.job_id for j in client.list_jobs(active_only=True)] == [started["value"]["job_id"]]
    finally:
        manager.stop()
    assert _wait_gone(state["pid"], 30)
