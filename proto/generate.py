"""Generate the Python code for ``proto/singan/v1/singan.proto``; the only producer of ``*_pb2*.py``.

Outputs, all in the neutral top-level package ``singan_api`` (committed;
``tests/unit/test_proto_generated.py`` regenerates and fails on any difference):

- ``singan_api/singan_pb2.py`` (+ ``.pyi``): the messages, shared by client and server.
- ``singan_api/singan_grpc.py``: grpclib stubs (pure Python) for the client.
- ``singan_api/singan_pb2_grpc.py``: grpcio servicer base for the server.

protoc names a generated module after the proto file's import path, so the file is given to protoc under
the virtual path ``singan_api/singan.proto`` (``-Isingan_api=proto/singan/v1``): the generated imports
(``import singan_api.singan_pb2``) are then right as protoc writes them, with no rewriting. The proto
package (``singan.v1``), and so every message, service and method name on the wire, is unchanged.

Usage: ``python proto/generate.py`` (write) or ``python proto/generate.py --check`` (exit 1 on drift).
Needs ``grpcio-tools`` and ``grpclib`` (dev dependencies).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROTO_DIR = REPO / "proto" / "singan" / "v1"
PACKAGE = "singan_api"
PROTO_FILE = f"{PACKAGE}/singan.proto"  # the import path protoc sees (maps to PROTO_DIR/singan.proto)
GENERATED = ("singan_pb2.py", "singan_pb2.pyi", "singan_grpc.py", "singan_pb2_grpc.py")

PKG_INIT = (
    '"""The ``singan.v1`` API, generated from proto/singan/v1/singan.proto by proto/generate.py.\n\n'
    "``singan_pb2``: messages; ``singan_grpc``: grpclib (pure-Python) client stub and server base;\n"
    "``singan_pb2_grpc``: grpcio servicer base. Never edit these by hand; run ``python proto/generate.py``.\n"
    "``job_state`` (hand-written): the ``JobState`` enum as Python, shared by the server and the client.\n"
    '"""\n'
)


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
        f"-I{PACKAGE}={PROTO_DIR}",
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


def generate() -> dict[str, str]:
    """Return {repo-relative path: content} of every generated file."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _run_protoc(out)
        files = {f"{PACKAGE}/__init__.py": PKG_INIT}
        for name in GENERATED:
            files[f"{PACKAGE}/{name}"] = (out / PACKAGE / name).read_text()
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
