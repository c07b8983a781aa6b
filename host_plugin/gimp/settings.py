"""The plug-in's own settings (server address and token), kept in a small JSON file in GIMP's folder.

The file is written with owner-only permissions because it may hold a bearer token. The environment
variables ``SINGAN_SERVER`` and ``SINGAN_TOKEN`` override it (handy for scripts and CI).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from host_plugin.client import DEFAULT_ADDRESS, ConnectionSettings, parse_address

FILE_NAME = "singan-studio.json"


def settings_path(gimp_directory: str | os.PathLike[str]) -> Path:
    return Path(gimp_directory) / FILE_NAME


def load(path: Path, environ: Mapping[str, str] = os.environ) -> ConnectionSettings:
    data: dict[str, object] = {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            data = loaded
    except (OSError, ValueError):
        pass
    address = environ.get("SINGAN_SERVER") or str(data.get("address") or DEFAULT_ADDRESS)
    token = environ.get("SINGAN_TOKEN") or str(data.get("token") or "") or None
    return ConnectionSettings(address=address, token=token, tls=bool(data.get("tls", False)))


def save(path: Path, address: str, token: str | None, tls: bool = False) -> ConnectionSettings:
    """Validate and store; raises ValueError with a readable message for a bad address."""
    parse_address(address)
    settings = ConnectionSettings(address=address.strip(), token=(token or "").strip() or None, tls=tls)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"address": settings.address, "token": settings.token or "", "tls": tls}, out, indent=2)
    os.replace(tmp, path)
    return settings
