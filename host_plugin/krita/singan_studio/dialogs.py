"""Krita's dialogs for the actions: Qt layouts of :mod:`host_plugin.common.dialogs` (which turns their
values into requests and is unit-tested without Qt). Harmonize / Edit / Paint to image and Generate
show a small preview (:mod:`host_plugin.common.preview`: the same call at the model's size, debounced, on a worker
thread, cancelled by a newer change or by closing the dialog)."""

from __future__ import annotations

from collections.abc import Callable

from host_plugin.client import CancelToken, RawImage
from host_plugin.common.dialogs import (
    CHANGE_LEVELS,
    FINE_TUNE_HELP,
    FINE_TUNE_LABEL,
    GENERATE_SIZES,
    MAX_SEED,
    VARIATION_DEFAULT,
    VARIATION_HELP,
    VARIATION_MAX,
    GenerateChoices,
    InjectChoices,
)
from host_plugin.common.pixels import to_rgba
from host_plugin.common.preview import (
    Preview,
    Previewer,
    PreviewLoop,
    preview_request,
    sample_request,
)
from host_plugin.common.runner import describe_error

from . import api
from .qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QImage,
    QLabel,
    QPixmap,
    QSlider,
    QSpinBox,
    Qt,
    QTimer,
    QWidget,
)

#: the preview's box in the dialog (px); the image is scaled into it keeping its aspect
PREVIEW_BOX = (280, 190)
Render = Callable[[object, CancelToken], Preview]  # (the dialog's choices, cancel) -> preview

#: the slider's steps per unit of variation strength
STEPS = 20

CHANGE_HELP = (
    "Where the model takes over: keeping the layout injects at a fine scale (the result stays close to "
    "your pixels), changing more injects at a coarse one (shapes may move)"
)


def to_qimage(image: RawImage) -> QImage:
    """An API image as an 8-bit RGBA QImage (copy, so the bytes may be freed)."""
    rgba = to_rgba(image, 8)
    return QImage(rgba, image.width, image.height, 4 * image.width, QImage.Format_RGBA8888).copy()


def _renderer(request_for: Callable) -> Render:
    """Renders ``request_for(choices)`` with one client, reached only from the worker (a managed server
    may have to start first: never on Krita's UI thread)."""
    session = api.session()
    previewers: list[Previewer] = []

    def render(choices, cancel: CancelToken) -> Preview:
        if not previewers:
            previewers.append(Previewer(session.client()))
        return previewers[0].render(request_for(choices), cancel)

    return render


def preview_renderer(kind: str) -> Render:
    """The preview of ``kind`` (harmonize, edit, paint_to_image) on the active document: its pixels and
    model are read now (Krita's UI thread)."""
    session = api.session()
    doc = session.document(None)
    plan = InjectChoices().plan(doc, api.STYLE, kind, session.model(doc, None))
    return _renderer(lambda choices: preview_request(plan, choices))


def sample_renderer() -> Render:
    """Generate's preview: variation 1 of the active document's model at the model's size."""
    session = api.session()
    model = session.model(session.document(None), None)
    return _renderer(lambda choices: sample_request(model, choices))


