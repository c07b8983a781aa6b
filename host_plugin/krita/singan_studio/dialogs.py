"""Krita's dialogs for the actions: Qt layouts of :mod:`host_plugin.common.dialogs` (which turns their
values into requests and is unit-tested without Qt)."""

from __future__ import annotations

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

from .qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    Qt,
    QWidget,
)

#: the slider's steps per unit of variation strength
STEPS = 20

CHANGE_HELP = (
    "Where the model takes over: keeping the layout injects at a fine scale (the result stays close to "
    "your pixels), changing more injects at a coarse one (shapes may move)"
)


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
    ``can_fine_tune`` (Harmonize): the "fine-tune first" box."""

    def __init__(self, title: str, parent=None, can_fine_tune: bool = False) -> None:
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
        self._buttons()

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
