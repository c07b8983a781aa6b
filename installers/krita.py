"""Install or remove the SinGAN Studio plugin for Krita 5.

    python -m installers.krita install [--dest PYKRITA_DIR] [--kritarc FILE] [--no-vendor] [--offline] [--no-enable]
    python -m installers.krita uninstall [--dest PYKRITA_DIR] [--kritarc FILE]

Krita loads Python plugins from ``pykrita/`` in its resource folder: a ``singan_studio.desktop`` file
and the ``singan_studio`` package. The package gets ``_vendor/`` holding ``host_plugin/client``, the
shared plugin core ``host_plugin/common``, ``singan_api`` and the pure-Python packages the client needs
(grpclib, h2, hpack, hyperframe, multidict, protobuf; see ``installers/vendor.py``), so nothing is
installed into Krita's own Python.

Default pykrita folder: Linux ``$XDG_DATA_HOME/krita/pykrita`` (``~/.local/share/krita/pykrita``),
macOS ``~/Library/Application Support/krita/pykrita``, Windows ``%APPDATA%\\krita\\pykrita``. (Flatpak
Krita: ``--dest ~/.var/app/org.kde.krita/data/krita/pykrita``.) The plugin is also switched on in
``kritarc`` (``[python] enable_singan_studio=true``; Linux ``$XDG_CONFIG_HOME/kritarc``, macOS
``~/Library/Preferences/kritarc``, Windows ``%LOCALAPPDATA%\\kritarc``) unless ``--no-enable``; with a
custom ``--dest`` only when ``--kritarc`` names the file. Otherwise enable it by hand in Settings >
Configure Krita > Python Plugin Manager. Restart Krita afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from installers.vendor import VENDOR_DIR  # one name for the vendored folder in every plugin

REPO = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "singan_studio"
SOURCE = REPO / "host_plugin" / "krita"
ENABLE_KEY = f"enable_{PLUGIN_NAME}"


def default_pykrita_dir(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """Krita's per-user ``pykrita`` folder on this platform."""
    home = home or Path.home()
    if platform.startswith("win"):
        base = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "krita" / "pykrita"


def default_kritarc(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """Krita's settings file on this platform."""
    home = home or Path.home()
    if platform.startswith("win"):
        return Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "kritarc"
    if platform == "darwin":
        return home / "Library" / "Preferences" / "kritarc"
    return Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "kritarc"


def set_enabled(text: str, enabled: bool) -> str:
    """kritarc text with ``enable_singan_studio`` set (or removed) in ``[python]``; other lines untouched.
    (A line-based edit: configparser would rewrite Krita's keys.)"""
    lines = [line for line in text.splitlines() if line.strip().split("=", 1)[0].strip() != ENABLE_KEY]
    if not enabled:
        return "\n".join(lines) + ("\n" if lines else "")
    entry = f"{ENABLE_KEY}=true"
    try:
        section = next(i for i, line in enumerate(lines) if line.strip() == "[python]")
        lines.insert(section + 1, entry)
    except StopIteration:
        if lines and lines[-1].strip():
            lines.append("")
        lines += ["[python]", entry]
    return "\n".join(lines) + "\n"


def _edit_kritarc(path: Path, enabled: bool) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".singan-tmp")
    tmp.write_text(set_enabled(old, enabled), encoding="utf-8")
    os.replace(tmp, path)


def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n in ("__pycache__", VENDOR_DIR) or n.endswith((".pyc", ".pyo"))}


def vendor_dependencies(target: Path, *, with_deps: bool = True, offline: bool = False) -> None:
    """Put ``host_plugin/client``, ``host_plugin/common`` and (unless ``with_deps`` is false) the client's
    pure-Python dependencies into ``target`` (see ``installers/vendor.py``)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from installers import vendor

    if with_deps:
        vendor.vendor(target, offline=offline, with_client=True)
    else:
        vendor.copy_client(target)


def install(
    dest: Path | None = None,
    *,
    with_vendor: bool = True,
    offline: bool = False,
    enable: bool = True,
    kritarc: Path | None = None,
) -> Path:
    """Copy the plugin into ``dest`` (a pykrita folder); returns the package folder. Replaces an older
    install atomically enough: a staging folder is filled, then renamed into place."""
    pykrita = Path(dest) if dest else default_pykrita_dir()
    folder = pykrita / PLUGIN_NAME
    staging = pykrita / f".{PLUGIN_NAME}.installing"
    if staging.exists():
        shutil.rmtree(staging)
    pykrita.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(SOURCE / PLUGIN_NAME, staging, ignore=_ignore)
        vendor_dependencies(staging / VENDOR_DIR, with_deps=with_vendor, offline=offline)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
        shutil.copy2(SOURCE / f"{PLUGIN_NAME}.desktop", pykrita / f"{PLUGIN_NAME}.desktop")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if enable and (kritarc is not None or dest is None):
        _edit_kritarc(kritarc or default_kritarc(), True)
    return folder


def uninstall(dest: Path | None = None, *, kritarc: Path | None = None) -> bool:
    """Remove the plugin (and its kritarc switch); True when there was one. Settings stay in kritarc."""
    pykrita = Path(dest) if dest else default_pykrita_dir()
    found = False
    if (pykrita / PLUGIN_NAME).exists():
        shutil.rmtree(pykrita / PLUGIN_NAME)
        found = True
    desktop = pykrita / f"{PLUGIN_NAME}.desktop"
    if desktop.exists():
        desktop.unlink()
        found = True
    rc = kritarc or (default_kritarc() if dest is None else None)
    if rc is not None and rc.exists():
        _edit_kritarc(rc, False)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m installers.krita", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("install", "uninstall"))
    parser.add_argument(
        "--dest", type=Path, help=f"Krita's pykrita folder (default: {default_pykrita_dir()})"
    )
    parser.add_argument("--kritarc", type=Path, help=f"Krita's settings file (default: {default_kritarc()})")
    parser.add_argument("--no-vendor", action="store_true", help="do not copy the pure-Python dependencies")
    parser.add_argument(
        "--offline", action="store_true", help="copy the dependencies from this Python instead of PyPI wheels"
    )
    parser.add_argument("--no-enable", action="store_true", help="do not switch the plugin on in kritarc")
    args = parser.parse_args(argv)
    if args.action == "install":
        folder = install(
            args.dest, with_vendor=not args.no_vendor, enable=not args.no_enable, kritarc=args.kritarc
        )
        print(f"installed the SinGAN Studio plugin in {folder}")
        print("restart Krita; the menu is Tools > SinGAN and the docker Settings > Dockers > SinGAN")
        return 0
    where = args.dest or default_pykrita_dir()
    print(
        f"removed the plugin from {where}"
        if uninstall(args.dest, kritarc=args.kritarc)
        else f"nothing to remove in {where}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
