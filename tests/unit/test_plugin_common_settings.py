"""The plugins' one settings type and its stores (host_plugin.common.settings): GIMP's JSON file and
Krita's key/value store."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from host_plugin.common.settings import (
    JsonFileStore,
    MemoryStore,
    Settings,
    load_settings,
    save_settings,
)


def test_defaults_when_missing(tmp_path: Path) -> None:
    loaded = load_settings(JsonFileStore(tmp_path / "none.json"), environ={})
    assert loaded.address == "127.0.0.1:50051" and loaded.connection().token is None


def test_round_trip_is_private(tmp_path: Path) -> None:
    store = JsonFileStore(tmp_path / "singan-studio.json")
    save_settings(store, Settings(address=" gpu-box:6000 ", token="s3cret"))
    loaded = load_settings(store, environ={})
    assert (loaded.address, loaded.token) == ("gpu-box:6000", "s3cret")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_environment_overrides(tmp_path: Path) -> None:
    store = JsonFileStore(tmp_path / "s.json")
    save_settings(store, Settings(address="a:1"))
    loaded = load_settings(store, environ={"SINGAN_SERVER": "b:2", "SINGAN_TOKEN": "t"})
    assert (loaded.address, loaded.token) == ("b:2", "t")


def test_bad_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="port"):
        save_settings(JsonFileStore(tmp_path / "s.json"), Settings(address="host:notaport"))
    assert not (tmp_path / "s.json").exists()
    with pytest.raises(ValueError, match="empty"):
        Settings(address=" ")


def test_corrupt_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{oops")
    assert load_settings(JsonFileStore(path), environ={}).address == "127.0.0.1:50051"


def test_an_older_gimp_settings_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"address": "gpu-box:6000", "token": "", "tls": true}')
    loaded = load_settings(JsonFileStore(path), environ={})
    assert (loaded.address, loaded.token, loaded.tls) == ("gpu-box:6000", "", True)
    assert loaded.connection().tls and loaded.connection().token is None


def test_settings_round_trip_and_fall_back_on_damage() -> None:
    store = MemoryStore()
    save_settings(store, Settings(address="gpu-box:6000", token="t", default_preset="paper", default_n=8))
    assert load_settings(store, environ={}) == Settings("gpu-box:6000", "t", "paper", 8)
    store.values["default_n"] = "many"
    assert load_settings(store, environ={}).default_n == 4
    store.values["address"] = "host:notaport"
    assert load_settings(store, environ={}) == Settings()
