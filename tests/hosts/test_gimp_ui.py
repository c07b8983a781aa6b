"""Host tests in the whole GIMP 3 with its windows (``gimp-3.0`` on Xvfb inside the trixie chroot, see
``gimp_chroot.py``): what needs GIMP's UI. ``gimp_ui_script.py`` runs inside GIMP; this side watches its
marks and the screen: it presses Ctrl+Z in the image window (one Generate = one undo step), screenshots
the Harmonize and Train dialogs and presses Escape, and kills the plug-in during a long Generate the way
GIMP's Cancel does (the image keeps no layer and stays clean: no undo step).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import gimp_chroot
import pytest
from test_gimp import _install, _plugin_pids, _sample_png, gimp_root  # noqa: F401  (a fixture)

from inference_server.server import build_server

pytestmark = [pytest.mark.host, pytest.mark.slow]

SCRIPT = Path(__file__).with_name("gimp_ui_script.py")
SHOT = """
import sys, gi
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk
x, y, w, h = (int(v) for v in sys.argv[1:5])
Gdk.pixbuf_get_from_window(Gdk.get_default_root_window(), x, y, w, h).savev(sys.argv[5], "png", [], [])
"""
DIALOGS = {"SinGAN: Harmonize": "gimp_harmonize_dialog.png", "SinGAN: Train": "gimp_training_dialog.png"}
CHANGED = "gimp_training_dialog_1500.png"  # the Train dialog after Iterations became 1500


def _geometry(chroot: gimp_chroot.GimpChroot, display: str, window: str) -> dict[str, str]:
    shell = chroot.xdotool(display, "getwindowgeometry", "--shell", window)
    return dict(line.split("=", 1) for line in shell.split())


def _windows(chroot: gimp_chroot.GimpChroot, display: str) -> list[tuple[str, str, int]]:
    """(id, name, area) of the visible windows."""
    found = []
    for window in chroot.xdotool(display, "search", "--onlyvisible", "--name", ".").split():
        g = _geometry(chroot, display, window)
        area = int(g.get("WIDTH", 0)) * int(g.get("HEIGHT", 0))
        found.append((window, chroot.xdotool(display, "getwindowname", window), area))
    return found


def _screenshot(chroot: gimp_chroot.GimpChroot, display: str, window: str, out: Path) -> None:
    """A window (or the whole ``root`` screen) as PNG, grabbed inside the chroot with Gdk."""
    g = (
        {"X": 0, "Y": 0, "WIDTH": 1280, "HEIGHT": 1024}
        if window == "root"
        else _geometry(chroot, display, window)
    )
    script = chroot.home_outside / "shot.py"
    script.write_text(SHOT)
    x, y, w, h = (g[k] for k in ("X", "Y", "WIDTH", "HEIGHT"))
    os.system(
        f"chroot {chroot.root} /usr/bin/env DISPLAY={display} /usr/bin/python3 "
        f"{chroot.to_inside(script)} {x} {y} {w} {h} {chroot.to_inside(out)}"
    )


def run_watched(
    chroot: gimp_chroot.GimpChroot,
    display: str,
    script: str,
    harness: Callable[[threading.Event], None],
    timeout: float,
) -> gimp_chroot.GimpRun:
    """``script`` in the whole GIMP on ``display`` (what the dialogs show also goes to its output:
    ``SINGAN_GIMP_DIALOG_LOG``) while ``harness(stop)`` watches the screen from a thread."""
    stop = threading.Event()
    thread = threading.Thread(target=harness, args=(stop,), daemon=True)
    thread.start()
    try:
        return chroot.run_batch(
            script,
            timeout=timeout,
            env={"DISPLAY": display, "SINGAN_GIMP_DIALOG_LOG": "1"},
            binary=gimp_chroot.GIMP_UI,
            flags="-df",
        )
    finally:
        stop.set()
        thread.join()


@pytest.fixture(scope="module")
def ui_run(gimp_root: Path) -> dict:  # noqa: F811
    from PIL import Image

    with tempfile.TemporaryDirectory() as models, build_server(port=0, models_dir=Path(models)) as server:
        with gimp_chroot.session(gimp_root) as chroot, chroot.display(98) as display:
            _install(chroot)
            home = chroot.home_outside
            big = home / "big.png"
            Image.open(_sample_png(chroot, (96, 72))).resize((1600, 1200)).save(big)
            small = _sample_png(chroot, (96, 72))
            marks = home / "mark-"
            params = {
                "address": server.address,
                "png": chroot.to_inside(small),
                "big_png": chroot.to_inside(big),
                "marks": chroot.to_inside(home) + "/mark-",
                "result": chroot.to_inside(home / "result.json"),
            }
            seen: dict[str, object] = {"shots": {}, "undo_keys": 0, "killed": []}

            def harness(stop: threading.Event) -> None:
                pending = dict(DIALOGS)
                while not stop.wait(0.3):
                    if Path(f"{marks}undo-ready").exists() and not seen["undo_keys"]:
                        # the image window ("[sample] (imported)-1.0 (...) - GIMP"), once GIMP maps it
                        images = [w for w in _windows(chroot, display) if w[1].endswith("GIMP")]
                        seen["windows"] = _windows(chroot, display)
                        if images:
                            time.sleep(1.0)
                            target = max(images, key=lambda w: w[2])[0]
                            chroot.xdotool(display, "windowfocus", "--sync", target, "key", "ctrl+z")
                            seen["undo_keys"] = 1
                        elif not (home / "undo_screen.png").exists():
                            _screenshot(chroot, display, "root", home / "undo_screen.png")
                    for title, name in list(pending.items()):
                        windows = chroot.xdotool(display, "search", "--name", f"^{title}$").split()
                        if windows:
                            time.sleep(4.0)  # mapped, drawn, the estimate / the preview arrived
                            _screenshot(chroot, display, windows[0], home / name)
                            seen["shots"][name] = (home / name).exists()
                            if title == "SinGAN: Train":  # more iterations: the Time line follows
                                chroot.xdotool(display, "windowfocus", "--sync", windows[0], "key", "alt+i")
                                chroot.xdotool(display, "key", "ctrl+a", "type", "1500")
                                chroot.xdotool(display, "key", "Tab")
                                time.sleep(4.0)
                                _screenshot(chroot, display, windows[0], home / CHANGED)
                            chroot.xdotool(display, "windowfocus", "--sync", windows[0], "key", "Escape")
                            del pending[title]
                    if Path(f"{marks}cancel-ready").exists() and not seen["killed"]:
                        time.sleep(3.0)  # the long Generate is under way
                        pids = _plugin_pids()
                        for pid in pids:
                            os.kill(pid, 9)
                        seen["killed"] = pids or [-1]
                    if Path(f"{marks}done").exists():
                        return

            run = run_watched(chroot, display, f"PARAMS = {params!r}\n" + SCRIPT.read_text(), harness, 500)
            result = home / "result.json"
            assert result.exists(), f"no result (GIMP exit {run.returncode}):\n{run.output[-6000:]}"
            data = json.loads(result.read_text())
            shots = Path(os.environ.get("SINGAN_SHOTS", tempfile.mkdtemp(prefix="singan-gimp-shots-")))
            shots.mkdir(parents=True, exist_ok=True)
            for name in (*DIALOGS.values(), CHANGED, "undo_screen.png"):
                if (home / name).exists():
                    (shots / name).write_bytes((home / name).read_bytes())
            data.update(seen=seen, output=run.output, shots_dir=str(shots))
    assert data["fatal"] is None, data["fatal"] + data["output"][-3000:]
    return data


def test_one_generate_is_one_undo_step(ui_run: dict) -> None:
    undo = ui_run["undo"]
    assert len(undo["after"]) == len(undo["before"]) + 3, undo
    assert ui_run["seen"]["undo_keys"] == 1, ui_run["seen"]
    assert undo["undone"] == undo["before"], (undo, ui_run["output"][-2000:])  # one Ctrl+Z: all three gone


def test_the_dialogs_open_and_are_screenshotted(ui_run: dict) -> None:
    from PIL import Image

    for call in ("harmonize dialog", "train dialog"):
        assert ui_run["calls"][call]["status"] == "CANCEL", ui_run["calls"][call]
    for name in DIALOGS.values():
        assert ui_run["seen"]["shots"].get(name), ui_run["seen"]
        with Image.open(Path(ui_run["shots_dir"]) / name) as img:
            assert img.width > 200 and img.height > 150, img.size
            assert len(set(img.convert("L").tobytes())) > 20, f"{name} is blank"


def _dialog_lines(ui_run: dict, start: str) -> list[str]:
    marker = "SinGAN dialog: "
    lines = [line.split(marker, 1)[1] for line in ui_run["output"].splitlines() if marker in line]
    return [line for line in lines if line.startswith(start)]


def test_the_harmonize_dialog_names_its_model_and_shows_a_preview(ui_run: dict) -> None:
    from PIL import Image

    (line, *_more) = _dialog_lines(ui_run, "Model: ") or [ui_run["output"][-3000:]]
    model, caption = line.split(" | ")
    # named after image / layer with the model's size (a script-loaded image has no file: "Untitled-1";
    # File > Open names it after its file, see GimpDocument.name)
    assert re.fullmatch(r"Model: \S+ / Background, \d+x\d+, tiny", model), model
    assert caption.startswith("preview at the model's size (") and "(without fine-tuning)" in caption
    # the preview is the only colour in GIMP's grey dialog: the balloons' sky and balloons
    with Image.open(Path(ui_run["shots_dir"]) / "gimp_harmonize_dialog.png") as img:
        rgb = img.convert("RGB")
        data = rgb.tobytes()
    coloured = sum(1 for i in range(0, len(data), 3) if max(data[i : i + 3]) - min(data[i : i + 3]) > 60)
    assert coloured > 2000, coloured


def test_the_train_dialog_says_preset_for_the_presets_values(ui_run: dict) -> None:
    """Iterations and model size at 0 (the preset's own) read "preset", as in Krita's docker, not "0"."""
    for name in ("iterations", "max-size"):
        assert _dialog_lines(ui_run, f"{name}: ") == [f"{name}: preset"], ui_run["output"][-3000:]


def test_the_train_dialogs_time_follows_the_options(ui_run: dict) -> None:
    times = _dialog_lines(ui_run, "Time: ")
    assert len(times) >= 2 and all("on this server" in t or "first guess" in t for t in times), times
    assert times[0] != times[-1], times  # 1500 iterations per scale: a longer training


def test_a_long_inference_cancelled_leaves_the_image_unchanged(ui_run: dict) -> None:
    cancel, call = ui_run["cancel"], ui_run["calls"]["long generate"]
    assert ui_run["seen"]["killed"] and ui_run["seen"]["killed"] != [-1]
    assert call["status"] != "SUCCESS" and call["seconds"] < 30, call  # killed, not finished
    assert cancel["after"] == cancel["before"]  # no layer
    assert not cancel["dirty_before"] and not cancel["dirty_after"]  # no undo step either
