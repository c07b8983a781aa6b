"""Real Krita with a window: the plugin installed by ``installers/krita.py`` into a temporary resource
folder, a helper plugin (Python source) that drives it once Krita is up, a virtual display (``Xvfb``).
Used by ``test_krita_window.py`` (what needs a view: Undo) and ``krita_screenshot.py``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from installers import krita as installer

HELPER_DESKTOP = (
    "[Desktop Entry]\nType=Service\nServiceTypes=Krita/PythonPlugin\nX-KDE-Library={name}\n"
    "X-Python-2-Compatible=false\nName=SinGAN test helper {name}\n"
)


def install(root: Path, helper_name: str, helper_source: str, address: str, preset: str = "tiny") -> dict:
    """Install the plugin and the helper under ``root``; returns the environment to start Krita with."""
    pykrita = root / "data" / "krita" / "pykrita"
    kritarc = root / "config" / "kritarc"
    installer.install(pykrita, kritarc=kritarc)
    helper = pykrita / helper_name
    helper.mkdir()
    (helper / "__init__.py").write_text(helper_source)
    (pykrita / f"{helper_name}.desktop").write_text(HELPER_DESKTOP.format(name=helper_name))
    with open(kritarc, "a", encoding="utf-8") as fh:
        fh.write(f"enable_{helper_name}=true\n")  # the installer ended the file inside [python]
        fh.write(f"\n[SinGAN Studio]\naddress={address}\ndefault_preset={preset}\n")
    (root / "home").mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(root / "home"), XDG_DATA_HOME=str(root / "data"),
               XDG_CONFIG_HOME=str(root / "config"))  # fmt: skip
    env["PATH"] = "/usr/bin:/bin"  # Krita's Python finds its prefix via the first python3 on PATH
    for key in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "QT_QPA_PLATFORM"):
        env.pop(key, None)
    return env


@contextlib.contextmanager
def xvfb(display: str, size: str = "1600x1000x24") -> Iterator[str]:
    """A virtual display for the duration; yields its ``DISPLAY`` value.

    Ready means: our own Xvfb is still running and answers an X11 connection set-up on the socket. A
    bare connect is not enough: when another process took the same display number between
    :func:`free_display`'s look and our start (engineers' suites run side by side), our Xvfb exits, the
    socket still answers (theirs), and Krita later fails with "could not connect to display". Then the
    next free number is tried."""
    for _ in range(5):
        # -noreset: an X server resets when its last client goes, and our readiness probe is a client;
        # Krita connecting during that reset failed with "could not connect to display" (1 run in 2).
        proc = subprocess.Popen(
            ["Xvfb", display, "-noreset", "-screen", "0", size], stderr=subprocess.DEVNULL
        )
        try:
            if _ready(proc, display):
                yield display
                return
        finally:
            proc.terminate()
            proc.wait()
        display = free_display(int(display.lstrip(":")) + 1)
    raise RuntimeError("no Xvfb display could be started (5 display numbers tried)")


def _ready(proc: subprocess.Popen, display: str) -> bool:
    """True once ``proc`` (Xvfb on ``display``) accepts an X11 set-up; False if it exited (display taken)."""
    path = f"/tmp/.X11-unix/X{display.lstrip(':')}"
    setup = b"l\0" + (11).to_bytes(2, "little") + bytes(8)  # byte order, protocol 11.0, no authorisation
    for _ in range(300):  # a busy machine can take seconds
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
            probe.settimeout(2.0)
            probe.connect(path)
            probe.sendall(setup)
            if probe.recv(1) == b"\x01":  # 1 = success
                time.sleep(0.2)
                return proc.poll() is None
        time.sleep(0.1)
    raise RuntimeError(f"Xvfb {display} did not accept connections within 30 s")


def free_display(first: int = 90) -> str:
    for number in range(first, first + 60):
        if not Path(f"/tmp/.X{number}-lock").exists():
            return f":{number}"
    raise RuntimeError("no free X display number")


def run_krita(env: dict, display: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["krita", "--nosplash", *args],
        env=dict(env, DISPLAY=display),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
