"""Who imports the hosts: the shared core none of them, each plugin its own host in a few named modules,
Qt in one module per host (read with ast, nothing is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "host_plugin"
HOST_MODULES = ("krita", "gi", "PyQt5", "PyQt6", "torch", "numpy", "host_plugin.krita", "host_plugin.gimp")


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def importers(folder: Path, prefix: str) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*.py")
        if any(name == prefix or name.startswith(prefix + ".") for name in imports(path))
    }


def test_the_shared_core_imports_no_host_no_qt_and_no_model_code() -> None:
    common = PLUGINS / "common"
    assert len(list(common.glob("*.py"))) >= 8
    for module in HOST_MODULES:
        assert importers(common, module) == set(), module


def test_each_plugin_imports_its_host_in_its_adapter_and_ui_only() -> None:
    krita, gimp = PLUGINS / "krita" / "singan_studio", PLUGINS / "gimp"
    assert importers(krita, "krita") == {"__init__.py", "extension.py", "docker.py", "krita_document.py"}
    assert importers(krita, "PyQt5") == {"qt.py"}
    assert importers(gimp, "gi") == {"gimp_document.py", "dialog_ui.py", "singan/singan.py"}
    assert importers(gimp, "host_plugin.krita") == set() and importers(krita, "host_plugin.gimp") == set()
