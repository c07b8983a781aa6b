"""The plugins' settings the one-command installer writes and its uninstall removes: Krita's kritarc
(an INI file: edited line by line, so Krita's own keys stay as they are) and the GIMP plug-in's JSON file
in GIMP's folder. Only the keys named are touched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

KRITA_GROUP = "SinGAN Studio"  # host_plugin/krita/singan_studio/krita_document.py SETTINGS_GROUP


class Editor(Protocol):
    name: str  # "krita" (kritarc) or "gimp" (JSON)
    settings_file: Path


def set_group_keys(text: str, group: str, values: Mapping[str, str | None]) -> str:
    """INI text (kritarc) with ``values`` set in ``[group]`` (None removes a key); other lines untouched."""
    lines = text.splitlines()
    header = f"[{group}]"
    names = set(values)
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(header)
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    body = [line for line in lines[start + 1 : end] if line.split("=", 1)[0].strip() not in names]
    body = [f"{k}={v}" for k, v in values.items() if v is not None] + body
    return "\n".join(lines[: start + 1] + body + lines[end:]) + "\n"


def _read_group(text: str, group: str) -> dict[str, str]:
    found, inside = {}, False
    for line in text.splitlines():
        if line.startswith("["):
            inside = line.strip() == f"[{group}]"
        elif inside and "=" in line:
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip()
    return found


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".singan-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def edit_settings(editor: Editor, values: Mapping[str, str | None]) -> None:
    path = editor.settings_file
    if editor.name == "krita":
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        _replace(path, set_group_keys(old, KRITA_GROUP, values))
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError:
        data = {}
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    _replace(path, json.dumps(data, indent=2))


def stored(editor: Editor) -> dict[str, str]:
    path = editor.settings_file
    if not path.exists():
        return {}
    if editor.name == "krita":
        return _read_group(path.read_text(encoding="utf-8"), KRITA_GROUP)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_settings(editor: Editor, env: Path) -> list[str]:
    """Where the server lives (``server_env``) and, unless the user chose a remote server before, that
    the server is the managed local one. Returns the keys written (uninstall removes exactly those)."""
    values = {"server_env": str(env)}
    if "server_mode" not in stored(editor):
        values["server_mode"] = "local"
    edit_settings(editor, values)
    return sorted(values)
