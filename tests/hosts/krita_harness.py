"""Runs inside real Krita (``kritarunner -s krita_harness -f main``) and drives the installed plugin
through its scripting API. ``kritarunner`` always exits 0, so everything is reported through the JSON
file named by ``SINGAN_KRITA_RESULT``; the scenario comes from ``SINGAN_KRITA_SPEC`` (JSON:
``address``, ``workdir``). Checks use Krita's own API, not the plugin's Document abstraction.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback


def _pattern(width: int, height: int) -> bytes:
    """A deterministic RGBA texture: diagonal colour bands with a checker, fully opaque."""
    out = bytearray()
    for y in range(height):
        for x in range(width):
            band = ((x + y) // 6) % 3
            check = 60 if (x // 4 + y // 4) % 2 else 0
            rgb = [(200, 60, 40), (40, 160, 80), (50, 70, 210)][band]
            out += bytes([min(255, rgb[0] + check), min(255, rgb[1] + check), min(255, rgb[2] + check), 255])
    return bytes(out)


#: The native-resolution harmonize: a document of at least 1600 px and the selection in it (x, y, w, h).
NATIVE_SIZE = (1600, 1200)
NATIVE_SELECTION = (700, 500, 160, 120)


def _sharp_texture(width: int, height: int) -> bytes:
    """Opaque BGRA with detail at the pixel level everywhere: a 128x128 tile of pseudo-random pixels over
    broad colour bands, repeated (built row by row from bytes: a pure-Python loop over 2 MP is slow)."""
    tile, state = 128, 12345
    rows = []
    for y in range(tile):
        row = bytearray()
        for x in range(tile):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            n = (state >> 16) % 96
            band = [(40, 90, 160), (150, 110, 60), (70, 140, 80)][((x + y) // 43) % 3]
            row += bytes([band[2] + n, band[1] + n, band[0] + n, 255])
        rows.append(bytes(row))
    reps, rest = divmod(width, tile)
    lines = [r * reps + r[: rest * 4] for r in rows]
    return b"".join(lines[y % tile] for y in range(height))


def texture_document(app, width: int, height: int, title: str):
    """A document shown in the window (Krita's Undo acts on it) of one opaque layer "Photo" holding
    :func:`_sharp_texture`, active; returns (document, layer)."""
    doc = app.createDocument(width, height, title, "RGBA", "U8", "", 72.0)
    app.activeWindow().addView(doc)
    layer = doc.rootNode().childNodes()[0]
    layer.setName("Photo")
    layer.setPixelData(_sharp_texture(width, height), 0, 0, width, height)
    doc.setActiveNode(layer)
    doc.refreshProjection()
    doc.waitForDone()
    return doc, layer


def _node_report(node) -> dict:
    b = node.bounds()
    data = bytes(node.pixelData(b.x(), b.y(), b.width(), b.height())) if b.width() and b.height() else b""
    depth = 2 if node.colorDepth() == "U16" else 1
    alpha_nonzero = any(
        data[3 * depth + k :: 4 * depth].count(0) < len(data[3 * depth + k :: 4 * depth])
        for k in range(depth)
    )
    colour = data[: 3 * depth]
    distinct = len({data[i : i + 4 * depth] for i in range(0, min(len(data), 4000 * depth), 4 * depth)})
    return {
        "name": node.name(),
        "type": node.type(),
        "bounds": [b.x(), b.y(), b.width(), b.height()],
        "depth": node.colorDepth(),
        "opaque_pixels": alpha_nonzero,
        "distinct_colours": distinct,
        "first_pixel": list(colour),
        "children": [_node_report(c) for c in node.childNodes()],
    }


def _rgb(data) -> list[tuple[int, int, int]]:
    """8-bit BGRA bytes -> RGB tuples."""
    b = bytes(data)
    return [(b[i + 2], b[i + 1], b[i]) for i in range(0, len(b), 4)]


def _colour_diff(source: list, result: list, width: int, factor: int) -> list[float]:
    """The mean colour of the source and of the result (R, G, B) and the mean absolute difference, in grey
    levels, between the source and the result box-downscaled by ``factor`` (its low frequencies)."""
    height, big = len(source) // width, width * factor
    diff = 0.0
    for y in range(height):
        for x in range(width):
            block = [
                result[(y * factor + j) * big + x * factor + i] for j in range(factor) for i in range(factor)
            ]
            for c in range(3):
                diff += abs(sum(p[c] for p in block) / len(block) - source[y * width + x][c])
    means = [[sum(p[c] for p in px) / len(px) for c in range(3)] for px in (source, result)]
    return [*means[0], *means[1], diff / (3 * len(source))]


def _tree(doc) -> list[dict]:
    return [_node_report(n) for n in doc.rootNode().childNodes()]


def _select(doc, x: int, y: int, w: int, h: int) -> None:
    from krita import Selection

    sel = Selection()
    sel.select(x, y, w, h, 255)
    doc.setSelection(sel)


def _paint_source(doc) -> None:
    """Names the 80x64 document's first layer "Source", fills it with the pattern, makes it active."""
    source = doc.rootNode().childNodes()[0]
    source.setName("Source")
    rgba = _pattern(80, 64)
    bgra = bytearray(rgba)
    bgra[0::4], bgra[2::4] = rgba[2::4], rgba[0::4]
    source.setPixelData(bytes(bgra), 0, 0, 80, 64)
    doc.setActiveNode(source)
    doc.refreshProjection()


def _step(results: dict, name: str, fn) -> None:
    started = time.monotonic()
    try:
        results["steps"][name] = {"ok": True, "value": fn()}
    except Exception as err:  # recorded; the pytest side decides what is a failure
        code = getattr(err, "code", "")
        results["steps"][name] = {
            "ok": False,
            "error": f"{type(err).__name__}: {err}",
            "code": code,
            "traceback": traceback.format_exc(),
        }
    results["steps"][name]["seconds"] = round(time.monotonic() - started, 2)
    _write(results)


def _write(results: dict) -> None:
    path = os.environ["SINGAN_KRITA_RESULT"]
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1)
    os.replace(path + ".tmp", path)


