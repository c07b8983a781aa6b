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
from native_check import check_native_variations, read_rgba, save_strip
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
        shots = root / "shots"
        shots.mkdir()
        spec.write_text(
            json.dumps(
                {"address": server.address, "overrides": QUICK, "shots": str(shots), "workdir": str(root)}
            )
        )
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
    data["shots_dir"] = str(shots)
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


def test_the_training_estimate_is_a_default_first_then_measured(window_run: dict) -> None:
    before, after = step(window_run, "estimate_before"), step(window_run, "estimate_after")
    trained = step(window_run, "train")["model_id"]
    assert before["basis"].startswith("a default for this device") and not before["already"]
    assert after["basis"] == "measured on this server (1 training)" and after["already"]
    assert before["id"] == after["id"] == trained and before["seconds"] > 0


def test_cancelling_a_long_inference_leaves_the_document_unchanged(window_run: dict) -> None:
    """Generate 8 x 1600x1600 (about 40 s here) cancelled after 2 s: no layer, and one Undo removes the
    harmonize before it (the cancelled call added no undo step)."""
    run = step(window_run, "cancel_long_call")
    assert run["kept"] == ["Harmonized"] and run["before"][-1] == "Harmonized"
    assert run["events"] == ["started", "failed"] and run["error"] == "Cancelled"
    assert run["after"] == run["before"]
    assert run["undone"] == run["before"][:-1]
    assert 0 <= run["cancel_to_end_s"] < 10, run


def test_the_harmonize_and_generate_dialogs_show_a_preview(window_run: dict) -> None:
    """Harmonize's preview: a real call at the model's size on the selection, shown as a pixmap; a
    changed seed renders once more (debounced). Generate's: its variation 1 at the model's size."""
    shots = step(window_run, "screenshots")
    assert shots["preview"] and min(shots["preview"]) > 20, shots
    assert shots["preview_note"].startswith("preview at the model's size"), shots["preview_note"]
    assert shots["preview_note"].endswith("(without fine-tuning)"), shots["preview_note"]
    assert shots["preview_renders"] == 2, shots
    assert shots["generate_preview_note"].startswith("variation 1 at the model's size ("), shots


def test_dialog_screenshots_are_taken(window_run: dict) -> None:
    from PIL import Image

    shots = step(window_run, "screenshots")
    assert "on this server" in shots["estimate_text"], shots["estimate_text"]
    assert shots["fine_tune_shown"] is True  # Harmonize offers "Fine-tune first"
    # the docker names the model after document / layer with the size it works at, and says the scale
    assert shots["model_label"].startswith("undo / Source, ") and shots["model_label"].endswith(", tiny")
    assert "new layer 'Harmonized'" in shots["docker_message"], shots
    assert "model: 1 px = " in shots["docker_message"], shots
    for name in ("krita_harmonize_dialog.png", "krita_generate_dialog.png", "krita_training_options.png"):
        with Image.open(Path(window_run["shots_dir"]) / name) as img:
            assert img.width > 200 and img.height > 100, (name, img.size)
            assert len(set(img.convert("L").tobytes())) > 20, f"{name} is blank"


def test_variations_at_document_size_have_the_documents_detail(window_run: dict) -> None:
    """Issue 13: a tiny model trained on a 640x480 selection of a 1600x1200 sharp texture; Generate
    variations at document size (the plugin sends the trained region as the exemplar): each variation
    lies exactly over the trained region, is as sharp as the source there, the source is untouched, and
    one Undo removes them all."""
    gen = step(window_run, "generate_native")
    x, y, rw, rh = gen["region"]
    (record,) = gen["records"]
    assert record["region"] == {"x": x, "y": y, "width": rw, "height": rh}, record
    assert gen["names"] == ["Variation 1", "Variation 2"]
    for name in gen["names"]:
        assert gen["bounds"][name] == [x, y, rw, rh], (name, gen["bounds"])
    assert gen["rects"] == [{"x": x, "y": y, "width": rw, "height": rh}] * 2
    w, h = gen["size"]
    before, after = (read_rgba(gen["files"][k], w, h) for k in ("before", "after"))
    variations = [read_rgba(gen["files"][name], rw, rh) for name in gen["names"]]
    ratios = check_native_variations((x, y, rw, rh), before, after, variations)
    save_strip("krita_variations_at_document_size.png", (x, y, rw, rh), before[:, :, [2, 1, 0, 3]],
               [v[:, :, [2, 1, 0, 3]] for v in variations])  # fmt: skip
    assert gen["after"] == gen["before"] + ["SinGAN variations (Photo)"]
    assert gen["undone"] == gen["before"], gen  # one Undo removes the group and both variations
    print(
        f"Krita variations at document size: sharpness ratios {[round(r, 3) for r in ratios]}, "
        f"train {gen['train_s']} s, generate {gen['generate_s']} s, {gen['message']}"
    )
