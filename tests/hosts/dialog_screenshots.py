"""The docs' dialog screenshots (docs/dialogs/), on a real photo with a real ``fast`` model, in a real
Krita window and a real GIMP 3 (not a test; the host tests take smaller ones on tiny models).

    python tests/hosts/dialog_screenshots.py OUTDIR [--only krita|gimp] [--iterations 10]

The scene: balloons.png at 3x (744x558) as the background layer, and a "pasted object" over it (the big
balloon, shrunk and tinted: the wrong light, what Harmonize is for; a layer in Krita, merged into the
background in GIMP, which harmonizes the active layer) with the selection around it.
Each editor trains a ``fast`` model (160 px; few iterations: the screenshots show the dialogs, not a
good model) on the background, then: Krita's Harmonize and Generate dialogs once their previews arrived,
and the docker after a harmonize run from it (its note) with the training estimate; GIMP's Harmonize
and Generate dialogs with their previews, and its Train dialog before and after Iterations changes to
1500.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

SCALE = 3
PATCH_BOX = (130, 0, 184, 62)  # the big balloon in balloons.png
PATCH_AT = (240, 110)  # where the pasted copy goes in the 3x document
PATCH_SHRINK = 0.55


def scene(folder: Path) -> tuple[Path, Path, tuple[int, int, int, int]]:
    """(background PNG, patch PNG, the patch's rectangle x, y, w, h in the document)."""
    from PIL import Image

    source = Image.open(REPO / "singan_core" / "assets" / "balloons.png").convert("RGB")
    background = source.resize((source.width * SCALE, source.height * SCALE), Image.LANCZOS)
    patch = source.crop(PATCH_BOX)
    size = (round(patch.width * SCALE * PATCH_SHRINK), round(patch.height * SCALE * PATCH_SHRINK))
    patch = patch.resize(size, Image.LANCZOS)
    r, g, b = patch.split()  # a warm, dim light unlike the scene's
    patch = Image.merge("RGB", (r.point(lambda v: min(255, int(v * 1.05))), g.point(lambda v: int(v * 0.75)),
                                b.point(lambda v: int(v * 0.5))))  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    background.save(folder / "background.png")
    patch.save(folder / "patch.png")
    return folder / "background.png", folder / "patch.png", (*PATCH_AT, *patch.size)


KRITA_HELPER = """
import sys
from krita import Extension, Krita
from PyQt5.QtCore import QTimer

sys.path.insert(0, {here!r})
SPEC = {spec!r}


class Shots(Extension):
    def setup(self):
        pass

    def createActions(self, window):
        QTimer.singleShot(5000, self.run)

    def run(self):
        import json, os, traceback
        out = {{}}
        try:
            out = shoot(SPEC)
        except Exception:
            out["fatal"] = traceback.format_exc()
        with open(os.path.join(SPEC["out"], "krita.json"), "w") as fh:
            json.dump(out, fh, indent=1)
        os._exit(0)


def shoot(spec):
    import os, time
    from PyQt5.QtWidgets import QDockWidget
    from krita_window_harness import _pump, _select
    from singan_studio import api
    from singan_studio.dialogs import GenerateDialog, InjectDialog
    from host_plugin.common.flows import training_overrides

    app = Krita.instance()
    doc = app.activeDocument()
    window = app.activeWindow().qwindow()
    background = doc.rootNode().childNodes()[0]
    doc.setActiveNode(background)
    out = {{"background": background.name()}}
    started = time.monotonic()
    overrides = training_overrides(spec["iterations"])
    api.train(preset="fast", layer=background.name(), use_selection=False, overrides=overrides)
    out["train_s"] = round(time.monotonic() - started, 1)
    x, y, w, h = spec["rect"]
    rgb = open(spec["patch_rgb"], "rb").read()
    bgra = bytearray(w * h * 4)
    bgra[0::4], bgra[1::4], bgra[2::4], bgra[3::4] = rgb[2::3], rgb[1::3], rgb[0::3], b"\\xff" * (w * h)
    pasted = doc.createNode("Pasted balloon", "paintlayer")
    doc.rootNode().addChildNode(pasted, None)
    pasted.setPixelData(bytes(bgra), x, y, w, h)
    doc.refreshProjection()
    doc.waitForDone()
    _select(doc, x, y, w, h)
    dialog = InjectDialog("Harmonize", window, True, "harmonize")
    dialog.show()
    _pump(60.0, until=lambda: "model's size" in dialog.preview_note.text() or "no preview" in dialog.preview_note.text())
    _pump(0.5)
    out["preview_note"] = dialog.preview_note.text()
    dialog.grab().save(os.path.join(spec["out"], "krita_harmonize_dialog.png"))
    dialog.reject()
    generate = GenerateDialog(4, window, preview=True)
    generate.show()
    _pump(60.0, until=lambda: "model's size" in generate.preview_note.text())
    _pump(0.5)
    out["generate_note"] = generate.preview_note.text()
    generate.grab().save(os.path.join(spec["out"], "krita_generate_dialog.png"))
    generate.close()
    (dock,) = [d for d in window.findChildren(QDockWidget) if d.objectName() == "singan_studio_docker"]
    dock.show()
    dock.raise_()
    dock.refresh_models()
    out["model_label"] = dock.models.currentText()
    task = api.harmonize_selection(seed=0, background=True)
    _pump(120.0, until=lambda: task.done.is_set())
    _pump(1.0)
    out["docker_message"] = dock.progress_label.text()
    dock.update_estimate()
    _pump(30.0, until=lambda: dock.estimate.text() not in ("", "asking the server..."))
    _pump(0.5)
    out["estimate"] = dock.estimate.text()
    dock.grab().save(os.path.join(spec["out"], "krita_training_options.png"))
    window.grab().save(os.path.join(spec["out"], "krita_window.png"))
    return out


Krita.instance().addExtension(Shots(Krita.instance()))
"""


def krita(out: Path, background: Path, patch: Path, rect: tuple, iterations: int) -> dict:
    import krita_window
    from PIL import Image

    from inference_server.server import build_server

    root = Path(tempfile.mkdtemp(prefix="singan-krita-docs-"))
    patch_rgb = root / "patch.rgb"
    patch_rgb.write_bytes(Image.open(patch).convert("RGB").tobytes())
    spec = {"out": str(out), "rect": list(rect), "patch_rgb": str(patch_rgb), "iterations": iterations}
    server = build_server(port=0, models_dir=root / "models")
    try:
        helper = KRITA_HELPER.format(here=str(HERE), spec=spec)
        env = krita_window.install(root, "singan_docs_shots", helper, server.address, preset="fast")
        with krita_window.xvfb(krita_window.free_display(120), size="1600x1000x24") as display:
            proc = krita_window.run_krita(env, display, [str(background)], 900)
        result = out / "krita.json"
        return json.loads(result.read_text()) if result.exists() else {"fatal": proc.stderr[-3000:]}
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


GIMP_SCRIPT = """
import json, time, traceback
import gi
gi.require_version("Gimp", "3.0")
from gi.repository import Gimp, Gio

pdb = Gimp.get_pdb()
out = {"calls": {}}


def call(name, image, layer, interactive=False, **props):
    proc = pdb.lookup_procedure(name)
    config = proc.create_config()
    mode = Gimp.RunMode.INTERACTIVE if interactive else Gimp.RunMode.NONINTERACTIVE
    config.set_property("run-mode", mode)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for key, value in props.items():
        config.set_property(key, value)
    result = proc.run(config)
    out["calls"][name + (" (dialog)" if interactive else "")] = result.index(0).value_nick


try:
    settings = pdb.lookup_procedure("plug-in-singan-settings").create_config()
    settings.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    for key, value in (("server", "remote"), ("address", PARAMS["address"]), ("token", "")):
        settings.set_property(key, value)
    pdb.lookup_procedure("plug-in-singan-settings").run(settings)
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(PARAMS["background"]))
    background = image.get_layers()[0]
    Gimp.Display.new(image)
    call("plug-in-singan-train", image, background, iterations=PARAMS["iterations"], **{"whole-layer": True})
    x, y, w, h = PARAMS["rect"]
    pasted = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(PARAMS["patch"]))
    pasted.set_name("Pasted balloon")
    image.insert_layer(pasted, None, 0)
    pasted.set_offsets(x, y)
    merged = image.merge_down(pasted, Gimp.MergeType.CLIP_TO_BOTTOM_LAYER)  # GIMP pastes into the layer
    image.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)
    call("plug-in-singan-harmonize", image, merged, interactive=True)
    Gimp.Selection.none(image)
    call("plug-in-singan-generate", image, merged, interactive=True)
    call("plug-in-singan-train", image, merged, interactive=True)
except Exception:
    out["fatal"] = traceback.format_exc()
for img in Gimp.get_images():
    img.clean_all()
with open(PARAMS["result"], "w") as handle:
    json.dump(out, handle, indent=1)
"""


def gimp(out: Path, background: Path, patch: Path, rect: tuple, iterations: int) -> dict:
    import gimp_chroot
    from test_gimp import _install
    from test_gimp_ui import _screenshot, run_watched

    from inference_server.server import build_server

    titles = {
        "SinGAN: Harmonize": "gimp_harmonize_dialog.png",
        "SinGAN: Random Samples": "gimp_generate_dialog.png",
        "SinGAN: Train": "gimp_training_dialog.png",
    }
    with tempfile.TemporaryDirectory() as models, build_server(port=0, models_dir=Path(models)) as server:
        with gimp_chroot.session() as chroot, chroot.display(96) as display:
            _install(chroot)
            home = chroot.home_outside
            for path in (background, patch):
                shutil.copy(path, home / path.name)
            params = {
                "address": server.address,
                "background": chroot.to_inside(home / background.name),
                "patch": chroot.to_inside(home / patch.name),
                "rect": list(rect),
                "iterations": iterations,
                "result": chroot.to_inside(home / "result.json"),
            }
            shots: dict[str, bool] = {}

            def harness(stop: threading.Event) -> None:
                pending = dict(titles)
                while pending and not stop.wait(0.5):
                    for title, name in list(pending.items()):
                        windows = chroot.xdotool(display, "search", "--name", f"^{title}$").split()
                        if not windows:
                            continue
                        time.sleep(8.0)  # drawn, and the preview / the estimate arrived
                        _screenshot(chroot, display, windows[0], home / name)
                        shots[name] = (home / name).exists()
                        if title == "SinGAN: Train":
                            chroot.xdotool(display, "windowfocus", "--sync", windows[0], "key", "alt+i")
                            chroot.xdotool(display, "key", "ctrl+a", "type", "1500")
                            chroot.xdotool(display, "key", "Tab")
                            time.sleep(5.0)
                            _screenshot(chroot, display, windows[0], home / "gimp_training_dialog_1500.png")
                        chroot.xdotool(display, "windowfocus", "--sync", windows[0], "key", "Escape")
                        del pending[title]

            run = run_watched(chroot, display, f"PARAMS = {params!r}\n" + GIMP_SCRIPT, harness, 900)
            for name in (*titles.values(), "gimp_training_dialog_1500.png"):
                if (home / name).exists():
                    shutil.copy(home / name, out / name)
            result = home / "result.json"
            data = json.loads(result.read_text()) if result.exists() else {"fatal": run.output[-3000:]}
            data["dialog_log"] = [line for line in run.output.splitlines() if "SinGAN dialog:" in line]
            data["shots"] = shots
            return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", choices=("krita", "gimp"))
    parser.add_argument("--iterations", type=int, default=10, help="training iterations per scale")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    background, patch, rect = scene(out / "scene")
    report = {}
    if args.only in (None, "krita"):
        report["krita"] = krita(out, background, patch, rect, args.iterations)
    if args.only in (None, "gimp"):
        report["gimp"] = gimp(out, background, patch, rect, args.iterations)
    print(json.dumps(report, indent=1))
    return 0 if not any("fatal" in r for r in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
