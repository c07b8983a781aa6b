"""Runs inside real Krita (``kritarunner -s krita_managed_harness -f main``): the plugin, set to the
managed local server, starts it itself (the test starts none), trains the tiny preset, and Krita quits,
either idle or while a training runs (``SINGAN_KRITA_SPEC``: ``server_env``, ``variant`` "idle" or
"training", ``overrides``). Results go to ``SINGAN_KRITA_RESULT`` as in ``krita_harness``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import asdict

from krita_harness import _pattern, _step, _write


def main(*_args) -> None:
    results: dict = {"steps": {}, "python": sys.version, "krita_pid": os.getpid()}
    try:
        _scenario(results, json.loads(open(os.environ["SINGAN_KRITA_SPEC"], encoding="utf-8").read()))
    except Exception:
        results["fatal"] = traceback.format_exc()
    results["finished"] = True
    _write(results)


def _scenario(results: dict, spec: dict) -> None:
    from krita import Krita
    from singan_studio import api
    from singan_studio.krita_document import KritaDocument

    from host_plugin.common.settings import managed_server

    session = api.session()
    results["store"] = type(session.store).__name__
    session.update_settings(server_mode="local", server_env=spec["server_env"])
    heard: list[str] = []

    def status() -> dict:
        started = time.monotonic()
        found = api.server_status(on_status=heard.append)
        return {**found.__dict__, "heard": list(heard), "seconds": round(time.monotonic() - started, 2)}

    _step(results, "status", status)
    state = managed_server(session.settings).read_state()
    results["state"] = asdict(state) if state is not None else None
    results["log"] = str(managed_server(session.settings).log_path)
    _write(results)

    def dialog() -> dict:
        from singan_studio.extension import SettingsDialog

        shown = SettingsDialog()
        shown.adjustSize()
        shown.grab().save(os.path.join(spec["workdir"], "settings_dialog.png"))
        return {
            "choices": [shown.server.itemText(i) for i in range(shown.server.count())],
            "current": shown.server.currentText(),
            "in_use": shown.in_use.text(),
            "status": shown.status.text(),
            "address_enabled": shown.address.isEnabled(),
            "log": shown.open_log.toolTip(),
        }

    _step(results, "dialog", dialog)

    doc = Krita.instance().createDocument(64, 48, "managed", "RGBA", "U8", "", 72.0)
    doc.setBatchmode(True)
    source = doc.rootNode().childNodes()[0]
    source.setName("Source")
    rgba = _pattern(64, 48)
    bgra = bytearray(rgba)
    bgra[0::4], bgra[2::4] = rgba[2::4], rgba[0::4]
    source.setPixelData(bytes(bgra), 0, 0, 64, 48)
    doc.setActiveNode(source)
    kdoc = KritaDocument(doc)

    def train() -> dict:
        outcome = api.train(preset="tiny", layer="Source", overrides=spec["overrides"], document=kdoc)
        return {"model_id": outcome.model_id}

    def start_training() -> dict:
        api.train(preset="tiny", layer="Source", overrides=spec["overrides"], document=kdoc, background=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = session.client().list_jobs(active_only=True)
            if jobs:
                return {"job_id": jobs[0].job_id, "state": int(jobs[0].state)}
            time.sleep(0.2)
        raise RuntimeError("the training did not start within 60 s")

    _step(
        results,
        "train" if spec["variant"] == "idle" else "start_training",
        train if spec["variant"] == "idle" else start_training,
    )
