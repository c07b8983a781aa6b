#!/usr/bin/env python3
"""SinGAN Studio for GIMP 3: Filters > SinGAN.

GIMP runs this file as ``plug-ins/singan/singan.py``. The procedures and their arguments live in
``host_plugin.gimp.procedures``, what they do in ``host_plugin.gimp.actions`` and the shared plugin core
(``host_plugin.common``); this file only registers them with GIMP, shows the procedure dialog on
interactive runs and turns errors into PDB errors.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _python_path() -> list[str]:
    """The plug-in folder (installed layout) or the repository (development), plus vendored deps."""
    for root in (HERE, *HERE.parents[:3]):
        if (root / "host_plugin" / "client" / "__init__.py").is_file():
            paths = [str(root)]
            vendor = root / "_vendor"
            if vendor.is_dir():
                paths.insert(0, str(vendor))
            return paths
    return [str(HERE)]


PYTHON_PATH = _python_path()
for _entry in reversed(PYTHON_PATH):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
if os.environ.get("SINGAN_GIMP_DUMP_S"):  # diagnosing hangs: dump every thread's stack periodically
    import faulthandler

    faulthandler.dump_traceback_later(float(os.environ["SINGAN_GIMP_DUMP_S"]), repeat=True)

import gi  # noqa: E402

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gimp, Gio, GLib, GObject  # noqa: E402

from host_plugin.client import Client, ClientError  # noqa: E402
from host_plugin.common.managed_server import ManagedServerError  # noqa: E402
from host_plugin.common.models import resolve  # noqa: E402
from host_plugin.common.settings import (  # noqa: E402
    SERVER_MODES,
    JsonFileStore,
    Settings,
    load_settings,
    managed_server,
    save_settings,
    server_connection,
)
from host_plugin.gimp import actions  # noqa: E402
from host_plugin.gimp.cancel_watch import CancelWatch  # noqa: E402
from host_plugin.gimp.gimp_document import GimpDocument, GimpProgress, read_parasite  # noqa: E402
from host_plugin.gimp.procedures import BY_NAME, MENU_PATH, PROCEDURES, Arg  # noqa: E402
from host_plugin.gimp.procedures import Procedure as Spec  # noqa: E402

RW = GObject.ParamFlags.READWRITE
#: GIMP is this plug-in's parent: the managed local server's user, gone when GIMP quits
GIMP_PID = os.getppid()
EXPECTED_ERRORS = (
    ClientError,
    ValueError,
    ManagedServerError,
)  # ValueError: regions, formats, models, settings, failed jobs


def _add_arg(procedure: Gimp.Procedure, arg: Arg, *, return_value: bool = False) -> None:
    gimp_kind = {"bool": "boolean"}.get(arg.kind, arg.kind)
    add = getattr(procedure, f"add_{gimp_kind}_{'return_value' if return_value else 'argument'}")
    if arg.kind in ("int", "double"):
        add(arg.name, arg.label, arg.blurb, arg.minimum, arg.maximum, arg.default, RW)
    elif arg.kind in ("string", "bool"):
        add(arg.name, arg.label, arg.blurb, arg.default, RW)
    elif arg.kind == "choice":
        choice = Gimp.Choice.new()
        for index, (value, label) in enumerate(arg.choices):
            choice.add(value, index, label, "")
        add(arg.name, arg.label, arg.blurb, choice, arg.default, RW)
    elif arg.kind in ("layer", "image"):
        add(arg.name, arg.label, arg.blurb, True, RW)  # may be left empty
    else:
        raise ValueError(f"unknown argument kind {arg.kind!r}")


def _settings() -> JsonFileStore:
    return JsonFileStore(Path(Gimp.directory()) / actions.SETTINGS_FILE)


def _error(procedure: Gimp.Procedure, message: str) -> Gimp.ValueArray:
    error = GLib.Error.new_literal(GLib.quark_from_string("singan-studio"), message, 0)
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, error)


def _success(procedure: Gimp.Procedure, values: list[GObject.Value] | None = None) -> Gimp.ValueArray:
    result = procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
    for index, value in enumerate(values or [], start=1):
        result.remove(index)
        result.insert(index, value)
    return result


def _model(config: Gimp.ProcedureConfig, doc: GimpDocument):
    """An explicit id, the model of a chosen layer or image, else the one of this layer or image."""
    picked = (read_parasite(config.get_property(name)) for name in ("model-layer", "model-image"))
    return resolve(doc.models(), config.get_property("model-id") or "", *picked, hint=actions.TRAIN_HINT)


def _run_image(spec: Spec, procedure, run_mode, image, drawables, config) -> Gimp.ValueArray:
    if len(drawables) != 1:
        return _error(procedure, f"{spec.label.strip('_.')}: select exactly one layer (got {len(drawables)})")
    interactive = run_mode == Gimp.RunMode.INTERACTIVE
    if interactive and not _interactive(procedure, config, spec, image, drawables[0]):
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    doc = GimpDocument(image, drawables[0], show=interactive)
    bar = GimpProgress(f"SinGAN: {spec.task}")
    try:
        conn = server_connection(load_settings(_settings()), bar.pulse, user=GIMP_PID)
        with Client(conn) as client:
            training = spec.task in actions.TRAINING
            model = None if spec.task in actions.NO_MODEL else _model(config, doc)
            plan = actions.plan(spec.task, doc, config.get_property, model)
            watch = CancelWatch(conn, PYTHON_PATH) if training else None
            outcome = actions.run(plan, doc, client, bar, watch)
            if not spec.returns:
                return _success(procedure)
            if spec.returns[0].kind == "string":
                return _success(procedure, [GObject.Value(GObject.TYPE_STRING, outcome.model_id)])
            new_image = outcome.layers[0].document.image
            return _success(procedure, [GObject.Value(Gimp.Image, new_image)])
    except EXPECTED_ERRORS as exc:
        code = getattr(exc, "code", "")
        prefix = f"server answered {code}: " if code and code != "UNKNOWN" else ""
        return _error(procedure, f"SinGAN {spec.task}: {prefix}{exc}")
    except Exception as exc:  # a bug: keep the traceback for the error console
        traceback.print_exc()
        return _error(procedure, f"SinGAN {spec.task} failed unexpectedly: {type(exc).__name__}: {exc}")
    finally:
        bar.end()


def _interactive(procedure, config, spec: Spec, image, drawable) -> bool:
    """The procedure's dialog; Train's keeps its time estimate up to date, Harmonize / Edit / Paint to
    image and Generate show a preview (``dialog_ui``). False: the user cancelled."""
    from host_plugin.gimp import dialog_ui  # GimpUi: only for interactive runs

    client = dialog_ui.LazyClient(
        lambda: Client(server_connection(load_settings(_settings()), user=GIMP_PID))
    )
    doc = GimpDocument(image, drawable, show=False)
    addon = None
    if spec.task == "train":
        addon = dialog_ui.estimate_addon(doc, client)
    elif spec.task in ("harmonize", "edit", "paint-to-image"):
        make = lambda: actions.plan(spec.task, doc, config.get_property, _model(config, doc))  # noqa: E731
        note = " (without fine-tuning)" if spec.task == "harmonize" else ""
        capture = dialog_ui.inject_capture(make, config)  # type: ignore[arg-type]
        addon = dialog_ui.preview_addon(capture, client, note, dialog_ui.INJECT_ARGS)
    elif spec.task == "generate":
        capture = dialog_ui.sample_capture(lambda: _model(config, doc), config)
        addon = dialog_ui.preview_addon(capture, client, "", dialog_ui.SAMPLE_ARGS)
    title = f"SinGAN: {spec.label.replace('_', '').rstrip('.')}"
    try:
        return dialog_ui.run_dialog(procedure, config, title, spec, addon)
    finally:
        client.close()


def server_status(settings: Settings) -> str:
    """The server in use, its version and device (the managed one is not started just to say so)."""
    kind = SERVER_MODES[settings.server_mode]
    if settings.managed and managed_server(settings).running() is None:
        return f"{kind}: not running (it starts with the first action)"
    try:
        with Client(server_connection(settings, user=GIMP_PID)) as client:
            info = client.server_info()
    except EXPECTED_ERRORS as exc:
        return f"{kind}: {exc}"
    return f"{kind}: singan-server {info.version} on {info.device.name or info.device.kind}"


def _run_settings(procedure, config, _data) -> Gimp.ValueArray:
    store = _settings()
    current = load_settings(store, environ={})
    if config.get_property("run-mode") == Gimp.RunMode.INTERACTIVE:
        config.set_property("server", current.server_mode)
        config.set_property("address", current.address)
        config.set_property("token", current.token)
        config.set_property("status", server_status(current))
        from host_plugin.gimp.dialog_ui import run_dialog

        if not run_dialog(procedure, config, "SinGAN: server settings", BY_NAME["plug-in-singan-settings"]):
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    try:
        address, token = config.get_property("address"), config.get_property("token") or ""
        mode = config.get_property("server")
        save_settings(store, replace(current, server_mode=mode, address=address, token=token))
    except (ValueError, OSError) as exc:
        return _error(procedure, f"SinGAN settings: {exc}")
    return _success(procedure)


def _run_server_log(procedure, config, _data) -> Gimp.ValueArray:
    """Opens the managed server's log in the desktop's viewer (one menu click)."""
    log = managed_server(load_settings(_settings())).log_path
    if not log.exists():
        return _error(
            procedure, f"SinGAN: no local server log yet ({log}); it appears when the server starts"
        )
    try:
        Gio.AppInfo.launch_default_for_uri(log.as_uri(), None)
    except GLib.Error as exc:
        return _error(procedure, f"SinGAN: cannot open {log}: {exc.message}")
    return _success(procedure)


class SinGANPlugIn(Gimp.PlugIn):
    def do_query_procedures(self):
        return [spec.name for spec in PROCEDURES]

    def do_set_i18n(self, _name):
        return False

    def do_create_procedure(self, name):
        spec = BY_NAME[name]
        if spec.on_image:

            def run(procedure, run_mode, image, drawables, config, _data):
                return _run_image(spec, procedure, run_mode, image, drawables, config)

            procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
            procedure.set_image_types("RGB*, GRAY*")
            procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        else:
            run_plain = _run_server_log if name == "plug-in-singan-server-log" else _run_settings
            procedure = Gimp.Procedure.new(self, name, Gimp.PDBProcType.PLUGIN, run_plain, None)
            procedure.add_enum_argument(
                "run-mode", "Run mode", "The run mode", Gimp.RunMode, Gimp.RunMode.INTERACTIVE, RW
            )
            procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.ALWAYS)
        procedure.set_menu_label(spec.label)
        procedure.add_menu_path(MENU_PATH)
        procedure.set_documentation(spec.blurb, spec.help, name)
        procedure.set_attribution("SinGAN Studio", "SinGAN Studio contributors (MIT)", "2025")
        for arg in spec.args:
            _add_arg(procedure, arg)
        for arg in spec.returns:
            _add_arg(procedure, arg, return_value=True)
        return procedure


if __name__ == "__main__":
    Gimp.main(SinGANPlugIn.__gtype__, sys.argv)
