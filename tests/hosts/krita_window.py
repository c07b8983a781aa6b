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
    """A virtual display for the duration; yields its ``DISPLAY`` value."""
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", size], stderr=subprocess.DEVNULL)
    try:
        path = f"/tmp/.X11-unix/X{display.lstrip(':')}"
        for _ in range(300):  # a busy machine can take seconds
            if proc.poll() is not None:
                raise RuntimeError(f"Xvfb {display} did not start (display taken?)")
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
                probe.connect(path)
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"Xvfb {display} did not accept connections within 30 s")
        yield display
    finally:
        proc.terminate()
        proc.wait()


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
