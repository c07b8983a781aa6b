"""Screenshot of the SinGAN docker in a real Krita window (not a test; needs Xvfb, Krita, a free display).

    python tests/hosts/krita_screenshot.py OUT.png [--display :97] [--image PATH]

Installs the plugin with ``installers/krita.py`` into a temporary resource folder, starts a real server
on loopback, starts ``Xvfb`` and ``krita IMAGE`` there, and lets a small helper plugin show the docker,
start a training so the progress bar and preview have something to show, grab the main window with Qt
and quit Krita.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

HELPER = """
from krita import Extension, Krita
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QDockWidget

OUT = {out!r}


class Shot(Extension):
    def setup(self):
        pass

    def createActions(self, window):
        QTimer.singleShot(6000, self.prepare)

    def prepare(self):
        from singan_studio import api
        window = Krita.instance().activeWindow()
        for dock in window.qwindow().findChildren(QDockWidget):
            if dock.objectName() == "singan_studio_docker":
                dock.show()
                dock.raise_()
        doc = Krita.instance().activeDocument()
        window.activeView().canvas().setZoomLevel(1.0) if window.activeView() else None
        doc.setActiveNode(doc.rootNode().childNodes()[0])
        from PyQt5.QtWidgets import QPushButton
        for dock in window.qwindow().findChildren(QDockWidget):
            if dock.objectName() == "singan_studio_docker":
                button = [b for b in dock.findChildren(QPushButton) if b.text() == "Train on this layer"][0]
                button.click()
        QTimer.singleShot({wait_ms}, self.grab)

    def grab(self):
        window = Krita.instance().activeWindow().qwindow()
        window.grab().save(OUT)
        Krita.instance().action("file_quit").trigger()


Krita.instance().addExtension(Shot(Krita.instance()))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--display", default=":97")
    parser.add_argument("--image", type=Path, default=REPO / "singan_core" / "assets" / "balloons.png")
    parser.add_argument("--wait", type=float, default=20.0, help="seconds of training before the grab")
    args = parser.parse_args()

    from inference_server.server import build_server
    from installers import krita as installer

    root = Path(tempfile.mkdtemp(prefix="singan-krita-shot-"))
    pykrita = root / "data" / "krita" / "pykrita"
    installer.install(pykrita, kritarc=root / "config" / "kritarc")
    helper = pykrita / "singan_shot"
    helper.mkdir()
    out = args.out.resolve()
    (helper / "__init__.py").write_text(HELPER.format(out=str(out), wait_ms=int(args.wait * 1000)))
    (pykrita / "singan_shot.desktop").write_text(
        "[Desktop Entry]\nType=Service\nServiceTypes=Krita/PythonPlugin\nX-KDE-Library=singan_shot\n"
        "X-Python-2-Compatible=false\nName=SinGAN screenshot helper\n"
    )
    with open(root / "config" / "kritarc", "a", encoding="utf-8") as fh:
        fh.write("enable_singan_shot=true\n")  # the installer ended the file inside [python]

    server = build_server(port=0, models_dir=root / "models")
    kritarc = root / "config" / "kritarc"
    kritarc.write_text(
        kritarc.read_text() + f"\n[SinGAN Studio]\naddress={server.address}\ndefault_preset=tiny\n"
    )
    env = dict(os.environ, HOME=str(root / "home"), XDG_DATA_HOME=str(root / "data"),
               XDG_CONFIG_HOME=str(root / "config"), DISPLAY=args.display)  # fmt: skip
    env["PATH"] = "/usr/bin:/bin"  # Krita's Python finds its prefix via the first python3 on PATH
    env.pop("PYTHONPATH", None)
    (root / "home").mkdir()
    xvfb = subprocess.Popen(["Xvfb", args.display, "-screen", "0", "1600x1000x24"], stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        krita = subprocess.run(
            ["krita", "--nosplash", str(args.image)], env=env, capture_output=True, text=True, timeout=180
        )
        if not out.exists():
            print(krita.stdout[-3000:], krita.stderr[-3000:])
            return 1
        print(f"wrote {out}")
        return 0
    finally:
        xvfb.terminate()
        xvfb.wait()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
