"""Runs INSIDE the whole GIMP 3 with its windows (``gimp-3.0 --batch-interpreter=python-fu-eval`` on a
virtual display), not under pytest; driven by ``test_gimp_ui.py``, which presses keys and takes
screenshots from outside as this script reaches each point (it writes ``PARAMS["marks"] + name`` files).

1. undo: Generate adds 3 sample layers to a displayed image; the harness presses Ctrl+Z once in the image
   window; the script waits for the layers to go and records what is left.
2. dialogs: Harmonize and Train run interactively; the harness screenshots each dialog and presses
   Escape (the calls end CANCEL, nothing is trained).
3. cancel: a long Generate (8 samples at 1600x1200) on a clean image; the harness kills the plug-in 3 s
   in, as GIMP's Cancel does; the image must have no new layer and still be clean (no undo step).
"""

# ruff: noqa: F821  (PARAMS is defined by the harness)
import json
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp, Gio  # noqa: E402

pdb = Gimp.get_pdb()
out = {"calls": {}, "fatal": None}


def mark(name):
    with open(PARAMS["marks"] + name, "w") as handle:
        handle.write(str(time.time()))


def call(name, image, drawable, record_as=None, **props):
    started = time.monotonic()
    record = {"status": None, "error": ""}
    try:
        proc = pdb.lookup_procedure(name)
        config = proc.create_config()
        config.set_property("run-mode", props.pop("run-mode", Gimp.RunMode.NONINTERACTIVE))
        config.set_property("image", image)
        config.set_core_object_array("drawables", [drawable])
        for key, value in props.items():
            config.set_property(key, value)
        result = proc.run(config)
        record["status"] = result.index(0).value_nick.upper()
        if result.index(0) != Gimp.PDBStatusType.SUCCESS:
            record["error"] = pdb.get_last_error() or ""
    except Exception:
        record["status"] = "EXCEPTION"
        record["error"] = traceback.format_exc()
    record["seconds"] = round(time.monotonic() - started, 2)
    out["calls"][record_as or name] = record
    return record


def names(image):
    return [layer.get_name() for layer in image.get_layers()]


def load(path):
    return Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(path))


try:
    call_settings = pdb.lookup_procedure("plug-in-singan-settings").create_config()
    call_settings.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    for key, value in (("server", "remote"), ("address", PARAMS["address"]), ("token", "")):
        call_settings.set_property(key, value)
    pdb.lookup_procedure("plug-in-singan-settings").run(call_settings)

    image = load(PARAMS["png"])
    layer = image.get_layers()[0]
    display = Gimp.Display.new(image)
    call("plug-in-singan-train", image, layer, **{"preset-name": "tiny"})

    # 1. one Generate = one undo step
    before = names(image)
    call("plug-in-singan-generate", image, layer, n=3, seed=1)
    added = names(image)
    out["undo"] = {"before": before, "after": added}
    mark("undo-ready")
    deadline = time.monotonic() + 60
    while len(image.get_layers()) != len(before) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # a second Ctrl+Z would show now
    out["undo"]["undone"] = names(image)

    # 2. the dialogs, interactively (the harness screenshots them and presses Escape)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 30, 20, 24, 18)
    mark("dialogs")
    call(
        "plug-in-singan-harmonize", image, layer, "harmonize dialog", **{"run-mode": Gimp.RunMode.INTERACTIVE}
    )
    Gimp.Selection.none(image)
    call("plug-in-singan-train", image, layer, "train dialog", **{"run-mode": Gimp.RunMode.INTERACTIVE})

    # 3. a long inference cancelled the way GIMP cancels a plug-in (it kills it)
    big = load(PARAMS["big_png"])
    big_layer = big.get_layers()[0]
    call("plug-in-singan-train", big, big_layer, "train big", **{"preset-name": "tiny"})
    big.clean_all()
    out["cancel"] = {"before": names(big), "dirty_before": big.is_dirty()}
    mark("cancel-ready")
    call("plug-in-singan-generate", big, big_layer, "long generate", n=8, seed=2)
    out["cancel"].update(after=names(big), dirty_after=big.is_dirty())
except Exception:
    out["fatal"] = traceback.format_exc()

for img in Gimp.get_images():  # so that --quit does not ask about unsaved changes
    img.clean_all()
with open(PARAMS["result"], "w") as handle:
    json.dump(out, handle, indent=1)
mark("done")
