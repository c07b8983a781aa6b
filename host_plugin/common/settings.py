"""The plugin's settings (which server, address, token, TLS, default preset, default number of
samples): one type for every host, kept in a host's key/value store (Krita: kritarc; GIMP: a JSON file
in GIMP's folder, written owner-only because it may hold a bearer token). The environment variables
``SINGAN_SERVER`` and ``SINGAN_TOKEN`` override the stored address and token (handy for scripts and CI);
``SINGAN_SERVER`` also means "address + token" rather than the managed local server.

Two kinds of server (``server_mode``): ``local`` (managed), the plugin starts ``singan-server`` from the
environment in ``server_env`` ("" = the installer's default folder) when none answers, see
:mod:`.managed_server`; ``remote``, the server at ``address`` with ``token``. Settings stored before
there was a choice, with an address of their own, mean ``remote``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

from host_plugin.client import DEFAULT_ADDRESS, ConnectionSettings, parse_address

from .managed_server import ManagedServer, env_dir

#: presets offered in the plugins' menus and dialogs; the server's ``tiny`` preset (a 3-scale model in
#: seconds) is for tests and stays reachable from scripts.
USER_PRESETS = ("fast", "paper")
TEST_PRESETS = ("tiny",)

LOCAL = "local"
REMOTE = "remote"
#: the two kinds of server, as the settings UIs name them
SERVER_MODES = {LOCAL: "local (managed)", REMOTE: "address + token"}


@dataclass(frozen=True)
class Settings:
    address: str = DEFAULT_ADDRESS
    token: str = ""
    default_preset: str = "fast"
    default_n: int = 4
    tls: bool = False
    server_mode: str = LOCAL
    server_env: str = ""  # the managed server's environment folder; "" = the installer's default

    def __post_init__(self) -> None:
        if self.server_mode not in SERVER_MODES:
            raise ValueError(f"the server must be one of {', '.join(SERVER_MODES)}, got {self.server_mode!r}")
        if not self.address.strip():
            raise ValueError("the server address is empty; use host:port, e.g. 127.0.0.1:50051")
        parse_address(self.address)  # a readable ValueError for a bad port
        object.__setattr__(self, "address", self.address.strip())
        object.__setattr__(self, "token", self.token.strip())
        if not 1 <= self.default_n <= 64:
            raise ValueError(f"default number of samples must be 1..64, got {self.default_n}")

    @property
    def managed(self) -> bool:
        return self.server_mode == LOCAL

    def connection(self) -> ConnectionSettings:
        return ConnectionSettings(address=self.address, token=self.token or None, tls=self.tls)


class SettingsStore(Protocol):
    """String key/value storage."""

    def read(self, key: str, default: str) -> str: ...

    def write(self, key: str, value: str) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def read(self, key: str, default: str) -> str:
        return self.values.get(key, default)

    def write(self, key: str, value: str) -> None:
        self.values[key] = value


class JsonFileStore:
    """Settings in one JSON file, replaced atomically with owner-only permissions on every write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _data(self) -> dict[str, object]:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def read(self, key: str, default: str) -> str:
        value = self._data().get(key)
        return default if value is None else str(value)

    def write(self, key: str, value: str) -> None:
        data = self._data()
        data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
        os.replace(tmp, self.path)


def _parse(text: str, default: object) -> object:
    if isinstance(default, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(text)
    return text


def load_settings(store: SettingsStore, environ: Mapping[str, str] = os.environ) -> Settings:
    """Stored values over the defaults, the environment over both; a damaged value falls back to its
    default, a damaged whole to the defaults."""
    defaults = Settings()
    values: dict[str, object] = {}
    for f in fields(Settings):
        default = getattr(defaults, f.name)
        try:
            values[f.name] = _parse(store.read(f.name, str(default)), default)
        except ValueError:
            values[f.name] = default
    if store.read("server_mode", "") == "" and values["address"] != defaults.address:
        values["server_mode"] = REMOTE  # configured before the managed server existed
    if environ.get("SINGAN_SERVER"):
        values["server_mode"] = REMOTE
    values["address"] = environ.get("SINGAN_SERVER") or values["address"]
    values["token"] = environ.get("SINGAN_TOKEN") or values["token"]
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValueError:
        return defaults


def save_settings(store: SettingsStore, settings: Settings) -> None:
    for f in fields(Settings):
        store.write(f.name, str(getattr(settings, f.name)))


def managed_server(settings: Settings, user: int | None = None) -> ManagedServer:
    """The managed local server these settings name (its environment; the default data folder)."""
    env = Path(settings.server_env) if settings.server_env else env_dir()
    return ManagedServer(env=env) if user is None else ManagedServer(env=env, user=user)


def server_connection(
    settings: Settings, on_status: Callable[[str], None] | None = None, user: int | None = None
) -> ConnectionSettings:
    """How to reach the server in use: the remote one as configured, or the managed local one (started
    first when none answers; ``on_status`` hears "starting the local server..."). Raises
    :class:`~.managed_server.ManagedServerError` with a message for the user."""
    if not settings.managed:
        return settings.connection()
    state = managed_server(settings, user).ensure(on_status)
    return ConnectionSettings(address=state.address, token=state.token)
