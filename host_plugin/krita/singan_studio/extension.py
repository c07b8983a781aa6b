"""Krita integration: the Tools > SinGAN menu, the settings dialog, and start-up registration."""

from __future__ import annotations

from collections.abc import Callable

from krita import DockWidgetFactory, DockWidgetFactoryBase, Extension, Krita

from host_plugin.client import Cancelled
from host_plugin.common.runner import Task, describe_error
from host_plugin.common.settings import LOCAL, SERVER_MODES, USER_PRESETS

from . import api
from .dialogs import GenerateDialog, InjectDialog
from .docker import DOCKER_ID, SinGANDocker
from .instant_ui import InstantActions
from .krita_document import KritaDocument, KritaSettingsStore
from .qt import (
    QComboBox,
    QDesktopServices,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QObject,
    QPushButton,
    QSpinBox,
    Qt,
    QUrl,
    pyqtSignal,
)

MENU = "tools/SinGAN"


class MainThreadInvoker(QObject):
    """Runs callables on the thread that created it (Krita's UI thread) via a queued signal."""

    request = pyqtSignal(object)

    def __init__(self) -> None:
        super().__init__()
        self.request.connect(self._call, Qt.QueuedConnection)

    def _call(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as err:  # an exception escaping a slot would abort Krita
            print(f"SinGAN Studio: {describe_error(err)}")

    def post(self, fn: Callable[[], None]) -> None:
        self.request.emit(fn)


def _parent():
    window = Krita.instance().activeWindow()
    return window.qwindow() if window is not None else None


def show_error(title: str, err: BaseException) -> None:
    if isinstance(err, Cancelled):
        return
    QMessageBox.warning(_parent(), f"SinGAN: {title}", describe_error(err))


class SettingsDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("SinGAN settings")
        settings = api.session().settings
        form = QFormLayout(self)
        self.server = QComboBox()
        for mode, label in SERVER_MODES.items():
            self.server.addItem(label, mode)
        self.server.setCurrentIndex(list(SERVER_MODES).index(settings.server_mode))
        self.server.currentIndexChanged.connect(self._mode_changed)
        status = api.server_status(start=False)
        self.in_use = QLabel(SERVER_MODES[settings.server_mode])
        self.status = QLabel(status.message)
        self.status.setWordWrap(True)
        self.status.setMinimumWidth(360)  # a wrapped label in a form row needs a width to size its height
        self.open_log = QPushButton("Open log")
        self.open_log.setToolTip(api.server_log())
        self.open_log.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(api.server_log())))
        self.address = QLineEdit(settings.address)
        self.token = QLineEdit(settings.token)
        self.token.setEchoMode(QLineEdit.Password)
        self.token.setPlaceholderText("only for servers beyond this computer")
        self.preset = QComboBox()
        self.preset.addItems(USER_PRESETS)
        self.preset.setCurrentText(settings.default_preset)
        self.n = QSpinBox()
        self.n.setRange(1, 64)
        self.n.setValue(settings.default_n)
        form.addRow("Server", self.server)
        form.addRow("In use", self.in_use)
        form.addRow("Status", self.status)
        form.addRow("Local server log", self.open_log)
        form.addRow("Server address", self.address)
        form.addRow("Token", self.token)
        form.addRow("Default preset", self.preset)
        form.addRow("Default number of samples", self.n)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._mode_changed()

    def _mode_changed(self) -> None:
        remote = self.server.currentData() != LOCAL
        self.address.setEnabled(remote)
        self.token.setEnabled(remote)

    def save(self) -> None:
        api.configure(
            server_mode=self.server.currentData(),
            address=self.address.text().strip(),
            token=self.token.text().strip(),
            default_preset=self.preset.currentText(),
            default_n=self.n.value(),
        )


def _ask_int(title: str, label: str, value: int, low: int, high: int) -> int | None:
    number, ok = QInputDialog.getInt(_parent(), title, label, value, low, high)
    return number if ok else None


