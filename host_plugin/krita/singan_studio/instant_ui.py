"""The instant actions in Krita's UI: Tools > SinGAN menu entries and a small docker panel that offers them
beside the trained model ("Instant, no training" / "SinGAN model"). Each action asks its values in one
small dialog (:mod:`host_plugin.common.instant_choices`: seed; the variations' number and size; the fill's
source, the rest of the image or another layer; the borders), then runs them through :mod:`.instant_api`
in the background; errors show as the other actions' do.
"""

from __future__ import annotations

from collections.abc import Callable

from host_plugin.common.dialogs import MAX_SEED
from host_plugin.common.instant_choices import (
    BORDER_SIDES,
    FILL_SOURCE_HELP,
    SEED_HELP,
    VARIATION_SIZES,
    ExtendChoices,
    FillChoices,
    VariationsChoices,
    fill_sources,
)
from host_plugin.common.instant_flows import ENGINES, INSTANT, MAX_BORDER, MAX_VARIATIONS

from . import instant_api
from .krita_document import KritaDocument
from .qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

Report = Callable[[str, BaseException], None]
MAX_SIDE = 16384  # px: the custom size's spin boxes (the server checks its own limits)


def _spin(low: int, high: int, value: int, tip: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def _combo(items: list[tuple[str, str]] | tuple[tuple[str, str], ...], tip: str = "") -> QComboBox:
    box = QComboBox()
    for key, label in items:
        box.addItem(label, key)
    box.setToolTip(tip)
    return box


class InstantDialog(QDialog):
    """A form with a seed and OK / Cancel; :meth:`choices` gives the values as the plugin core's choices."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"SinGAN: {title} (instant, no training)")
        self.form = QFormLayout(self)
        self.seed = _spin(0, MAX_SEED, 0, SEED_HELP)

    def finish(self) -> None:
        self.form.addRow("Seed", self.seed)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.form.addRow(buttons)


class VariationsDialog(InstantDialog):
    def __init__(self, parent=None) -> None:
        super().__init__("Instant variations", parent)
        self.n = _spin(1, MAX_VARIATIONS, 1)
        self.size = _combo(VARIATION_SIZES)
        self.width, self.height = _spin(1, MAX_SIDE, 1600), _spin(1, MAX_SIDE, 600)
        custom = QWidget()
        row = QHBoxLayout(custom)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.width, QLabel("x"), self.height, QLabel("px")):
            row.addWidget(widget)
        self.form.addRow("Number of variations", self.n)
        self.form.addRow("Size", self.size)
        self.form.addRow("Width x height", custom)
        self.size.currentIndexChanged.connect(self._size_changed)
        self._size_changed()
        self.finish()

    def _size_changed(self) -> None:
        custom = self.size.currentData() == "custom"
        self.width.setEnabled(custom)
        self.height.setEnabled(custom)

    def choices(self) -> VariationsChoices:
        size = self.size.currentData()
        return VariationsChoices(
            self.n.value(), self.seed.value(), size, self.width.value(), self.height.value()
        )


class FillDialog(InstantDialog):
    def __init__(self, layer_names: list[str], parent=None) -> None:
        super().__init__("Fill selection", parent)
        self.source = _combo(fill_sources(layer_names), FILL_SOURCE_HELP)
        self.form.addRow("Fill from", self.source)
        self.finish()

    def choices(self) -> FillChoices:
        return FillChoices(self.seed.value(), self.source.currentData())


class ExtendDialog(InstantDialog):
    def __init__(self, parent=None) -> None:
        super().__init__("Extend canvas", parent)
        defaults = ExtendChoices()
        self.sides = {side: _spin(0, MAX_BORDER, getattr(defaults, side)) for side in BORDER_SIDES}
        for side, box in self.sides.items():
            box.setSuffix(" px")
            self.form.addRow(side.capitalize(), box)
        self.finish()

    def choices(self) -> ExtendChoices:
        return ExtendChoices(*(self.sides[side].value() for side in BORDER_SIDES), seed=self.seed.value())


def layer_names() -> list[str]:
    """The active Krita document's layer names, top first (the fill's possible sources)."""
    active = KritaDocument.active()
    names: list[str] = []

    def walk(node) -> None:
        for child in reversed(node.childNodes()):
            if child.type() in ("paintlayer", "grouplayer", "filelayer", "clonelayer"):
                names.append(child.name())
            walk(child)

    if active is not None:
        walk(active.doc.rootNode())
    return names


class InstantActions:
    """The three actions, each with its small dialog; ``parent()`` gives the dialogs' parent window."""

    def __init__(self, parent: Callable[[], object], report: Report) -> None:
        self.parent, self.report = parent, report

    def ask(self, dialog: InstantDialog) -> object | None:
        """The dialog's choices, or None when cancelled (a seam for tests: they answer without a window)."""
        return dialog.choices() if dialog.exec_() == QDialog.Accepted else None

    def _run(self, title: str, dialog: InstantDialog) -> None:
        try:
            choices = self.ask(dialog)
            if choices is not None:
                instant_api.with_choices(choices, background=True)
        except Exception as err:  # problems found before any network work show at once
            self.report(title, err)

    def variations(self) -> None:
        self._run("Instant variations", VariationsDialog(self.parent()))

    def fill(self) -> None:
        self._run("Fill selection", FillDialog(layer_names(), self.parent()))

    def extend(self) -> None:
        self._run("Extend canvas", ExtendDialog(self.parent()))

    def menu_entries(self) -> list[tuple[str, str, Callable[[], None]]]:
        return [
            ("singan_instant_variations", "Instant Variations (No Training)...", self.variations),
            ("singan_instant_fill", "Fill Selection (Instant)...", self.fill),
            ("singan_instant_extend", "Extend Canvas (Instant)...", self.extend),
        ]


class EnginePanel(QWidget):
    """ "Instant, no training" / "SinGAN model": the first shows the instant actions' buttons (the model
    controls above stay for the second)."""

    def __init__(self, actions: InstantActions) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Engine"))
        self.engine = QComboBox()
        for key, label in ENGINES.items():
            self.engine.addItem(label, key)
        row.addWidget(self.engine, 1)
        layout.addLayout(row)
        self.buttons = QWidget()
        buttons = QHBoxLayout(self.buttons)
        buttons.setContentsMargins(0, 0, 0, 0)
        for text, handler in (
            ("Variations", actions.variations),
            ("Fill selection", actions.fill),
            ("Extend", actions.extend),
        ):
            button = QPushButton(text)
            button.clicked.connect(handler)
            buttons.addWidget(button)
        layout.addWidget(self.buttons)
        self.engine.currentIndexChanged.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        self.buttons.setVisible(self.engine.currentData() == INSTANT)
