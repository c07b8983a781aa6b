"""Screenshot of the SinGAN docker in a real Krita window (not a test; needs Xvfb, Krita, a free display).

    python tests/hosts/krita_screenshot.py OUT.png [--display :97] [--image PATH]

Installs the plugin with ``installers/krita.py`` into a temporary resource folder, starts a real server
on loopback, starts ``Xvfb`` and ``krita IMAGE`` there, and lets a small helper plugin show the docker,
start a training so the progress bar and preview have something to show, grab the main window with Qt
and quit Krita.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "hosts"))

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

    import krita_window

    from inference_server.server import build_server

    root = Path(tempfile.mkdtemp(prefix="singan-krita-shot-"))
    out = args.out.resolve()
    server = build_server(port=0, models_dir=root / "models")
    try:
        helper = HELPER.format(out=str(out), wait_ms=int(args.wait * 1000))
        env = krita_window.install(root, "singan_shot", helper, server.address)
        with krita_window.xvfb(args.display) as display:
            krita = krita_window.run_krita(env, display, [str(args.image)], 180)
        if not out.exists():
            print(krita.stdout[-3000:], krita.stderr[-3000:])
            return 1
        print(f"wrote {out}")
        return 0
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
