"""The instant actions in Krita's UI: Tools > SinGAN menu entries and a small docker panel that offers them
beside the trained model ("Instant, no training" / "SinGAN model"). Every action is one call of
:mod:`.instant_api` in the background; errors show as the other actions' do.
"""

from __future__ import annotations

from collections.abc import Callable

from host_plugin.common.instant_flows import (
    ENGINES,
    INSTANT,
    MAX_VARIATIONS,
    SIZES,
    parse_borders,
    parse_size,
)

from . import instant_api
from .qt import QComboBox, QHBoxLayout, QInputDialog, QLabel, QPushButton, QVBoxLayout, QWidget

Report = Callable[[str, BaseException], None]

SIZE_LABELS = {"source": "the layer or selection's size", "document": "the document's size"}
CUSTOM = "another size (W x H)..."


class InstantActions:
    """The three actions with their small questions; ``parent()`` gives the dialogs' parent window."""

    def __init__(self, parent: Callable[[], object], report: Report) -> None:
        self.parent, self.report = parent, report

    def _run(self, title: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as err:  # problems found before any network work show at once
            self.report(title, err)

    def variations(self) -> None:
        n, ok = QInputDialog.getInt(
            self.parent(), "Instant variations", "Number of variations:", 1, 1, MAX_VARIATIONS
        )
        if not ok:
            return
        labels = [SIZE_LABELS[s] for s in SIZES] + [CUSTOM]
        label, ok = QInputDialog.getItem(self.parent(), "Instant variations", "Size:", labels, 0, False)
        if not ok:
            return
        text = "source"
        if label == CUSTOM:
            text, ok = QInputDialog.getText(
                self.parent(), "Instant variations", "Size in px:", text="1600x600"
            )
            if not ok:
                return

        def start() -> object:
            size = parse_size(text) if label == CUSTOM else SIZES[labels.index(label)]
            return instant_api.instant_variations(n=n, size=size, background=True)

        self._run("Instant variations", start)

    def fill(self) -> None:
        self._run("Fill selection", lambda: instant_api.fill_selection(background=True))

    def extend(self) -> None:
        text, ok = QInputDialog.getText(
            self.parent(),
            "Extend canvas",
            "Borders in px (left, top, right, bottom; or one for all):",
            text="0, 0, 256, 0",
        )
        if ok:
            self._run(
                "Extend canvas", lambda: instant_api.extend_canvas(*parse_borders(text), background=True)
            )

    def menu_entries(self) -> list[tuple[str, str, Callable[[], None]]]:
        return [
            ("singan_instant_variations", "Instant Variations (No Training)...", self.variations),
            ("singan_instant_fill", "Fill Selection (Instant)", self.fill),
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
