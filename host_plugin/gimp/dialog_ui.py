"""GIMP's procedure dialogs: GimpUi's form of the procedure's arguments, plus what that form cannot say
on its own, packed below it in the dialog (GimpUi's ProcedureDialog is a GtkDialog: its content area
takes any GTK widget):

- Train: the server's estimate of the time for the current options, as a wrapped line (a string
  argument's entry cut it off), asked again 0.4 s after the preset, iterations, model size or "whole
  layer" change (pixels read once per area, the call on a worker thread); iterations and model size
  show "preset" for 0 (the preset's own value), as Krita's docker does, not "0".
- Harmonize / Edit / Paint to image and Generate: the model in use, by name, and a small preview
  (:mod:`host_plugin.common.preview`: the same call at the model's size on the captured pixels, or
  Generate's variation 1 at the model's size, refreshed when how much may change, seed or variation
  change, debounced, on a worker thread, a newer change or closing the dialog cancels the call in
  flight).

Both run while the dialog's own main loop runs: a GLib timeout ticks :class:`PreviewLoop`, results come
back to GTK's thread through ``GLib.idle_add``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

import gi

gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf, GimpUi, GLib, GObject, Gtk  # noqa: E402

from host_plugin.client import CancelToken, Client  # noqa: E402
from host_plugin.common.dialogs import GenerateChoices, InjectChoices, training_value_text  # noqa: E402
from host_plugin.common.flows import InjectPlan  # noqa: E402
from host_plugin.common.models import ModelRef  # noqa: E402
from host_plugin.common.pixels import to_rgba  # noqa: E402
from host_plugin.common.preview import (  # noqa: E402
    Preview,
    Previewer,
    PreviewLoop,
    preview_request,
    sample_request,
)
from host_plugin.common.runner import describe_error  # noqa: E402

from . import actions  # noqa: E402
from .procedures import Procedure  # noqa: E402

PREVIEW_BOX = (280, 190)
TICK_MS = 100
#: the arguments each addition follows (GObject notify names)
ESTIMATE_ARGS = ("preset", "iterations", "max-size", "whole-layer")
#: Train's number arguments whose 0 means the preset's own value (shown in words)
PRESET_VALUE_ARGS = ("iterations", "max-size")
INJECT_ARGS = ("change", "seed", "variation")
SAMPLE_ARGS = ("seed", "variation")
#: an addition to a dialog: packs its widgets, returns what to call when the dialog ends
Addon = Callable[[GimpUi.ProcedureDialog, object], Callable[[], None]]
#: a preview's capture: () -> (the model, () -> the request for the dialog's current values)
Capture = Callable[[], tuple[ModelRef, Callable[[], object]]]


def run_dialog(procedure, config, title: str, spec: Procedure, addon: Addon | None = None) -> bool:
    """GimpUi's procedure dialog. Image arguments are left out (GimpUi 3.0 has no widget for them), and
    so are hidden ones (for scripts and tests); both stay available to scripts."""
    GimpUi.init("singan")
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config, title=title)
    dialog.fill([arg.name for arg in spec.args if arg.kind != "image" and not arg.hidden])
    end = addon(dialog, config) if addon is not None else None
    try:
        accepted = dialog.run()
    finally:
        if end is not None:
            end()
        dialog.destroy()
    return bool(accepted)


class LazyClient:
    """One client per dialog, opened on first use from a worker thread (starting the managed local server
    may take seconds: never on GTK's thread)."""

    def __init__(self, open_client: Callable[[], Client]) -> None:
        self._open = open_client
        self._client: Client | None = None
        self._lock = threading.Lock()

    def get(self) -> Client:
        with self._lock:
            if self._client is None:
                self._client = self._open()
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _trace(text: str) -> None:
    """With ``SINGAN_GIMP_DIALOG_LOG`` set, what the dialog shows goes to stderr too (host tests read it
    in GIMP's output; a screenshot cannot be read back as text)."""
    if os.environ.get("SINGAN_GIMP_DIALOG_LOG"):
        print(f"SinGAN dialog: {text}", file=sys.stderr, flush=True)


def _post(fn: Callable[[], None]) -> None:
    def once() -> bool:
        fn()
        return False  # GLib: do not call again

    GLib.idle_add(once)


def _line(text: str = "") -> Gtk.Label:
    label = Gtk.Label(label=text)
    label.set_line_wrap(True)
    label.set_max_width_chars(52)
    label.set_xalign(0.0)
    label.set_margin_start(6)
    label.show()
    return label


def _follow(config, names: tuple[str, ...], loop: PreviewLoop, make: Callable[[], object], fail) -> None:
    """Hand ``make()`` to ``loop`` now and whenever one of the arguments ``names`` changes; ``fail(text)``
    when it cannot be made (bad options, no model...)."""

    def changed() -> None:
        try:
            loop.request(make())
        except Exception as err:
            fail(describe_error(err))

    config.connect("notify", lambda _config, pspec: pspec.name in names and changed())
    GLib.timeout_add(TICK_MS, loop.poll)
    changed()


def _preset_words(dialog, names: tuple[str, ...]) -> None:
    """The spin buttons of ``names`` show :func:`training_value_text` ("preset" for 0) instead of the
    number. GtkSpinButton's "output" signal sets the text; typed text that is not a number reads as 0
    (GTK's own parse: strtod), so "preset" stays the preset's."""

    def output(spin) -> bool:
        spin.set_text(training_value_text(spin.get_value_as_int()))
        return True  # the text is set: not GTK's default output

    for name in names:
        try:
            widget = dialog.get_widget(name, GObject.TYPE_NONE)  # GimpLabelSpin, made by fill()
            spin = widget.get_spin_button() if hasattr(widget, "get_spin_button") else widget
            spin.set_numeric(False)  # GimpLabelSpin's is numeric: it would refuse the word's letters
            spin.set_width_chars(max(spin.get_width_chars(), len(training_value_text(0)) + 1))  # not "prese"
            spin.connect("output", output)
            output(spin)
            _trace(f"{name}: {spin.get_text()}")
        except Exception as err:  # a cosmetic: the dialog still works with the number shown
            _trace(f"{name}: no words for the preset's value ({describe_error(err)})")


def estimate_addon(doc, client: LazyClient) -> Addon:
    """The Train dialog's Time line, kept up to date with the options, and its preset values in words."""

    def addon(dialog, config) -> Callable[[], None]:
        _preset_words(dialog, PRESET_VALUE_ARGS)
        label = _line("Time: asking the server...")
        dialog.get_content_area().pack_start(label, False, False, 6)
        captured: dict = {}

        def show(line: str | None, error: str) -> None:
            label.set_text(f"Time: {line or error}")
            _trace(label.get_text())

        loop: PreviewLoop = PreviewLoop(
            lambda request, _cancel: actions.training_estimate(client.get(), request),
            show,
            _post,
            busy=lambda: label.set_text("Time: asking the server..."),
        )
        make = lambda: actions.estimate_request(doc, config.get_property, captured)  # noqa: E731
        _follow(config, ESTIMATE_ARGS, loop, make, lambda text: label.set_text(f"Time: {text}"))
        return loop.close

    return addon


def _pixbuf(preview: Preview) -> GdkPixbuf.Pixbuf:
    image = preview.image
    data = GLib.Bytes.new(to_rgba(image, 8))
    full = GdkPixbuf.Pixbuf.new_from_bytes(
        data, GdkPixbuf.Colorspace.RGB, True, 8, image.width, image.height, 4 * image.width
    )
    k = min(PREVIEW_BOX[0] / image.width, PREVIEW_BOX[1] / image.height)
    w, h = max(1, round(image.width * k)), max(1, round(image.height * k))
    return full.scale_simple(w, h, GdkPixbuf.InterpType.BILINEAR)


def inject_capture(make_plan: Callable[[], InjectPlan], config) -> Capture:
    """Harmonize / Edit / Paint to image: the plan's pixels and model, read now; the dialog's how much may
    change, seed and variation make each request."""

    def capture():
        plan = make_plan()
        choices = lambda: InjectChoices(  # noqa: E731
            str(config.get_property("change")),
            int(config.get_property("seed")),
            float(config.get_property("variation")),
        )
        return plan.model, lambda: preview_request(plan, choices())

    return capture


def sample_capture(model_of: Callable[[], ModelRef], config) -> Capture:
    """Generate: variation 1 of the model at its size, for the dialog's seed and variation."""

    def capture():
        model = model_of()
        choices = lambda: GenerateChoices(  # noqa: E731
            1, int(config.get_property("seed")), "model", float(config.get_property("variation"))
        )
        return model, lambda: sample_request(model, choices())

    return capture


def preview_addon(capture: Capture, client: LazyClient, note: str, follow: tuple[str, ...]) -> Addon:
    """The model line and the preview of a dialog. ``capture()`` reads the pixels and resolves the model
    (GTK's thread), again when "Model of layer" changes; it returns the model and what makes a request
    from the dialog's current values; ``follow``: the arguments that change the preview."""

    def addon(dialog, config) -> Callable[[], None]:
        model_line = _line()
        frame = Gtk.Frame()
        frame.set_size_request(*PREVIEW_BOX)
        frame.set_halign(Gtk.Align.CENTER)
        picture = Gtk.Image()
        frame.add(picture)
        frame.show_all()
        caption = _line()
        box = dialog.get_content_area()
        for widget in (model_line, frame, caption):
            box.pack_start(widget, False, False, 4)
        captured: list = []
        previewers: list[Previewer] = []

        def make():
            if not captured:
                captured.append(capture())
                model = captured[0][0]
                model_line.set_text(f"Model: {model.name or model.model_id}")
            return captured[0][1]()

        def render(request, cancel: CancelToken) -> Preview:
            if not previewers:
                previewers.append(Previewer(client.get()))
            return previewers[0].render(request, cancel)

        def show(preview: Preview | None, error: str) -> None:
            if preview is None:
                caption.set_text(error)
            else:
                picture.set_from_pixbuf(_pixbuf(preview))
                caption.set_text(preview.caption + note)
            _trace(f"{model_line.get_text()} | {caption.get_text()}")

        def fail(text: str) -> None:
            caption.set_text(f"no preview: {text}")

        loop: PreviewLoop = PreviewLoop(
            render, show, _post, busy=lambda: caption.set_text("updating the preview...")
        )

        def model_changed(_config, pspec) -> None:
            if pspec.name == "model-layer":
                captured.clear()
                model_line.set_text("")

        config.connect("notify", model_changed)
        _follow(config, (*follow, "model-layer"), loop, make, fail)
        return loop.close

    return addon