def main(*_args) -> None:
    run_scenario(_scenario)


def run_scenario(scenario) -> None:
    """Runs ``scenario(results)``, writing the results before, after every step and at the end."""
    results: dict = {"steps": {}, "python": sys.version}
    _write(results)
    try:
        scenario(results)
    except Exception:
        results["fatal"] = traceback.format_exc()
    results["finished"] = True
    _write(results)


def _scenario(results: dict) -> None:
    spec = json.loads(open(os.environ["SINGAN_KRITA_SPEC"], encoding="utf-8").read())
    import singan_studio
    from krita import Krita
    from PyQt5.QtCore import QEventLoop, QTimer
    from singan_studio import api
    from singan_studio.krita_document import KritaDocument

    import host_plugin.client as client_pkg

    results["plugin_file"] = singan_studio.__file__
    results["client_file"] = client_pkg.__file__
    results["grpclib_file"] = sys.modules["grpclib"].__file__ if "grpclib" in sys.modules else ""
    results["protobuf_file"] = sys.modules["google.protobuf"].__file__
    results["grpcio_loaded"] = "grpc" in sys.modules
    results["extensions"] = [type(e).__name__ for e in Krita.instance().extensions()]
    _write(results)

    app = Krita.instance()
    doc = app.createDocument(80, 64, "harness", "RGBA", "U8", "", 72.0)
    doc.setBatchmode(True)
    _paint_source(doc)
    kdoc = KritaDocument(doc)
    api.configure(address=spec["address"], default_n=3)

    _step(results, "status", lambda: api.server_status().__dict__)

    def train():
        _select(doc, 8, 8, 48, 40)
        updates = []
        outcome = api.train(
            preset="tiny",
            layer="Source",
            overrides=spec.get("overrides"),
            document=kdoc,
            on_progress=lambda u: updates.append(u.state),
        )
        return {
            "model_id": outcome.model_id,
            "states": sorted(set(updates)),
            "updates": len(updates),
            "annotation": bytes(doc.annotation("singan_studio")).decode(),
            "records": [r.to_dict() for r in api.models(kdoc)],
        }

    _step(results, "train", train)

    def generate():
        outcome = api.generate_variations(n=3, seed=1, document=kdoc)
        return {"names": outcome.names, "tree": _tree(doc)}

    _step(results, "generate", generate)

    def harmonize():
        _select(doc, 20, 16, 12, 10)
        outcome = api.harmonize_selection(seed=2, document=kdoc)
        return {
            "names": outcome.names,
            "rects": [p.rect.to_dict() for p in outcome.layers],
            "tree": _tree(doc),
        }

    _step(results, "harmonize", harmonize)

    def super_resolve():
        _select(doc, 20, 16, 32, 24)
        source = _rgb(doc.pixelData(20, 16, 32, 24))
        active = kdoc.models().active.model_id
        outcome = api.super_resolve_selection(factor=2, preset="tiny", document=kdoc)
        placed = outcome.layers[0]
        r = placed.rect
        node = next(n for n in doc.topLevelNodes() if n.name() == placed.name)
        result = _rgb(node.pixelData(r.x, r.y, r.width, r.height))
        return {
            "names": outcome.names,
            "rect": placed.rect.to_dict(),
            "new_document": placed.new_document,
            "tree": _tree(doc),
            "model_id": outcome.model_id,
            "active_model": active,
            "colour_diff": _colour_diff(source, result, 32, 2),
        }

    _step(results, "super_resolve", super_resolve)

    def super_resolve_big():
        _select(doc, 8, 8, 48, 40)
        source = _rgb(doc.pixelData(8, 8, 48, 40))
        outcome = api.super_resolve_selection(factor=4, preset="tiny", document=kdoc)
        placed = outcome.layers[0]
        new = placed.document.doc
        result = _rgb(new.pixelData(0, 0, new.width(), new.height()))
        return {
            "new_document": placed.new_document,
            "size": [new.width(), new.height()],
            "tree": _tree(new),
            "documents": len(app.documents()),
            "model_id": outcome.model_id,
            "colour_diff": _colour_diff(source, result, 48, 4),
        }

    _step(results, "super_resolve_new_document", super_resolve_big)

    def background_generate():
        ticks = [0]
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
        timer.start(5)
        loop = QEventLoop()
        task = api.generate_variations(n=1, seed=5, document=kdoc, background=True)
        api.session().runner.listeners.append(
            lambda t, event, _p: t is task and event != "progress" and loop.quit()
        )
        QTimer.singleShot(120_000, loop.quit)
        loop.exec_()
        timer.stop()
        return {"done": task.done.is_set(), "names": task.wait(0).names, "ui_ticks_while_waiting": ticks[0]}

    _step(results, "background_generate", background_generate)

    def sixteen_bit():
        doc16 = app.createDocument(80, 64, "harness16", "RGBA", "U16", "", 72.0)
        doc16.setBatchmode(True)
        k16 = KritaDocument(doc16)
        model_id = results["steps"]["train"]["value"]["model_id"]
        outcome = api.generate_variations(n=1, seed=3, model_id=model_id, document=k16)
        return {"names": outcome.names, "tree": _tree(doc16)}

    _step(results, "generate_16bit", sixteen_bit)

    def float_document():
        docf = app.createDocument(32, 32, "harnessf", "RGBA", "F32", "", 72.0)
        docf.setBatchmode(True)
        api.train(preset="tiny", document=KritaDocument(docf))

    _step(results, "float_document", float_document)

    def harmonize_native():
        """One harmonize on a 1600x1200 document: raw BGRA of the source layer before and after and of
        the result layer over the whole canvas go to files for the pytest side to measure."""
        w, h = NATIVE_SIZE
        big = app.createDocument(w, h, "harness_native", "RGBA", "U8", "", 72.0)
        big.setBatchmode(True)
        source = big.rootNode().childNodes()[0]
        source.setName("Photo")
        source.setPixelData(_sharp_texture(w, h), 0, 0, w, h)
        big.setActiveNode(source)
        big.refreshProjection()
        kbig = KritaDocument(big)
        before = bytes(source.pixelData(0, 0, w, h))
        api.train(
            preset="tiny", layer="Photo", use_selection=False, overrides=spec.get("overrides"), document=kbig
        )
        _select(big, *NATIVE_SELECTION)
        outcome = api.harmonize_selection(seed=2, document=kbig)
        layer = big.nodeByName(outcome.names[0])
        files = {}
        for name, data in (
            ("before", before),
            ("after", bytes(source.pixelData(0, 0, w, h))),
            ("result", bytes(layer.pixelData(0, 0, w, h))),
        ):
            files[name] = os.path.join(spec["workdir"], f"native_{name}.bgra")
            with open(files[name], "wb") as fh:
                fh.write(data)
        b = layer.bounds()
        return {
            "names": outcome.names,
            "message": outcome.message,
            "rect": outcome.layers[0].rect.to_dict(),
            "bounds": [b.x(), b.y(), b.width(), b.height()],
            "size": [w, h],
            "selection": list(NATIVE_SELECTION),
            "files": files,
        }

    _step(results, "harmonize_native", harmonize_native)

    for name, call in (
        ("edit", lambda: api.edit_selection(seed=1, document=kdoc).names),
        ("paint_to_image", lambda: api.paint_to_image(layer="Source", document=kdoc).names),
        ("animate", lambda: api.animate(frames=3, document=kdoc).names),
    ):
        _select(doc, 20, 16, 12, 10)
        _step(results, name, call)

    def reopen():
        path = os.path.join(spec["workdir"], "harness.kra")
        assert doc.saveAs(path), "saving the .kra failed"
        doc.close()
        again = app.openDocument(path)
        records = api.models(KritaDocument(again))
        return {
            "records": [r.to_dict() for r in records],
            "layers": [n.name() for n in again.rootNode().childNodes()],
        }

    _step(results, "reopen", reopen)
