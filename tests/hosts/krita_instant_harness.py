"""Runs inside a real Krita *window* (started by ``test_krita_instant.py``, as ``krita_window_harness``):
the instant actions on a 1600x1200 document through the installed plugin's scripting API, each followed
by Krita's own Undo. Results go to ``SINGAN_KRITA_RESULT``; Krita ends with ``os._exit``.
"""

from __future__ import annotations

import hashlib
import os

from krita_harness import _select, _sharp_texture, _step, _tree, run_scenario, texture_document
from krita_window_harness import _names, _undo_once

SIZE = (1600, 1200)
HOLE = (700, 500, 200, 160)  # x, y, w, h


def main() -> None:
    run_scenario(_scenario)
    os._exit(0)


def _outside_and_inside(before: bytes, after: bytes, width: int) -> tuple[int, int]:
    """How many pixels changed outside the hole and inside it (BGRA 8-bit projections)."""
    x, y, w, h = HOLE
    outside = inside = 0
    row = 4 * width
    for r in range(len(before) // row):
        a, b = before[r * row : (r + 1) * row], after[r * row : (r + 1) * row]
        if a == b:
            continue
        for c in range(width):
            if a[4 * c : 4 * c + 4] != b[4 * c : 4 * c + 4]:
                if y <= r < y + h and x <= c < x + w:
                    inside += 1
                else:
                    outside += 1
    return outside, inside


def _scenario(results: dict) -> None:
    import json

    from krita import Krita
    from singan_studio import api, instant_api
    from singan_studio.krita_document import KritaDocument

    spec = json.loads(open(os.environ["SINGAN_KRITA_SPEC"], encoding="utf-8").read())
    app = Krita.instance()
    width, height = SIZE
    doc, layer = texture_document(app, width, height, "instant")
    kdoc = KritaDocument(doc)
    api.configure(address=spec["address"])

    def ui():
        from singan_studio.instant_ui import EnginePanel, InstantActions

        panel = EnginePanel(InstantActions(lambda: None, lambda _title, _err: None))
        labels = [panel.engine.itemText(i) for i in range(panel.engine.count())]
        shown = panel.buttons.isVisibleTo(panel)
        panel.engine.setCurrentIndex(1)
        return {
            "labels": labels,
            "buttons_shown_for_instant": shown,
            "buttons_shown_for_model": panel.buttons.isVisibleTo(panel),
            "actions": [
                bool(app.action(a))
                for a in ("singan_instant_variations", "singan_instant_fill", "singan_instant_extend")
            ],  # fmt: skip
        }

    _step(results, "ui", ui)

    def projection() -> bytes:
        doc.refreshProjection()
        doc.waitForDone()
        return bytes(doc.pixelData(0, 0, width, height))

    def fill():
        _select(doc, *HOLE)
        before_names, before_px = _names(_tree(doc)), projection()
        layer_before = hashlib.sha256(bytes(layer.pixelData(0, 0, width, height))).hexdigest()
        outcome = instant_api.fill_selection(seed=0, document=kdoc)
        after_names, after_px = _names(_tree(doc)), projection()
        outside, inside = _outside_and_inside(before_px, after_px, width)
        filled = next(n for n in doc.rootNode().childNodes() if n.name() == "Filled")
        b = filled.bounds()
        return {
            "names": outcome.names,
            "before": before_names,
            "after": after_names,
            "bounds": [b.x(), b.y(), b.width(), b.height()],
            "changed_outside": outside,
            "changed_inside": inside,
            "layer_unchanged": layer_before
            == hashlib.sha256(bytes(layer.pixelData(0, 0, width, height))).hexdigest(),
            "undone": _names(_undo_once(app, doc)),
            "restored": projection() == before_px,
        }

    _step(results, "fill_undo", fill)

    def variations():
        _select(doc, *HOLE)
        before = _names(_tree(doc))
        outcome = instant_api.instant_variations(n=2, seed=3, document=kdoc)
        return {
            "names": outcome.names,
            "rects": [[p.rect.x, p.rect.y, p.rect.width, p.rect.height] for p in outcome.layers],
            "before": before,
            "after": _names(_tree(doc)),
            "undone": _names(_undo_once(app, doc)),
        }

    _step(results, "variations_undo", variations)

    def dialogs():
        from singan_studio.instant_ui import ExtendDialog, FillDialog, VariationsDialog, layer_names

        texture = doc.createNode("Texture", "paintlayer")  # a second layer to fill from
        texture.setPixelData(_sharp_texture(240, 180), 0, 0, 240, 180)
        doc.rootNode().addChildNode(texture, None)
        doc.setActiveNode(layer)
        doc.waitForDone()
        var = VariationsDialog()
        custom_before = var.width.isEnabled()
        var.size.setCurrentIndex(2)
        var.n.setValue(3)
        var.width.setValue(300)
        var.height.setValue(120)
        var.seed.setValue(7)
        fill_dialog = FillDialog(layer_names())
        sources = [fill_dialog.source.itemText(i) for i in range(fill_dialog.source.count())]
        fill_dialog.source.setCurrentIndex(sources.index("Layer: Texture"))
        fill_dialog.seed.setValue(4)
        ext = ExtendDialog()
        ext.sides["left"].setValue(10)
        ext.seed.setValue(2)
        # the Fill dialog's values through the plugin to the server and back, from the Texture layer
        _select(doc, *HOLE)
        before = _names(_tree(doc))
        outcome = instant_api.with_choices(fill_dialog.choices(), document=kdoc)
        after = _names(_tree(doc))
        return {
            "variations": repr(var.choices()),
            "custom_enabled": [custom_before, var.width.isEnabled()],
            "fill_sources": sources,
            "fill": repr(fill_dialog.choices()),
            "extend": repr(ext.choices()),
            "titles": [d.windowTitle() for d in (var, fill_dialog, ext)],
            "filled": outcome.names,
            "added": [n for n in after if n not in before],
            "undone": _names(_undo_once(app, doc)) == before,
        }

    _step(results, "dialogs", dialogs)

    def extend():
        before = _names(_tree(doc))
        outcome = instant_api.extend_canvas(right=96, bottom=32, seed=1, document=kdoc)
        size_after = [doc.width(), doc.height()]
        first = _names(_undo_once(app, doc))
        size_first = [doc.width(), doc.height()]
        second = _names(_undo_once(app, doc))
        return {
            "undone_twice": second,
            "size_after_two_undos": [doc.width(), doc.height()],
            "names": outcome.names,
            "before": before,
            "size_after": size_after,
            "undone_once": first,
            "size_after_one_undo": size_first,
        }

    _step(results, "extend_undo", extend)
