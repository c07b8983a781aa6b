"""Runs INSIDE GIMP 3 (``gimp-console-3.0 --batch-interpreter=python-fu-eval``), not under pytest.

The harness prepends ``PARAMS = {...}`` (server address, input PNG, result path, which procedures to
call). The script drives every ``plug-in-singan-*`` procedure through the PDB, the way another script
would, and writes what it sees (registration, statuses, errors, new layers and images with their sizes,
offsets and pixel statistics) to ``PARAMS["result"]`` as JSON for ``test_gimp.py`` to assert on.
"""

# ruff: noqa: F821  (PARAMS is defined by the harness)
import json
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

pdb = Gimp.get_pdb()
out = {"registered": {}, "calls": {}, "fatal": None}


def pixel_stats(drawable):
    """Min/max over RGB, mean alpha and number of distinct RGB values, read as R'G'B'A u8."""
    w, h = drawable.get_width(), drawable.get_height()
    data = drawable.get_buffer().get(
        Gegl.Rectangle.new(0, 0, w, h), 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP
    )
    rgb = [data[i] for i in range(len(data)) if i % 4 != 3]
    alpha = data[3::4]
    distinct = len({bytes(data[i : i + 3]) for i in range(0, min(len(data), 4 * 4096), 4)})
    return {"min": min(rgb), "max": max(rgb), "alpha_mean": sum(alpha) / len(alpha), "distinct": distinct}


def describe_layer(layer):
    _, x, y = layer.get_offsets()
    return {
        "name": layer.get_name(),
        "width": layer.get_width(),
        "height": layer.get_height(),
        "x": x,
        "y": y,
        "stats": pixel_stats(layer),
    }


def describe_image(image):
    return {
        "width": image.get_width(),
        "height": image.get_height(),
        "precision": image.get_precision().value_name,
        "layers": [describe_layer(layer) for layer in image.get_layers()],
    }


def call(name, image=None, drawable=None, record_as=None, **props):
    started = time.monotonic()
    record = {"status": None, "error": "", "values": []}
    try:
        proc = pdb.lookup_procedure(name)
        config = proc.create_config()
        config.set_property("run-mode", props.pop("run-mode", Gimp.RunMode.NONINTERACTIVE))
        if image is not None:
            config.set_property("image", image)
            config.set_core_object_array("drawables", [drawable])
        for key, value in props.items():
            config.set_property(key, value)
        before = {img.get_id() for img in Gimp.get_images()}
        result = proc.run(config)
        status = result.index(0)
        record["status"] = status.value_nick.upper()
        if status != Gimp.PDBStatusType.SUCCESS:
            record["error"] = pdb.get_last_error() or ""
        else:
            for index in range(1, result.length()):
                value = result.index(index)
                record["values"].append(value if isinstance(value, (str, int, float)) else repr(value))
        record["new_images"] = [
            describe_image(img) for img in Gimp.get_images() if img.get_id() not in before
        ]
    except Exception:
        record["status"] = "EXCEPTION"
        record["error"] = traceback.format_exc()
    record["seconds"] = round(time.monotonic() - started, 2)
    out["calls"][record_as or name] = record
    return record


