"""Who may import whom (ARCHITECTURE): the core knows nothing of the server or the hosts, the server
nothing of the host plugins; both sides share only the generated API in ``singan_api``. Every import
statement in every file is read with ``ast`` (inside functions too), so a lazy import counts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "singan_core": ("inference_server", "host_plugin", "singan_api", "singan_demo"),
    "inference_server": ("host_plugin", "singan_demo"),
    "singan_api": ("singan_core", "inference_server", "host_plugin", "singan_demo"),
    "host_plugin": ("inference_server", "singan_core", "singan_demo"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``; relative imports are resolved."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}" if base else alias.name) for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            found += [(node.lineno, arg.value) for arg in node.args[:1] if isinstance(arg, ast.Constant)]
    return found


def violations(package: str) -> list[str]:
    banned = FORBIDDEN[package]
    return [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for line, name in imported_modules(path)
        if name.split(".")[0] in banned
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_imports(package: str) -> None:
    assert (REPO / package).is_dir()
    assert violations(package) == []


def test_the_check_sees_relative_lazy_and_dunder_imports(tmp_path: Path, monkeypatch) -> None:
    pkg = tmp_path / "inference_server"
    pkg.mkdir()
    (pkg / "x.py").write_text(
        "def f():\n    from host_plugin.client import Client\n"
        "from . import store\n__import__('host_plugin.gimp')\nimport os\n"
    )
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    assert violations("inference_server") == [
        "inference_server/x.py:2 imports host_plugin.client.Client",
        "inference_server/x.py:4 imports host_plugin.gimp",
    ]
    assert ("inference_server.store") in [name for _, name in imported_modules(pkg / "x.py")]


def test_server_and_client_share_the_generated_api() -> None:
    server = {
        name for path in (REPO / "inference_server").rglob("*.py") for _, name in imported_modules(path)
    }
    client = {
        name for path in (REPO / "host_plugin" / "client").rglob("*.py") for _, name in imported_modules(path)
    }
    assert "singan_api.singan_pb2" in server and "singan_api.singan_pb2_grpc" in server
    assert "singan_api.singan_pb2" in client and "singan_api.singan_grpc" in client


def imports_inside_functions(path: Path) -> list[str]:
    """``line: statement`` of every import (or importlib/__import__ call) inside a function body."""
    found = []
    for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            dynamic = isinstance(node, ast.Call) and ast.unparse(node.func) in (
                "__import__",
                "importlib.import_module",
            )
            if isinstance(node, (ast.Import, ast.ImportFrom)) or dynamic:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("folder", ["inference_server", "singan_api", "singan_core/cli"])
def test_dependencies_are_plain_top_level_imports(folder: str) -> None:
    """No hidden dependencies: no import inside a function, no module looked up by name."""
    assert [
        hit for path in sorted((REPO / folder).rglob("*.py")) for hit in imports_inside_functions(path)
    ] == []
