"""installers/krita.py: per-OS folders, the kritarc switch, install/uninstall layout (no Krita needed)."""

from __future__ import annotations

from pathlib import Path

from installers import krita


def test_default_folders_per_platform() -> None:
    home = Path("/h")
    assert krita.default_pykrita_dir("linux", {}, home) == home / ".local/share/krita/pykrita"
    assert krita.default_pykrita_dir("linux", {"XDG_DATA_HOME": "/x"}, home) == Path("/x/krita/pykrita")
    assert krita.default_pykrita_dir("darwin", {}, home) == home / "Library/Application Support/krita/pykrita"
    assert krita.default_pykrita_dir("win32", {"APPDATA": "C:/R"}, home) == Path("C:/R/krita/pykrita")
    assert krita.default_kritarc("linux", {"XDG_CONFIG_HOME": "/c"}, home) == Path("/c/kritarc")
    assert krita.default_kritarc("darwin", {}, home) == home / "Library/Preferences/kritarc"
    assert krita.default_kritarc("win32", {"LOCALAPPDATA": "C:/L"}, home) == Path("C:/L/kritarc")


def test_kritarc_switch_keeps_other_settings() -> None:
    original = "[General]\nfoo=1\n\n[python]\nenable_other=true\nenable_singan_studio=false\n"
    enabled = krita.set_enabled(original, True)
    assert enabled.count("enable_singan_studio") == 1 and "enable_singan_studio=true" in enabled
    assert "foo=1" in enabled and "enable_other=true" in enabled
    assert enabled.index("[python]") < enabled.index("enable_singan_studio=true")
    assert "enable_singan_studio" not in krita.set_enabled(enabled, False)
    fresh = krita.set_enabled("[General]\nfoo=1\n", True)
    assert fresh.endswith("[python]\nenable_singan_studio=true\n")


def test_install_and_uninstall_layout(tmp_path: Path) -> None:
    pykrita, kritarc = tmp_path / "pykrita", tmp_path / "kritarc"
    folder = krita.install(pykrita, with_vendor=False, kritarc=kritarc)
    assert folder == pykrita / "singan_studio"
    assert (pykrita / "singan_studio.desktop").read_text().count("X-KDE-Library=singan_studio") == 1
    assert (folder / "__init__.py").is_file() and (folder / "api.py").is_file()
    assert (folder / "_vendor" / "host_plugin" / "client" / "__init__.py").is_file()
    assert (folder / "_vendor" / "host_plugin" / "common" / "flows.py").is_file()  # the shared plugin core
    assert not list(folder.rglob("__pycache__"))
    assert "enable_singan_studio=true" in kritarc.read_text()
    krita.install(pykrita, with_vendor=False, kritarc=kritarc)  # reinstall replaces cleanly
    assert kritarc.read_text().count("enable_singan_studio") == 1
    assert krita.uninstall(pykrita, kritarc=kritarc)
    assert not (pykrita / "singan_studio").exists() and not (pykrita / "singan_studio.desktop").exists()
    assert "enable_singan_studio" not in kritarc.read_text()
    assert not krita.uninstall(pykrita, kritarc=kritarc)


def test_custom_dest_leaves_the_users_kritarc_alone(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    krita.install(tmp_path / "pykrita", with_vendor=False)
    assert not (tmp_path / "config" / "kritarc").exists()
