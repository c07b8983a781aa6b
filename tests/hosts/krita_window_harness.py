"""Runs inside a real Krita *window* (``krita`` under Xvfb, started by ``test_krita_window.py``): what
needs a view, such as Krita's own Undo action (``kritarunner`` has no window and no ``edit_undo``).
Same protocol as ``krita_harness``: the scenario from ``SINGAN_KRITA_SPEC``, results to
``SINGAN_KRITA_RESULT``; Krita is ended with ``os._exit`` once the results are written (Quit would ask
about the unsaved document).
"""

from __future__ import annotations

import os

from krita_harness import _paint_source, _select, _step, _tree, _write, run_scenario


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

    def train():
        _select(doc, 8, 8, 48, 40)
        outcome = api.train(preset="tiny", layer="Source", overrides=spec["overrides"], document=kdoc)
        return {"model_id": outcome.model_id}

    _step(results, "train", train)

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
