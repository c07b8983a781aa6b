"""The "SinGAN" docker: server status, this document's models, preset, Train, progress, preview."""

from __future__ import annotations

import threading

from krita import DockWidget

from host_plugin.client import JobUpdate
from host_plugin.common.dialogs import PRESET_VALUE, estimate_or_reason
from host_plugin.common.flows import training_overrides
from host_plugin.common.progress import ProgressModel
from host_plugin.common.runner import Outcome, Task, describe_error
from host_plugin.common.settings import TEST_PRESETS, USER_PRESETS

from . import api
from .dialogs import to_qimage
from .instant_ui import EnginePanel, InstantActions
from .qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPixmap,
    QProgressBar,
    QPushButton,
    QSpinBox,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)

DOCKER_ID = "singan_studio_docker"
PREVIEW_SIDE = 160


def _spin(low: int, high: int, step: int, zero: str, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setSpecialValueText(zero)  # 0 shows as PRESET_VALUE
    box.setToolTip(tip)
    return box


class SinGANDocker(DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("SinGAN")
        self.setObjectName(DOCKER_ID)
        self.task: Task | None = None
        self.shown = ProgressModel()  # the running training's bar and time left
        root = QWidget(self)
        layout = QVBoxLayout(root)

        status_row = QHBoxLayout()
        self.status = QLabel("checking the server...")
        self.status.setWordWrap(True)
        self.retry = QPushButton("Retry")
        self.retry.clicked.connect(self.check_server)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.retry)
        layout.addLayout(status_row)

        form = QFormLayout()
        self.models = QComboBox()
        self.models.activated.connect(self._model_chosen)
        self.preset = QComboBox()
        self.preset.addItems(USER_PRESETS)
        form.addRow("Model", self.models)
        form.addRow("Preset", self.preset)
        # the quality/time control: 0 = the preset's (fast: 200 iterations, 160 px; paper: 2000, 250 px)
        self.iterations = _spin(0, 20000, 50, PRESET_VALUE, "More iterations: better and slower")
        self.max_size = _spin(
            0, 1000, 10, PRESET_VALUE, "The model's longer side: time grows with its square"
        )
        form.addRow("Iterations", self.iterations)
        form.addRow("Model size", self.max_size)
        self.whole_layer = QCheckBox("whole layer (not the selection)")
        self.retrain = QCheckBox("retrain (even if this model exists)")
        form.addRow("", self.whole_layer)
        form.addRow("", self.retrain)
        # the server's estimate for these options and this layer, before starting
        self.estimate = QLabel("")
        self.estimate.setWordWrap(True)
        form.addRow("Time", self.estimate)
        layout.addLayout(form)
        self._asked = 0  # the newest estimate asked for (older answers are dropped)
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(700)  # once the options stop changing
        self._estimate_timer.timeout.connect(self.update_estimate)
        for signal in (
            self.preset.currentIndexChanged,
            self.iterations.valueChanged,
            self.max_size.valueChanged,
            self.whole_layer.toggled,
        ):
            signal.connect(lambda *_: self._estimate_timer.start())

        # "Instant, no training" (its buttons) / "SinGAN model" (the controls above and Train)
        layout.addWidget(EnginePanel(InstantActions(lambda: self, lambda _title, err: self._show_error(err))))

        self.train_button = QPushButton("Train on this layer")
        self.train_button.clicked.connect(self.train)
        layout.addWidget(self.train_button)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        self.progress_label = QLabel("idle")
        layout.addWidget(self.progress_label)

        self.preview = QLabel("preview of the last finished scale")
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setMinimumHeight(PREVIEW_SIDE)
        layout.addWidget(self.preview)
        layout.addStretch(1)
        self.setWidget(root)

        self.preset.setCurrentText(api.session().settings.default_preset)
        api.session().runner.listeners.append(self._on_task_event)
        self.check_server()

    # -- server status (off the UI thread) --------------------------------------------------------
    def check_server(self) -> None:
        self.status.setText("checking the server...")
        self.retry.setEnabled(False)
        session = api.session()

        def work() -> None:
            # the managed local server may start first: say so ("starting the local server...")
            status = api.server_status(
                on_status=lambda text: session.runner.post(lambda: self.status.setText(text))
            )
            session.runner.post(lambda: self._show_status(status))

        threading.Thread(target=work, name="singan-status", daemon=True).start()

    def _training_options(self) -> dict:
        return {
            "preset": self.preset.currentText(),
            "use_selection": not self.whole_layer.isChecked(),
            "overrides": training_overrides(self.iterations.value(), self.max_size.value()),
        }

    def update_estimate(self) -> None:
        """Ask the server what training with these options would take (the pixels are read here, on
        the UI thread; the call runs on a worker thread)."""
        self._asked += 1
        asked = self._asked
        try:
            plan = api.training_plan(**self._training_options())
        except Exception as err:  # no document or layer yet, bad options: say why instead
            self.estimate.setText(describe_error(err))
            return
        self.estimate.setText("asking the server...")
        session = api.session()

        def work() -> None:
            line = estimate_or_reason(lambda: api.estimate(plan))
            session.runner.post(lambda: asked == self._asked and self.estimate.setText(line))

        threading.Thread(target=work, name="singan-estimate", daemon=True).start()

    def _show_status(self, status: api.ServerStatus) -> None:
        self.status.setText(status.message)
        self.retry.setEnabled(True)
        self.train_button.setEnabled(status.connected)
        if status.presets:
            current = self.preset.currentText()
            self.preset.clear()
            self.preset.addItems([p for p in status.presets if p not in TEST_PRESETS])
            self.preset.setCurrentText(current)
        if status.connected:
            self._estimate_timer.start()

    # -- models of the current document -----------------------------------------------------------
    def canvasChanged(self, canvas) -> None:
        self.refresh_models()
        self._estimate_timer.start()

    def refresh_models(self) -> None:
        self.models.clear()
        try:
            records = api.models()
            active = api.active_model()
        except ValueError:
            return
        for record in records:
            label = record.name or f"{record.layer_name or 'model'} ({record.preset})"
            self.models.addItem(label, record.model_id)
            self.models.setItemData(self.models.count() - 1, label, Qt.ToolTipRole)  # a narrow docker cuts it
        if active is not None:
            self.models.setCurrentIndex(self.models.findData(active.model_id))
        self.models.setToolTip(self.models.currentText())

    def _model_chosen(self, index: int) -> None:
        model_id = self.models.itemData(index)
        self.models.setToolTip(self.models.itemText(index))
        if model_id:
            api.set_active_model(model_id)

    # -- training ---------------------------------------------------------------------------------
    def train(self) -> None:
        try:
            self.shown = ProgressModel()
            self.task = api.train(
                retrain=self.retrain.isChecked(), background=True, **self._training_options()
            )
        except Exception as err:
            self.progress_label.setText(describe_error(err))
            return
        self.cancel_button.setEnabled(True)
        self.train_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress_label.setText("starting...")

    def _show_error(self, err: BaseException) -> None:
        self.progress_label.setText(describe_error(err))

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.progress_label.setText("cancelling (finished scales are kept)...")

    def _on_task_event(self, task: Task, event: str, payload: object) -> None:
        try:
            self._handle_task_event(task, event, payload)
        except RuntimeError:  # the docker's widgets were deleted (window closed): stop listening
            listeners = api.session().runner.listeners
            if self._on_task_event in listeners:
                listeners.remove(self._on_task_event)

    def _handle_task_event(self, task: Task, event: str, payload: object) -> None:
        if event == "started":
            if self.task is not None and task is not self.task:
                return  # one at a time here; the other still shows its result or error when it ends
            self.task = task  # any call started from the menu or the docker: show it here, with Cancel
            self.shown = ProgressModel()
            self.cancel_button.setEnabled(True)
            self.train_button.setEnabled(False)
            self.progress.setRange(0, 0 if task.title != "Train" else 1000)  # busy until updates come
            self.progress_label.setText(f"SinGAN: {payload}...")
            return
        if task is not self.task:
            if event == "done":
                self.refresh_models()
            return
        if event == "progress":
            update: JobUpdate = payload  # type: ignore[assignment]
            shown = self.shown.feed(update)
            self.progress.setValue(int(shown.fraction * 1000))
            self.progress_label.setText(shown.text)
            if update.preview is not None:
                pixmap = QPixmap.fromImage(to_qimage(update.preview))
                self.preview.setPixmap(pixmap.scaled(PREVIEW_SIDE, PREVIEW_SIDE, Qt.KeepAspectRatio))
            return
        self.task = None
        self.progress.setRange(0, 1000)
        self.cancel_button.setEnabled(False)
        self.train_button.setEnabled(True)
        if event == "done":
            outcome: Outcome = payload  # type: ignore[assignment]
            self.progress.setValue(1000)
            self.progress_label.setText(outcome.message)
            self.refresh_models()
            self._estimate_timer.start()  # a trained model: "already trained"
        else:
            self.progress_label.setText(describe_error(payload))  # type: ignore[arg-type]
