"""The one module of the Krita plugin that imports Qt (Krita 5 ships PyQt5; Krita 6 moves to PyQt6:
port the imports and the few renamed enums here)."""

from PyQt5.QtCore import QByteArray, QObject, Qt, QTimer, QUrl, pyqtSignal
from PyQt5.QtGui import QDesktopServices, QImage, QPixmap
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "QByteArray",
    "QCheckBox",
    "QComboBox",
    "QDesktopServices",
    "QDialog",
    "QDialogButtonBox",
    "QFormLayout",
    "QHBoxLayout",
    "QImage",
    "QInputDialog",
    "QLabel",
    "QLineEdit",
    "QMessageBox",
    "QObject",
    "QPixmap",
    "QProgressBar",
    "QPushButton",
    "QSlider",
    "QSpinBox",
    "QVBoxLayout",
    "QWidget",
    "Qt",
    "QTimer",
    "QUrl",
    "pyqtSignal",
]
