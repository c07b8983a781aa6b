"""The plug-in's settings file (host_plugin.gimp.settings)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from host_plugin.gimp import settings


def test_defaults_when_missing(tmp_path: Path) -> None:
    loaded = settings.load(tmp_path / "none.json", environ={})
    assert loaded.address == "127.0.0.1:50051" and loaded.token is None


def test_round_trip_is_private(tmp_path: Path) -> None:
    path = settings.settings_path(tmp_path)
    settings.save(path, " gpu-box:6000 ", "s3cret")
    loaded = settings.load(path, environ={})
    assert (loaded.address, loaded.token) == ("gpu-box:6000", "s3cret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_environment_overrides(tmp_path: Path) -> None:
    path = settings.settings_path(tmp_path)
    settings.save(path, "a:1", "")
    loaded = settings.load(path, environ={"SINGAN_SERVER": "b:2", "SINGAN_TOKEN": "t"})
    assert (loaded.address, loaded.token) == ("b:2", "t")


def test_bad_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="port"):
        settings.save(tmp_path / "s.json", "host:notaport", None)
    assert not (tmp_path / "s.json").exists()


def test_corrupt_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{oops")
    assert settings.load(path, environ={}).address == "127.0.0.1:50051"