class SinGANExtension(Extension):
    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.invoker = MainThreadInvoker()

    def setup(self) -> None:
        session = api.Session(
            store=KritaSettingsStore(), documents=KritaDocument.active, post=self.invoker.post
        )
        api.install_session(session)
        session.runner.listeners.append(self._on_task_event)
        Krita.instance().notifier().applicationClosing.connect(self._closing)

    def _closing(self) -> None:
        """Stop the managed local server this Krita used, unless another editor uses it or a training
        runs (then its watcher stops it once the training is done)."""
        try:
            message = api.session().release_server()
        except Exception as err:  # never block Krita's quit
            message = describe_error(err)
        if message:
            print(f"SinGAN Studio: {message}")

    def _on_task_event(self, task: Task, event: str, payload: object) -> None:
        if event == "failed":
            show_error(task.title, payload)  # type: ignore[arg-type]

    def _run(self, title: str, action: Callable[[], object]) -> None:
        """Start an API call in the background; problems found before any network work show at once."""
        try:
            action()
        except Exception as err:
            show_error(title, err)

    # -- menu handlers (each is one scripting-API call) -------------------------------------------
    def train(self) -> None:
        self._run("Train", lambda: api.train(background=True))

    def generate(self) -> None:
        dialog = GenerateDialog(api.session().settings.default_n, _parent(), preview=True)
        if dialog.exec_() != QDialog.Accepted:
            return
        c = dialog.choices()
        self._run(
            "Generate",
            lambda: api.generate_variations(
                n=c.n, seed=c.seed, at=c.size, variation=c.variation, background=True
            ),
        )

    def _inject(
        self, title: str, action: Callable[..., object], kind: str, can_fine_tune: bool = False
    ) -> None:
        dialog = InjectDialog(title, _parent(), can_fine_tune, kind)
        if dialog.exec_() != QDialog.Accepted:
            return
        c = dialog.choices()
        tune = {"fine_tune": True} if c.fine_tune else {}
        self._run(
            title,
            lambda: action(seed=c.seed, change=c.change, variation=c.variation, background=True, **tune),
        )

    def harmonize(self) -> None:
        self._inject("Harmonize", api.harmonize_selection, "harmonize", can_fine_tune=True)

    def edit(self) -> None:
        self._inject("Edit", api.edit_selection, "edit")

    def paint_to_image(self) -> None:
        self._inject("Paint to image", api.paint_to_image, "paint_to_image")

    def super_resolve(self, factor: int) -> None:
        self._run("Super-resolve", lambda: api.super_resolve_selection(factor=factor, background=True))

    def animate(self) -> None:
        frames = _ask_int("Animate", "Number of frames:", 24, 2, 1000)
        if frames is not None:
            self._run("Animate", lambda: api.animate(frames=frames, background=True))

    def settings(self) -> None:
        dialog = SettingsDialog(_parent())
        if dialog.exec_() == QDialog.Accepted:
            try:
                dialog.save()
            except ValueError as err:
                show_error("Settings", err)

    def createActions(self, window) -> None:
        entries = [
            ("singan_train", "Train on This Layer", self.train),
            ("singan_generate", "Generate Variations...", self.generate),
            ("singan_harmonize", "Harmonize Selection...", self.harmonize),
            ("singan_edit", "Edit: Blend Selection...", self.edit),
            ("singan_paint_to_image", "Paint to Image...", self.paint_to_image),
            ("singan_super_resolve_x2", "Super-Resolve Selection x2", lambda: self.super_resolve(2)),
            ("singan_super_resolve_x4", "Super-Resolve Selection x4", lambda: self.super_resolve(4)),
            ("singan_animate", "Animate...", self.animate),
            ("singan_cancel", "Cancel Running Jobs", api.cancel_all),
            ("singan_settings", "Settings...", self.settings),
        ]
        entries += InstantActions(_parent, show_error).menu_entries()  # no model, no training
        for action_id, text, handler in entries:
            action = window.createAction(action_id, text, MENU)
            action.triggered.connect(handler)


def register() -> None:
    app = Krita.instance()
    app.addExtension(SinGANExtension(app))
    app.addDockWidgetFactory(DockWidgetFactory(DOCKER_ID, DockWidgetFactoryBase.DockRight, SinGANDocker))
