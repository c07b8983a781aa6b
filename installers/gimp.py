"""Install or remove the SinGAN Studio plug-in for GIMP 3.

    python -m installers.gimp install [--dest PLUGINS_DIR] [--no-vendor] [--offline]
    python -m installers.gimp uninstall [--dest PLUGINS_DIR]

GIMP 3 loads a plug-in from a folder named like its executable: ``plug-ins/singan/singan.py`` (with
its run bit on Linux and macOS). Next to it go ``singan_api`` (the generated API), ``host_plugin/client``,
the shared plugin core ``host_plugin/common``, ``host_plugin/gimp`` and, in ``_vendor/``, the pure-Python
packages the client needs (grpclib, h2, hpack, hyperframe, multidict, protobuf), because GIMP's Python
cannot be relied on to have them or to load compiled wheels.

Default plug-ins folder: Linux ``$XDG_CONFIG_HOME/GIMP/3.0/plug-ins`` (``~/.config/...``), macOS
``~/Library/Application Support/GIMP/3.0/plug-ins``, Windows ``%APPDATA%\\GIMP\\3.0\\plug-ins``;
``$GIMP3_DIRECTORY/plug-ins`` when that variable is set (as GIMP itself does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

from installers.vendor import VENDOR_DIR  # one name for the vendored folder in every plugin

REPO = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "singan"
ENTRY = REPO / "host_plugin" / "gimp" / "singan" / "singan.py"
PACKAGES = ("singan_api", "host_plugin/client", "host_plugin/common", "host_plugin/gimp")
GIMP_VERSION_DIR = "3.0"


def default_plugins_dir(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """GIMP 3's per-user plug-ins folder on this platform."""
    home = home or Path.home()
    if environ.get("GIMP3_DIRECTORY"):
        return Path(environ["GIMP3_DIRECTORY"]) / "plug-ins"
    if platform.startswith("win"):
        appdata = environ.get("APPDATA") or str(home / "AppData" / "Roaming")
        base = Path(appdata) / "GIMP"
    elif platform == "darwin":
        base = home / "Library" / "Application Support" / "GIMP"
    else:
        base = Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "GIMP"
    return base / GIMP_VERSION_DIR / "plug-ins"


def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo")) or n == PLUGIN_NAME}


def vendor_dependencies(target: Path, *, offline: bool = False) -> None:
    """Put the client's pure-Python dependencies into ``target`` (see ``installers/vendor.py``)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from installers import vendor

    vendor.vendor(target, offline=offline)


def install(dest: Path | None = None, *, with_vendor: bool = True, offline: bool = False) -> Path:
    """Copy the plug-in into ``dest`` (a GIMP plug-ins folder); returns the plug-in's own folder."""
    plugins = Path(dest) if dest else default_plugins_dir()
    folder = plugins / PLUGIN_NAME
    staging = plugins / f".{PLUGIN_NAME}.installing"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        entry = staging / f"{PLUGIN_NAME}.py"
        shutil.copy2(ENTRY, entry)
        entry.chmod(entry.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRUSR)
        (staging / "host_plugin").mkdir()
        (staging / "host_plugin" / "__init__.py").write_text('"""SinGAN Studio host plug-in code."""\n')
        for package in PACKAGES:
            shutil.copytree(REPO / package, staging / package, ignore=_ignore)
        if with_vendor:
            vendor_dependencies(staging / VENDOR_DIR, offline=offline)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def uninstall(dest: Path | None = None) -> bool:
    """Remove the plug-in; True when there was one. The settings file in GIMP's folder stays."""
    folder = (Path(dest) if dest else default_plugins_dir()) / PLUGIN_NAME
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m installers.gimp", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("install", "uninstall"))
    parser.add_argument("--dest", type=Path, help=f"GIMP plug-ins folder (default: {default_plugins_dir()})")
    parser.add_argument("--no-vendor", action="store_true", help="do not copy the pure-Python dependencies")
    parser.add_argument(
        "--offline", action="store_true", help="vendor the dependencies from this Python instead of PyPI"
    )
    args = parser.parse_args(argv)
    if args.action == "install":
        folder = install(args.dest, with_vendor=not args.no_vendor, offline=args.offline)
        print(f"installed the SinGAN plug-in in {folder}; restart GIMP and look under Filters > SinGAN")
        return 0
    if uninstall(args.dest):
        print(f"removed {(args.dest or default_plugins_dir()) / PLUGIN_NAME}")
    else:
        print(f"nothing to remove in {args.dest or default_plugins_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
