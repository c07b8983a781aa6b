"""Krita's dialogs for the actions: Qt layouts of :mod:`host_plugin.common.dialogs` (which turns their
values into requests and is unit-tested without Qt). Harmonize / Edit / Paint to image show a small
preview (:mod:`host_plugin.common.preview`: the same call at the model's size, debounced, on a worker
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
from host_plugin.common.preview import Preview, Previewer, PreviewLoop, preview_request
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
Render = Callable[[InjectChoices, CancelToken], Preview]

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


def preview_renderer(kind: str) -> Render:
    """The preview of ``kind`` on the active document: its pixels and model are read now (Krita's UI
    thread), the server is reached only from the worker (a managed server may have to start first)."""
    session = api.session()
    doc = session.document(None)
    plan = InjectChoices().plan(doc, api.STYLE, kind, session.model(doc, None))
    previewers: list[Previewer] = []

    def render(choices: InjectChoices, cancel: CancelToken) -> Preview:
        if not previewers:
            previewers.append(Previewer(session.client()))
        return previewers[0].render(preview_request(plan, choices), cancel)

    return render


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
        self.previews: PreviewLoop | None = None
        if kind is not None:
            self._add_preview(kind, can_fine_tune)
        self._buttons()

    def _add_preview(self, kind: str, can_fine_tune: bool) -> None:
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setFixedSize(*PREVIEW_BOX)
        self.preview.setStyleSheet("border: 1px solid palette(mid)")
        self.preview_note = QLabel()
        self.preview_note.setWordWrap(True)
        self.form.addRow("Preview", self.preview)
        self.form.addRow("", self.preview_note)
        try:
            render = preview_renderer(kind)
        except Exception as err:  # no selection, no model...: the action will say so too
            self.preview_note.setText(f"no preview: {describe_error(err)}")
            return
        post = api.session().runner.post
        self.previews = PreviewLoop(render, self._show_preview, post, busy=self._preview_busy)
        self._tick = QTimer(self)
        self._tick.setInterval(100)
        self._tick.timeout.connect(self.previews.poll)
        self._tick.start()
        self.seed.valueChanged.connect(self._changed)
        self.variation.valueChanged.connect(self._changed)
        self.change.currentIndexChanged.connect(self._changed)
        self.finished.connect(lambda _result: self.previews and self.previews.close())
        self.tuning_note = " (without fine-tuning)" if can_fine_tune else ""
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
        self.preview_note.setText(preview.caption + self.tuning_note)

    def choices(self) -> InjectChoices:
        return InjectChoices(
            self.change.currentData(), self.seed.value(), self.strength, self.fine_tune.isChecked()
        )


class GenerateDialog(_Dialog):
    """Generate: how many, seed, size (document / model), variation strength."""

    def __init__(self, n: int, parent=None) -> None:
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
        self._buttons()

    def choices(self) -> GenerateChoices:
        return GenerateChoices(self.count.value(), self.seed.value(), self.size.currentData(), self.strength)
