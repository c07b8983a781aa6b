"""Plugin settings (server address, token, default preset, default number of samples)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol

DEFAULT_ADDRESS = "127.0.0.1:50051"
PRESETS = ("fast", "paper", "tiny")


@dataclass(frozen=True)
class Settings:
    address: str = DEFAULT_ADDRESS
    token: str = ""
    default_preset: str = "fast"
    default_n: int = 4

    def __post_init__(self) -> None:
        if not self.address.strip():
            raise ValueError("the server address is empty; use host:port, e.g. 127.0.0.1:50051")
        if not 1 <= self.default_n <= 64:
            raise ValueError(f"default number of samples must be 1..64, got {self.default_n}")


class SettingsStore(Protocol):
    """String key/value storage (Krita's kritarc in the plugin, a dict in tests)."""

    def read(self, key: str, default: str) -> str: ...

    def write(self, key: str, value: str) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def read(self, key: str, default: str) -> str:
        return self.values.get(key, default)

    def write(self, key: str, value: str) -> None:
        self.values[key] = value


def load_settings(store: SettingsStore) -> Settings:
    """Stored values over the defaults; a damaged value falls back to its default."""
    defaults = Settings()
    values: dict[str, object] = {}
    for f in fields(Settings):
        default = getattr(defaults, f.name)
        text = store.read(f.name, str(default))
        try:
            values[f.name] = int(text) if isinstance(default, int) else text
        except ValueError:
            values[f.name] = default
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValueError:
        return defaults


def save_settings(store: SettingsStore, settings: Settings) -> None:
    for f in fields(Settings):
        store.write(f.name, str(getattr(settings, f.name)))
