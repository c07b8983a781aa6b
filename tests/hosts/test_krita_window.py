"""Host tests in a real Krita window (``krita`` under ``Xvfb``): one action is one Undo step.

``kritarunner`` (test_krita.py) has no window and so no Undo action; here a helper plugin waits for
Krita's window, runs ``krita_window_harness`` in it against a real server on loopback, and presses
Krita's own Undo once after each action. Needs Debian's ``krita``, ``python3-pyqt5`` and ``xvfb``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import krita_window
import pytest
from test_krita import QUICK, step

from inference_server.server import build_server

pytestmark = pytest.mark.host

HARNESS_DIR = Path(__file__).resolve().parent
TIMEOUT_S = 400

HELPER = """
import sys
from krita import Extension, Krita
from PyQt5.QtCore import QTimer

sys.path.insert(0, {harness_dir!r})


class Run(Extension):
    def setup(self):
        pass

    def createActions(self, window):
        QTimer.singleShot(3000, self.run)

    def run(self):
        import krita_window_harness

        krita_window_harness.main()


Krita.instance().addExtension(Run(Krita.instance()))
"""


@pytest.fixture(scope="module")
def window_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    for tool in ("krita", "Xvfb"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: apt-get install --no-install-recommends krita python3-pyqt5 xvfb")
    root = tmp_path_factory.mktemp("krita-window")
    server = build_server(port=0, models_dir=root / "models")
    try:
        env = krita_window.install(root, "singan_window_test", HELPER.format(harness_dir=str(HARNESS_DIR)),
                                   server.address)  # fmt: skip
        spec, result = root / "spec.json", root / "result.json"
        spec.write_text(json.dumps({"address": server.address, "overrides": QUICK}))
        env.update(SINGAN_KRITA_SPEC=str(spec), SINGAN_KRITA_RESULT=str(result))
        with krita_window.xvfb(krita_window.free_display()) as display:
            try:
                proc = krita_window.run_krita(env, display, [], TIMEOUT_S)
                log = (proc.stdout + proc.stderr)[-4000:]
            except subprocess.TimeoutExpired as err:
                log = f"Krita still running after {TIMEOUT_S} s: {str(err.stdout or '')[-2000:]}"
    finally:
        server.stop()
    if not result.exists():
        pytest.fail(f"the window harness wrote no result; Krita's output:\n{log}")
    data = json.loads(result.read_text())
    data["log"] = log
    if not data.get("finished"):
        pytest.fail(f"Krita stopped mid-scenario; partial results {list(data['steps'])}:\n{log}")
    assert data.get("fatal") is None, data["fatal"]
    return data


def test_generate_variations_is_one_undo_step(window_run: dict) -> None:
    assert window_run["undo_action"]
    step(window_run, "train")
    gen = step(window_run, "generate_undo")
    assert gen["names"] == ["Variation 1", "Variation 2", "Variation 3"]
    assert gen["after"] == gen["before"] + ["SinGAN variations (Source)"]
    assert gen["undone"] == gen["before"]  # one Ctrl-Z removes the group and its three layers


def test_harmonize_is_one_undo_step(window_run: dict) -> None:
    harm = step(window_run, "harmonize_undo")
    assert harm["names"] == ["Harmonized"]
    assert harm["after"] == harm["before"] + ["Harmonized"]
    assert harm["undone"] == harm["before"]
