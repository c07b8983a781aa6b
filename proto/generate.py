"""Generate the Python code for ``proto/singan/v1/singan.proto``; the only producer of ``*_pb2*.py``.

Outputs (committed; ``tests/unit/test_proto_generated.py`` regenerates and fails on any difference):

- ``host_plugin/client/_proto/singan_pb2.py`` (+ ``.pyi``): the messages, shared by client and server.
- ``host_plugin/client/_proto/singan_grpc.py``: grpclib stubs (pure Python) for the client.
- ``inference_server/_proto/singan_pb2_grpc.py``: grpcio servicer base for the server.

Usage: ``python proto/generate.py`` (write) or ``python proto/generate.py --check`` (exit 1 on drift).
Needs ``grpcio-tools`` and ``grpclib`` (dev dependencies).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO / "proto"
PROTO_FILE = "singan/v1/singan.proto"

CLIENT_PKG = "host_plugin/client/_proto"
SERVER_PKG = "inference_server/_proto"

PKG_INIT = '"""Generated protobuf code (by proto/generate.py; never edit by hand)."""\n'


def _plugin_path() -> str:
    """Path of grpclib's protoc plugin as an executable script."""
    found = shutil.which("protoc-gen-grpclib_python")
    if found:
        return found
    # Fall back to a tiny launcher that runs grpclib's plugin with this interpreter.
    launcher = Path(tempfile.mkdtemp()) / "protoc-gen-grpclib_python"
    launcher.write_text(f"#!{sys.executable}\nfrom grpclib.plugin.main import main\nmain()\n")
    launcher.chmod(0o755)
    return str(launcher)


def _run_protoc(out: Path) -> None:
    from grpc_tools import protoc  # dev dependency

    include = Path(protoc.__file__).resolve().parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-grpclib_python={_plugin_path()}",
        f"--grpclib_python_out={out}",
        PROTO_FILE,
    ]
    code = protoc.main(args)
    if code != 0:
        raise SystemExit(f"protoc failed with exit code {code}")


def _rewrite(text: str, module_prefix: str) -> str:
    """Make protoc's absolute ``singan.v1`` imports point at our package."""
    text = re.sub(
        r"^from singan\.v1 import singan_pb2", f"from {module_prefix} import singan_pb2", text, flags=re.M
    )
    text = re.sub(
        r"^import singan\.v1\.singan_pb2$", f"from {module_prefix} import singan_pb2", text, flags=re.M
    )
    text = text.replace("singan.v1.singan_pb2.", "singan_pb2.")
    return text


def generate() -> dict[str, str]:
    """Return {repo-relative path: content} of every generated file."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _run_protoc(out)
        gen = out / "singan" / "v1"
        files = {
            f"{CLIENT_PKG}/__init__.py": PKG_INIT,
            f"{CLIENT_PKG}/singan_pb2.py": (gen / "singan_pb2.py").read_text(),
            f"{CLIENT_PKG}/singan_pb2.pyi": (gen / "singan_pb2.pyi").read_text(),
            f"{CLIENT_PKG}/singan_grpc.py": _rewrite((gen / "singan_grpc.py").read_text(), "."),
            f"{SERVER_PKG}/__init__.py": PKG_INIT,
            f"{SERVER_PKG}/singan_pb2_grpc.py": _rewrite(
                (gen / "singan_pb2_grpc.py").read_text(), "host_plugin.client._proto"
            ),
        }
    return files


def check(files: dict[str, str]) -> list[str]:
    """Names of committed files that differ from freshly generated ones."""
    return [
        rel
        for rel, content in files.items()
        if not (REPO / rel).is_file() or (REPO / rel).read_text() != content
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on drift")
    args = parser.parse_args(argv)
    files = generate()
    if args.check:
        stale = check(files)
        for rel in stale:
            print(f"stale generated file: {rel} (run python proto/generate.py)", file=sys.stderr)
        return 1 if stale else 0
    for rel, content in files.items():
        path = REPO / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(content)
        os.replace(tmp, path)
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