class _Dialog(QDialog):
    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"SinGAN: {title}")
        self.form = QFormLayout(self)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("The same seed gives the same result")
        self.variation = QSlider(Qt.Horizontal)
        self.variation.setRange(0, int(VARIATION_MAX * STEPS))
        self.variation.setValue(int(VARIATION_DEFAULT * STEPS))
        self.variation.setToolTip(VARIATION_HELP)
        self.variation_value = QLabel()
        self.variation.valueChanged.connect(self._show_variation)
        self._show_variation()
        self.previews: PreviewLoop | None = None

    def _show_variation(self) -> None:
        value = self.strength
        words = "as trained" if value == VARIATION_DEFAULT else ("calmer" if value < 1 else "wilder")
        self.variation_value.setText(f"{value:.2f} ({words})")

    @property
    def strength(self) -> float:
        return self.variation.value() / STEPS

    def _variation_row(self) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.variation, 1)
        box.addWidget(self.variation_value)
        return row

    def _add_preview(self, make_render: Callable[[], Render], signals: list, note: str = "") -> None:
        """A preview row: ``make_render()`` (reads the document now) renders :meth:`choices`, again
        when one of ``signals`` fires; ``note`` ends its caption."""
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setFixedSize(*PREVIEW_BOX)
        self.preview.setStyleSheet("border: 1px solid palette(mid)")
        self.preview_note = QLabel("asking for a preview...")
        self.preview_note.setWordWrap(True)  # two lines kept free: the dialog does not grow when it wraps
        self.preview_note.setMinimumHeight(2 * self.preview_note.fontMetrics().lineSpacing() + 4)
        self.form.addRow("Preview", self.preview)
        self.form.addRow("", self.preview_note)
        try:
            render = make_render()
        except Exception as err:  # no selection, no model...: the action will say so too
            self.preview_note.setText(f"no preview: {describe_error(err)}")
            return
        post = api.session().runner.post
        self.previews = PreviewLoop(render, self._show_preview, post, busy=self._preview_busy)
        self._tick = QTimer(self)
        self._tick.setInterval(100)
        self._tick.timeout.connect(self.previews.poll)
        self._tick.start()
        for signal in (self.seed.valueChanged, self.variation.valueChanged, *signals):
            signal.connect(self._changed)
        self.finished.connect(lambda _result: self.previews and self.previews.close())
        self.note = note
        self._changed()

    def _changed(self, *_args) -> None:
        if self.previews is not None:
            self.previews.request(self.choices())

    def _preview_busy(self) -> None:
        self.preview_note.setText("updating the preview...")

    def _show_preview(self, preview: Preview | None, error: str) -> None:
        if preview is None:
            self.preview_note.setText(error)
            return
        pixmap = QPixmap.fromImage(to_qimage(preview.image))
        self.preview.setPixmap(pixmap.scaled(*PREVIEW_BOX, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        self.preview_note.setText(preview.caption + self.note)

    def _buttons(self) -> None:
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.form.addRow(buttons)


class InjectDialog(_Dialog):
    """Harmonize / Edit / Paint to image: how much may change (in words), seed, variation strength;
    ``can_fine_tune`` (Harmonize): the "fine-tune first" box; ``kind`` (harmonize, edit or
    paint_to_image): a preview of that action on the active document."""

    def __init__(self, title: str, parent=None, can_fine_tune: bool = False, kind: str | None = None) -> None:
        super().__init__(title, parent)
        self.fine_tune = QCheckBox(FINE_TUNE_LABEL)
        self.fine_tune.setToolTip(FINE_TUNE_HELP)
        self.change = QComboBox()
        for key, label, _level in CHANGE_LEVELS:
            self.change.addItem(label, key)
        self.change.setToolTip(CHANGE_HELP)
        self.form.addRow("How much may change", self.change)
        hint = QLabel("keep layout ... change more: where the model takes over from your pixels")
        hint.setWordWrap(True)
        self.form.addRow("", hint)
        self.form.addRow("Seed", self.seed)
        self.form.addRow("Variation", self._variation_row())
        if can_fine_tune:
            self.form.addRow("", self.fine_tune)
        if kind is not None:
            note = " (without fine-tuning)" if can_fine_tune else ""
            signals = [self.change.currentIndexChanged]
            self._add_preview(lambda: preview_renderer(kind), signals, note)
        self._buttons()

    def choices(self) -> InjectChoices:
        return InjectChoices(
            self.change.currentData(), self.seed.value(), self.strength, self.fine_tune.isChecked()
        )


class GenerateDialog(_Dialog):
    """Generate: how many, seed, size (document / model), variation strength; ``preview``: variation 1
    of the active document's model at the model's size."""

    def __init__(self, n: int, parent=None, preview: bool = False) -> None:
        super().__init__("Generate variations", parent)
        self.count = QSpinBox()
        self.count.setRange(1, 64)
        self.count.setValue(n)
        self.size = QComboBox()
        for key, label in GENERATE_SIZES:
            self.size.addItem(label, key)
        self.form.addRow("Number of variations", self.count)
        self.form.addRow("Size", self.size)
        self.form.addRow("Seed", self.seed)
        self.form.addRow("Variation", self._variation_row())
        if preview:
            self._add_preview(sample_renderer, [])
        self._buttons()

    def choices(self) -> GenerateChoices:
        return GenerateChoices(self.count.value(), self.seed.value(), self.size.currentData(), self.strength)
