"""Runs inside a real Krita *window* (``krita`` under Xvfb, started by ``test_krita_window.py``): what
needs a view, such as Krita's own Undo action (``kritarunner`` has no window and no ``edit_undo``).
Same protocol as ``krita_harness``: the scenario from ``SINGAN_KRITA_SPEC``, results to
``SINGAN_KRITA_RESULT``; Krita is ended with ``os._exit`` once the results are written (Quit would ask
about the unsaved document).
"""

from __future__ import annotations

import os
import time

from krita_harness import _paint_source, _select, _step, _tree, _write, run_scenario, texture_document

#: Generate variations at document size (issue 13): the document, the trained region in it (x, y, w, h)
NATIVE_SIZE = (1600, 1200)
NATIVE_REGION = (400, 300, 640, 480)


def _names(tree: list[dict]) -> list[str]:
    return [n["name"] for n in tree]


def _undo_once(app, doc) -> list[dict]:
    app.action("edit_undo").trigger()
    doc.waitForDone()
    return _tree(doc)


def main() -> None:
    run_scenario(_scenario)
    os._exit(0)


def _scenario(results: dict) -> None:
    import json

    from krita import Krita
    from singan_studio import api
    from singan_studio.krita_document import KritaDocument

    spec = json.loads(open(os.environ["SINGAN_KRITA_SPEC"], encoding="utf-8").read())
    app = Krita.instance()
    doc = app.createDocument(80, 64, "undo", "RGBA", "U8", "", 72.0)
    app.activeWindow().addView(doc)
    _paint_source(doc)
    kdoc = KritaDocument(doc)
    api.configure(address=spec["address"], default_n=3)
    results["undo_action"] = app.action("edit_undo") is not None
    _write(results)

    def estimate():
        _select(doc, 8, 8, 48, 40)
        est = api.estimate_training(preset="tiny", layer="Source", overrides=spec["overrides"], document=kdoc)
        return {
            "basis": est.basis,
            "seconds": est.seconds,
            "already": est.already_trained,
            "id": est.model_id,
        }

    _step(results, "estimate_before", estimate)

    def train():
        _select(doc, 8, 8, 48, 40)
        outcome = api.train(preset="tiny", layer="Source", overrides=spec["overrides"], document=kdoc)
        return {"model_id": outcome.model_id}

    _step(results, "train", train)
    _step(results, "estimate_after", estimate)

    def then_undo(action):
        before = _names(_tree(doc))
        outcome = action()
        after = _names(_tree(doc))
        return {
            "names": outcome.names,
            "before": before,
            "after": after,
            "undone": _names(_undo_once(app, doc)),
        }

    _step(
        results,
        "generate_undo",
        lambda: then_undo(lambda: api.generate_variations(n=3, seed=1, document=kdoc)),
    )
    _select(doc, 20, 16, 12, 10)
    _step(
        results, "harmonize_undo", lambda: then_undo(lambda: api.harmonize_selection(seed=2, document=kdoc))
    )

    def cancel_long_call():
        """A long inference cancelled mid-call (as the docker's Cancel does): no layer, no undo step."""
        from PyQt5.QtCore import QEventLoop, QTimer

        _select(doc, 20, 16, 12, 10)
        kept = api.harmonize_selection(seed=3, document=kdoc).names  # one Undo must remove this after
        before = _names(_tree(doc))
        loop, events = QEventLoop(), []

        def heard(task_, event, _payload):
            if task_ is task and event != "progress":
                events.append(event)
                if event in ("done", "failed"):
                    loop.quit()

        api.session().runner.listeners.append(heard)
        started = time.monotonic()
        task = api.generate_variations(n=8, seed=9, size=(1600, 1600), document=kdoc, background=True)
        cancelled_at = []
        QTimer.singleShot(2000, lambda: (cancelled_at.append(time.monotonic()), task.cancel()))
        QTimer.singleShot(120_000, loop.quit)
        loop.exec_()
        ended = time.monotonic()
        api.session().runner.listeners.remove(heard)
        return {
            "kept": kept,
            "before": before,
            "after": _names(_tree(doc)),
            "undone": _names(_undo_once(app, doc)),
            "events": events,
            "error": type(task.error).__name__ if task.error else "",
            "cancel_to_end_s": round(ended - cancelled_at[0], 2) if cancelled_at else -1,
            "total_s": round(ended - started, 2),
        }

    _step(results, "cancel_long_call", cancel_long_call)
    if spec.get("shots"):
        _select(doc, 8, 8, 48, 40)  # the training's area: the docker's estimate is for it
        _step(results, "screenshots", lambda: _screenshots(app, spec["shots"]))
    if spec.get("workdir"):
        _step(results, "generate_native", lambda: _generate_native(app, spec))


