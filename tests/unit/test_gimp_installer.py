"""installers/gimp.py: GIMP 3's plug-ins folder per OS, the installed layout, uninstall."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path, PureWindowsPath

from installers import gimp

REPO = Path(__file__).resolve().parents[2]


def test_default_folders_per_platform() -> None:
    home = Path("/home/ann")
    assert gimp.default_plugins_dir("linux", {}, home) == home / ".config/GIMP/3.0/plug-ins"
    assert gimp.default_plugins_dir("linux", {"XDG_CONFIG_HOME": "/x"}, home) == Path("/x/GIMP/3.0/plug-ins")
    assert (
        gimp.default_plugins_dir("darwin", {}, home) == home / "Library/Application Support/GIMP/3.0/plug-ins"
    )
    win = gimp.default_plugins_dir("win32", {"APPDATA": r"C:\Users\ann\AppData\Roaming"}, home)
    assert PureWindowsPath(win).parts[-3:] == ("GIMP", "3.0", "plug-ins") and "Roaming" in str(win)
    assert gimp.default_plugins_dir("linux", {"GIMP3_DIRECTORY": "/g"}, home) == Path("/g/plug-ins")


def test_install_layout_and_uninstall(tmp_path: Path) -> None:
    folder = gimp.install(tmp_path, with_vendor=False)
    assert folder == tmp_path / "singan"
    entry = folder / "singan.py"
    assert entry.read_text().startswith("#!/usr/bin/env python3")
    if os.name == "posix":
        assert entry.stat().st_mode & 0o111 == 0o111
    assert (folder / "host_plugin" / "client" / "__init__.py").is_file()
    assert (folder / "host_plugin" / "gimp" / "actions.py").is_file()
    assert (folder / "host_plugin" / "common" / "flows.py").is_file()  # the shared plugin core
    assert not (folder / "host_plugin" / "gimp" / "singan").exists()
    assert not list(folder.rglob("__pycache__"))
    gimp.install(tmp_path, with_vendor=False)  # again: replaces cleanly
    assert sorted(p.name for p in tmp_path.iterdir()) == ["singan"]
    assert gimp.uninstall(tmp_path) is True
    assert not folder.exists() and gimp.uninstall(tmp_path) is False


def test_command_line_with_vendored_deps(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "installers.gimp"]
    proc = subprocess.run([*run, "install", "--dest", str(tmp_path), "--offline"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    vendor = tmp_path / "singan" / "_vendor"  # the same name as in the Krita plugin
    assert {"grpclib", "h2", "hpack", "hyperframe", "multidict", "google"} <= {
        p.name for p in vendor.iterdir()
    }
    assert not [p for p in vendor.rglob("*") if p.suffix in (".so", ".pyd")]
    proc = subprocess.run(
        [*run, "uninstall", "--dest", str(tmp_path)], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0 and "removed" in proc.stdout
    assert not (tmp_path / "singan").exists()