try:
    for name in PARAMS["procedures"]:
        proc = pdb.lookup_procedure(name)
        out["registered"][name] = (
            None
            if proc is None
            else {
                "menu_paths": list(proc.get_menu_paths()),
                "label": proc.get_menu_label(),
                "args": [spec.name for spec in proc.get_arguments()],
            }
        )

    call("plug-in-singan-settings", server="remote", address=PARAMS["address"], token=PARAMS.get("token", ""))

    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(PARAMS["png"]))
    layer = image.get_layers()[0]
    layer.set_offsets(*PARAMS.get("offset", (0, 0)))
    out["input"] = describe_layer(layer)

    def layers_after(record):
        record["layers"] = [describe_layer(lay) for lay in image.get_layers()]

    if PARAMS.get("scenario") == "cancel":  # the harness kills the plug-in while this trains
        call("plug-in-singan-train", image, layer, preset="fast", retrain=True)
        raise SystemExit

    def big_photo():
        """A PARAMS["size"] image of one opaque layer "Photo" holding PARAMS["texture"] (raw RGBA)."""
        width, height = PARAMS["size"]
        big = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
        photo = Gimp.Layer.new(
            big, "Photo", width, height, Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL
        )
        big.insert_layer(photo, None, 0)
        whole = Gegl.Rectangle.new(0, 0, width, height)
        with open(PARAMS["texture"], "rb") as handle:
            photo.get_buffer().set(whole, "R'G'B'A u8", handle.read())
        photo.get_buffer().flush()
        return big, photo

    def dump(drawable, name):
        w, h = drawable.get_width(), drawable.get_height()
        data = drawable.get_buffer().get(
            Gegl.Rectangle.new(0, 0, w, h), 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP
        )
        with open(PARAMS["dump"] + name, "wb") as handle:
            handle.write(bytes(data))
        _, x, y = drawable.get_offsets()
        return {"x": x, "y": y, "width": w, "height": h, "file": name}

    if PARAMS.get("scenario") == "native":  # one harmonize on a large image; raw pixels to files
        big, photo = big_photo()
        call("plug-in-singan-train", big, photo, **{"preset-name": "tiny"})
        x, y, w, h = PARAMS["selection"]
        big.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)
        record = call("plug-in-singan-harmonize", big, photo, seed=2)
        record["dumps"] = {"after": dump(photo, "after")}
        results = [lay for lay in big.get_layers() if lay.get_name().startswith("SinGAN harmonized")]
        if results:
            record["dumps"]["result"] = dump(results[0], "result")
        raise SystemExit

    if PARAMS.get("scenario") == "generate_native":  # variations at document size; raw pixels to files
        big, photo = big_photo()
        x, y, w, h = PARAMS["region"]
        big.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)
        record = call("plug-in-singan-train", big, photo, **{"preset-name": "tiny"})
        parasite = big.get_parasite("singan-model")
        record["image_parasite"] = bytes(parasite.get_data()).decode() if parasite else None
        Gimp.Selection.none(big)
        record = call("plug-in-singan-generate", big, photo, n=2, seed=1)
        record["layers"] = [lay.get_name() for lay in big.get_layers()]
        record["dumps"] = {"after": dump(photo, "after")}
        samples = [lay for lay in big.get_layers() if lay.get_name().startswith("SinGAN sample")]
        record["samples"] = [
            dict(dump(lay, f"sample{i}"), file=f"sample{i}") for i, lay in enumerate(samples)
        ]
        raise SystemExit

    if PARAMS.get("scenario") == "instant":  # the instant actions on a large image, no model
        big, photo = big_photo()
        x, y, w, h = PARAMS["selection"]
        big.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)
        record = call("plug-in-singan-instant-fill", big, photo, seed=0)
        record["layers"] = [lay.get_name() for lay in big.get_layers()]
        record["dumps"] = {"after": dump(photo, "after")}
        filled = [lay for lay in big.get_layers() if lay.get_name() == "Filled"]
        if filled:
            record["dumps"]["result"] = dump(filled[0], "result")
        Gimp.Selection.none(big)
        record = call("plug-in-singan-instant-extend", big, photo, left=0, top=0, right=96, bottom=32, seed=1)
        record["size"] = [big.get_width(), big.get_height()]
        record["layers"] = [describe_layer(lay) for lay in big.get_layers()]
        big.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)
        record = call("plug-in-singan-instant-variations", big, photo, n=2, seed=3)
        record["layers"] = [describe_layer(lay) for lay in big.get_layers()]
        raise SystemExit

    if PARAMS.get("scenario") == "interactive":  # the harness presses Return in each dialog
        call("plug-in-singan-train", image, layer, **{"preset-name": "tiny"})
        call(
            "plug-in-singan-generate",
            image,
            layer,
            record_as="generate interactive",
            **{"run-mode": Gimp.RunMode.INTERACTIVE},
        )
        out["layers"] = [describe_layer(lay) for lay in image.get_layers()]
        raise SystemExit

    record = call("plug-in-singan-train", image, layer, **{"preset-name": "tiny"})
    parasite = image.get_parasite("singan-model")
    record["image_parasite"] = bytes(parasite.get_data()).decode() if parasite else None
    parasite = layer.get_parasite("singan-model")
    record["layer_parasite"] = bytes(parasite.get_data()).decode() if parasite else None

    layers_after(call("plug-in-singan-generate", image, layer, n=2, seed=7, **{"width-scale": 1.5}))

    x, y = PARAMS.get("offset", (0, 0))
    image.select_rectangle(Gimp.ChannelOps.REPLACE, x + 8, y + 6, 12, 10)
    layers_after(call("plug-in-singan-harmonize", image, layer, seed=1))
    layers_after(call("plug-in-singan-edit", image, layer, seed=1))
    Gimp.Selection.none(image)
    layers_after(call("plug-in-singan-paint-to-image", image, layer, **{"model-image": image}))
    call("plug-in-singan-super-resolve", image, layer, factor="x2", **{"preset-name": "tiny"})
    call("plug-in-singan-animate", image, layer, frames=3)
    # Harmonize's "Fine-tune first": the server's FineTune job on the tiny model, then one layer
    image.select_rectangle(Gimp.ChannelOps.REPLACE, x + 8, y + 6, 12, 10)
    tuned = call(
        "plug-in-singan-harmonize", image, layer, "harmonize fine-tune", seed=1, **{"fine-tune": True}
    )
    layers_after(tuned)
    Gimp.Selection.none(image)

    # other pixel formats: a 16-bit copy is read as u16, a grayscale copy as Y', an indexed one refused
    for mode in ("u16", "gray", "indexed"):
        copy = image.duplicate()
        if mode == "u16":
            copy.convert_precision(Gimp.Precision.U16_NON_LINEAR)
        elif mode == "gray":
            copy.convert_grayscale()
        else:
            copy.convert_indexed(
                Gimp.ConvertDitherType.NONE, Gimp.ConvertPaletteType.GENERATE, 16, False, False, ""
            )
        base = copy.get_layers()[-1]
        key = f"paint-to-image {mode}"
        record = call("plug-in-singan-paint-to-image", copy, base, record_as=key, **{"model-image": image})
        record["precision"] = copy.get_precision().value_name
        record["layers"] = [describe_layer(lay) for lay in copy.get_layers()]

except SystemExit:
    pass
except Exception:
    out["fatal"] = traceback.format_exc()

with open(PARAMS["result"], "w") as handle:
    json.dump(out, handle, indent=1)
