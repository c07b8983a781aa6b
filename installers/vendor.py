"""Vendor the client library's pure-Python dependencies into a plugin folder.

GIMP's and Krita's bundled Pythons cannot be relied on to load compiled wheels, so the plugins ship
grpclib, h2, hpack, hyperframe, multidict (pure build) and protobuf (pure-Python implementation) next to
their code. This script fills a target folder with exactly those packages:

- online (default): ``pip download --only-binary=:all: --platform any --implementation py --abi none``
  for the host's Python version, then unzip the ``py3-none-any`` wheels into the target;
- ``--offline`` (or when the download fails): copy the same packages from the running environment,
  leaving out compiled extension modules so the pure-Python fallbacks are used.

Usage::

    python installers/vendor.py TARGET [--python-version 3.10] [--offline] [--with-client]

``--with-client`` also copies ``host_plugin/client`` and the shared plugin core ``host_plugin/common`` to
``TARGET/host_plugin/`` and the generated API the client imports, ``singan_api``, to ``TARGET/singan_api``. A manifest ``TARGET/VENDORED.txt`` lists what was
installed and from where. Add TARGET to ``sys.path`` in the plugin before importing ``host_plugin.client``.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLIENT_DIR = REPO / "host_plugin" / "client"
COMMON_DIR = REPO / "host_plugin" / "common"  # the host-agnostic plugin core every plugin ships
VENDOR_DIR = "_vendor"  # the folder inside an installed plugin that holds all of the above
API_DIR = REPO / "singan_api"  # the generated API the client imports (proto/generate.py)
GENERATED = API_DIR / "singan_pb2.py"

# distribution -> top-level import names it provides
PACKAGES: dict[str, tuple[str, ...]] = {
    "grpclib": ("grpclib",),
    "h2": ("h2",),
    "hpack": ("hpack",),
    "hyperframe": ("hyperframe",),
    "multidict": ("multidict",),
    "protobuf": ("google",),
}
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


def protobuf_requirement() -> str:
    """protobuf must be at least the version the generated code was made for."""
    text = GENERATED.read_text(encoding="utf-8")
    match = re.search(r"Protobuf Python Version: (\d+)\.(\d+)\.(\d+)", text)
    return f"protobuf>={'.'.join(match.groups())}" if match else "protobuf"


def requirements() -> list[str]:
    return ["grpclib>=0.4.7", "h2", "hpack", "hyperframe", "multidict", protobuf_requirement()]


def download(target: Path, python_version: str) -> list[str]:
    """Fetch pure wheels with pip and unzip them into ``target``; returns 'name version' lines."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
            "--only-binary=:all:", "--platform", "any", "--implementation", "py", "--abi", "none",
            "--python-version", python_version, "--dest", tmp, *requirements(),
        ]  # fmt: skip
        subprocess.run(cmd, check=True)
        installed = []
        for wheel in sorted(Path(tmp).glob("*.whl")):
            if not wheel.name.endswith("-none-any.whl"):
                raise RuntimeError(f"{wheel.name} is not a pure-Python wheel")
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(target)
            name, version = wheel.name.split("-")[:2]
            installed.append(f"{name} {version} (PyPI wheel {wheel.name})")
        return installed


def copy_from_environment(target: Path) -> list[str]:
    """Copy the packages from this interpreter's site-packages, minus compiled modules."""
    installed = []
    for dist_name, top_levels in PACKAGES.items():
        dist = md.distribution(dist_name)
        root = Path(dist.locate_file(""))
        for top in top_levels:
            source = root / top
            if not source.is_dir():
                raise RuntimeError(f"{dist_name}: {source} not found")
            for path in source.rglob("*"):
                rel = path.relative_to(root)
                if path.is_dir() or "__pycache__" in rel.parts or path.name.endswith(COMPILED_SUFFIXES):
                    continue
                if (
                    dist_name == "protobuf"
                    and rel.parts[:2] != ("google", "protobuf")
                    and rel.parts != ("google", "__init__.py")
                ):
                    continue  # other google.* namespace packages are not ours to ship
                dest = target / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
        installed.append(f"{dist_name} {dist.version} (copied from {root}, compiled modules left out)")
    return installed


def copy_api(target: Path) -> None:
    """Copy the generated ``singan_api`` package (messages and stubs) to ``target/singan_api``."""
    dest = target / "singan_api"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(API_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def copy_client(target: Path) -> None:
    """Copy ``host_plugin/client``, the plugin core ``host_plugin/common`` and the ``singan_api`` package."""
    for source in (CLIENT_DIR, COMMON_DIR):
        dest = target / "host_plugin" / source.name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    copy_api(target)
    init = target / "host_plugin" / "__init__.py"
    if not init.exists():
        init.write_text('"""Vendored SinGAN Studio client."""\n')


def vendor(
    target: Path, *, python_version: str = "3.10", offline: bool = False, with_client: bool = False
) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    for top_levels in PACKAGES.values():
        for top in top_levels:
            if (target / top).exists():
                shutil.rmtree(target / top)
    for old in target.glob("*.dist-info"):
        shutil.rmtree(old)
    installed: list[str] = []
    if not offline:
        try:
            installed = download(target, python_version)
        except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
            print(f"vendor: download failed ({exc}); copying from this environment instead", file=sys.stderr)
    if not installed:
        installed = copy_from_environment(target)
    if with_client:
        copy_client(target)
        installed.append("host_plugin.client, host_plugin.common and singan_api (from this checkout)")
    (target / "VENDORED.txt").write_text(
        "Pure-Python dependencies of the SinGAN Studio client, installed by installers/vendor.py:\n"
        + "".join(f"  {line}\n" for line in installed)
    )
    return installed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Vendor the client's pure-Python dependencies into a folder."
    )
    parser.add_argument("target", type=Path)
    parser.add_argument(
        "--python-version", default="3.10", help="the host application's Python (default 3.10)"
    )
    parser.add_argument("--offline", action="store_true", help="copy from this environment, do not download")
    parser.add_argument(
        "--with-client", action="store_true", help="also copy host_plugin/client and singan_api"
    )
    args = parser.parse_args(argv)
    for line in vendor(
        args.target, python_version=args.python_version, offline=args.offline, with_client=args.with_client
    ):
        print(f"vendored {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