def _generate_native(app, spec: dict) -> dict:
    """Generate variations at document size on a 1600x1200 document through the real plugin: a tiny
    model trained on a 640x480 selection of a sharp texture (not QUICK's 6 iterations: their samples are
    grey mush), two variations over it (the server copies the trained region's detail,
    GenerateRequest.exemplar), then Krita's own Undo once. Raw BGRA of the source before and after and of
    each variation over the region go to files for the pytest side."""
    from singan_studio import api
    from singan_studio.krita_document import KritaDocument

    w, h = NATIVE_SIZE
    x, y, rw, rh = NATIVE_REGION
    big, source = texture_document(app, w, h, "native_generate")
    kbig = KritaDocument(big)
    before = bytes(source.pixelData(0, 0, w, h))
    _select(big, *NATIVE_REGION)
    started = time.monotonic()
    api.train(preset="tiny", layer="Photo", document=kbig)  # tiny's own 30 iterations, as GIMP's test
    trained_s = time.monotonic() - started
    names_before = _names(_tree(big))
    started = time.monotonic()
    outcome = api.generate_variations(n=2, seed=1, document=kbig)
    generate_s = time.monotonic() - started
    big.waitForDone()
    files, bounds = {}, {}
    layers = [("before", before), ("after", bytes(source.pixelData(0, 0, w, h)))]
    for name in outcome.names:
        node = big.nodeByName(name)
        b = node.bounds()
        bounds[name] = [b.x(), b.y(), b.width(), b.height()]
        layers.append((name, bytes(node.pixelData(x, y, rw, rh))))
    for name, data in layers:
        files[name] = os.path.join(spec["workdir"], f"generate_{name.replace(' ', '_')}.bgra")
        with open(files[name], "wb") as fh:
            fh.write(data)
    after = _names(_tree(big))
    return {
        "names": outcome.names,
        "message": outcome.message,
        "rects": [p.rect.to_dict() for p in outcome.layers],
        "bounds": bounds,
        "size": [w, h],
        "region": list(NATIVE_REGION),
        "records": [r.to_dict() for r in api.models(kbig)],
        "files": files,
        "before": names_before,
        "after": after,
        "undone": _names(_undo_once(app, big)),
        "train_s": round(trained_s, 2),
        "generate_s": round(generate_s, 2),
    }


def _pump(seconds: float, until=lambda: False) -> None:
    from PyQt5.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        QApplication.processEvents()
        time.sleep(0.05)


def _screenshots(app, folder: str) -> dict:
    """The harmonize dialog with its preview, the generate dialog, and the docker's training options
    with the server's estimate, its model name and the note of a harmonize run from the docker."""
    from PyQt5.QtWidgets import QDockWidget
    from singan_studio import api
    from singan_studio.dialogs import GenerateDialog, InjectDialog

    window = app.activeWindow().qwindow()
    shots = {}
    for name, dialog in (
        ("krita_harmonize_dialog.png", InjectDialog("Harmonize", window, True, "harmonize")),
        ("krita_generate_dialog.png", GenerateDialog(4, window, preview=True)),
    ):
        dialog.show()
        _pump(1.0)
        if isinstance(dialog, GenerateDialog):  # variation 1 at the model's size
            _pump(30.0, until=lambda d=dialog: "model's size" in d.preview_note.text())
            shots["generate_preview_note"] = dialog.preview_note.text()
        if isinstance(dialog, InjectDialog):  # the preview appears (a real call at the model's size)
            started = time.monotonic()
            _pump(
                30.0,
                until=lambda d=dialog: d.preview.pixmap() is not None and not d.preview.pixmap().isNull(),
            )
            shots["preview_s"] = round(time.monotonic() - started, 2)
            pixmap = dialog.preview.pixmap()
            shots["preview"] = [pixmap.width(), pixmap.height()] if pixmap is not None else None
            shots["preview_note"] = dialog.preview_note.text()
            dialog.seed.setValue(5)  # a change: one more render, debounced
            _pump(
                30.0,
                until=lambda d=dialog: d.previews.started >= 2 and "model's size" in d.preview_note.text(),
            )
            shots["preview_renders"] = dialog.previews.started
            shots["fine_tune_shown"] = dialog.fine_tune.isVisible()  # Harmonize's "Fine-tune first"
            _pump(0.3)
        dialog.grab().save(os.path.join(folder, name))
        shots[name] = [dialog.width(), dialog.height()]
        dialog.reject()
        dialog.close()
    (dock,) = [d for d in window.findChildren(QDockWidget) if d.objectName() == "singan_studio_docker"]
    dock.show()
    dock.raise_()
    dock.refresh_models()
    shots["model_label"] = dock.models.currentText()
    _select(app.activeDocument(), 20, 16, 12, 10)
    task = api.harmonize_selection(seed=4, background=True)  # the docker follows it and shows its note
    _pump(60.0, until=lambda: task.done.is_set())
    _pump(0.5)
    shots["docker_message"] = dock.progress_label.text()
    _select(app.activeDocument(), 8, 8, 48, 40)  # the training's area: the estimate is for it
    dock.update_estimate()
    _pump(30.0, until=lambda: dock.estimate.text() not in ("", "asking the server..."))
    _pump(0.5)
    dock.grab().save(os.path.join(folder, "krita_training_options.png"))
    shots["krita_training_options.png"] = [dock.width(), dock.height()]
    shots["estimate_text"] = dock.estimate.text()
    return shots
