"""Host test in real GIMP 3 with the managed local server: the test starts no server. The plug-in,
installed as in test_gimp.py, has the settings the one-command installer records (server_mode local,
server_env this Python's environment); its Train procedure starts ``singan-server`` itself, trains the
tiny preset, GIMP quits, and the server is gone afterwards (its watcher sees GIMP, the plug-in's parent,
gone); with a training still running at the quit, the server stays (the test then stops it). GIMP runs in a chroot (gimp_chroot.py): the server's environment and this checkout are
bind-mounted into it at the same paths, so the plug-in inside starts the same singan-server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import time
from contextlib import contextmanager
from pathlib import Path

import gimp_chroot
import pytest
from test_gimp import REPO, _install, _sample_png, gimp_root  # noqa: F401 (gimp_root: the fixture)

from host_plugin.common.managed_server import ManagedServer, pid_alive

pytestmark = [pytest.mark.host, pytest.mark.slow]

SERVER_ENV = Path(sysconfig.get_path("scripts")).parent  # holds bin/singan-server and bin/python

SCRIPT = """
import json, traceback
from gi.repository import Gimp, Gio
out = {"status": None, "error": ""}
try:
    pdb = Gimp.get_pdb()
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(PARAMS["png"]))
    proc = pdb.lookup_procedure("plug-in-singan-train")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [image.get_layers()[0]])
    config.set_property("preset-name", "tiny")
    result = proc.run(config)
    out["status"] = result.index(0).value_nick.upper()
    out["error"] = pdb.get_last_error() or ""
    out["model_id"] = result.index(1) if result.length() > 1 else ""
    import os
    with open(os.path.expanduser("~/.local/share/singan-studio/managed-server.json")) as fh:
        out["state"] = json.load(fh)
    out["gimp_pid"] = os.getppid()
    if PARAMS["long_job"]:  # a training still running when GIMP quits: submitted, then no longer watched
        import sys
        sys.path[:0] = [PARAMS["plugin"] + "/_vendor", PARAMS["plugin"]]
        from host_plugin.client import CancelToken, Client, ConnectionSettings, RawImage
        state, stop_watching = out["state"], CancelToken()
        pixels = bytes((x * 7 + y * 13 + c * 50) % 256 for y in range(24) for x in range(32) for c in range(3))
        settings = ConnectionSettings(address="127.0.0.1:%d" % state["port"], token=state["token"])
        with Client(settings) as client:
            try:
                client.train(
                    RawImage(32, 24, 3, pixels), preset="tiny", retrain=True, cancel=stop_watching,
                    overrides={"train.iterations": "4000", "train.lr_decay_iteration": "3000"},
                    on_update=lambda update: stop_watching.cancel(),
                )
            except Exception as exc:
                out["stopped_watching"] = type(exc).__name__
            out["active"] = [job.job_id for job in client.list_jobs(active_only=True)]
except Exception:
    out["error"] = traceback.format_exc()
with open(PARAMS["result"], "w") as fh:
    json.dump(out, fh)
"""


def _base_python(root: Path) -> list[Path]:
    """The standard library of the Python under SERVER_ENV, where the chroot lacks it (its Python is another).

    The environment's own interpreter is a copy (``venv --copies``), so this is all it needs to start there.
    """
    stdlib = Path(
        sysconfig.get_paths(vars={"installed_base": sys.base_prefix, "base": sys.base_prefix})["stdlib"]
    )
    return [] if (root / str(stdlib).lstrip("/") / "os.py").exists() else [stdlib]


@contextmanager
def _bound(root: Path, *paths: Path):
    """``paths`` bind-mounted read-only into the chroot at the same place; unmounted afterwards."""
    targets = []
    try:
        for path in paths:
            target = root / str(path.resolve()).lstrip("/")
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--bind", str(path.resolve()), str(target)], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=False)
            targets.append(target)
        yield
    finally:
        for target in reversed(targets):
            subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.mark.parametrize("long_job", [False, True], ids=["idle at quit", "training at quit"])
def test_train_starts_the_managed_server_and_it_goes_with_gimp(gimp_root: Path, long_job: bool) -> None:  # noqa: F811
    assert (SERVER_ENV / "bin" / "singan-server").exists(), f"no singan-server in {SERVER_ENV}/bin"
    with (
        gimp_chroot.session(gimp_root) as chroot,
        _bound(gimp_root, SERVER_ENV, REPO, *_base_python(gimp_root)),
    ):
        _install(chroot)
        settings = chroot.home_outside / ".config" / "GIMP" / "3.0" / "singan-studio.json"
        settings.write_text(json.dumps({"server_mode": "local", "server_env": str(SERVER_ENV)}))
        png = _sample_png(chroot, (32, 24))
        result = chroot.home_outside / "result.json"
        plugin = chroot.to_inside(chroot.plugins_outside / "singan")
        params = {"png": chroot.to_inside(png), "result": chroot.to_inside(result), "long_job": long_job}
        params["plugin"] = plugin
        folder = chroot.home_outside / ".local" / "share" / "singan-studio"
        try:
            run = chroot.run_batch(f"PARAMS = {params!r}\n" + SCRIPT, timeout=400)
            assert result.exists(), f"no result (GIMP exit {run.returncode}):\n{run.output[-5000:]}"
            found = json.loads(result.read_text())
            log = (
                (folder / "managed-server.log").read_text()
                if (folder / "managed-server.log").exists()
                else ""
            )
            assert found["status"] == "SUCCESS", f"{found}\n{run.output[-3000:]}\nserver log:\n{log[-2000:]}"
            assert found["model_id"]
            assert "singan-server ready on 127.0.0.1" in log
            assert any((folder / "models").iterdir()), "the model was not saved in the data folder's models/"
            pid = found["state"]["pid"]
            assert found["state"]["users"] == [found["gimp_pid"]]  # GIMP, the plug-ins' parent
            if long_job:
                assert found["active"], f"no training running at GIMP's quit: {found}"
                time.sleep(8)  # several of the watcher's rounds after GIMP is gone
                assert pid_alive(pid), "the managed server was stopped although a training was running"
                assert ManagedServer(folder=folder).stop()  # the test stops it
            deadline = time.monotonic() + 30
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not pid_alive(pid), f"the managed server (pid {pid}) outlived GIMP"
            if not long_job:
                # The watcher writes its one line after the server has exited: wait for it, not for the pid.
                watch_log = folder / "managed-server-watch.log"
                while not watch_log.read_text().strip() and time.monotonic() < deadline + 10:
                    time.sleep(0.2)
                watch = watch_log.read_text()
                assert "stopped the local server" in watch, watch
        finally:  # a failed check leaves no server behind (the chroot home, with its state file, goes)
            ManagedServer(folder=folder).stop()
    print(f"GIMP run with the managed server's first start and a tiny training: {run.seconds:.1f} s")
