"""The client as the plugins ship it: only the folder made by installers/vendor.py on sys.path (no
site-packages at all, so neither grpcio nor compiled protobuf), talking to a real server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from inference_server.server import build_server

REPO = Path(__file__).resolve().parents[2]


def test_vendored_client_without_site_packages(tmp_path: Path) -> None:
    target = tmp_path / "vendor"
    proc = subprocess.run(
        [sys.executable, str(REPO / "installers" / "vendor.py"), str(target), "--offline", "--with-client"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "protobuf" in (target / "VENDORED.txt").read_text()
    assert not [p for p in target.rglob("*") if p.suffix in (".so", ".pyd")]
    with build_server(port=0, models_dir=tmp_path / "models", max_message_bytes=4 << 20) as srv:
        script = textwrap.dedent(
            f"""
            import json, sys
            sys.path[:0] = [{str(target)!r}]
            import host_plugin.client as c
            import singan_api
            from google.protobuf.internal import api_implementation
            with c.Client(address={srv.address!r}) as client:
                info = client.server_info()
                try:
                    client.get_model("0123456789abcdef")
                    missing = "found?!"
                except c.NotFound as exc:
                    missing = exc.code
                big = c.RawImage(1100, 1000, 4, bytes(4400000), mask=bytes([255]) * 1100000)  # over the 4 MiB limit
                try:  # sent in pieces (UploadImage), so the server gets to say the model is unknown
                    client.edit("0123456789abcdef", big)
                except c.ClientError as exc:
                    upload = exc.code
            print(json.dumps({{
                "impl": api_implementation.Type(),
                "client": c.__file__,
                "api": singan_api.__file__,
                "modules": sorted(m for m in sys.modules if m.startswith(("inference_server", "singan_core"))),
                "site": [p for p in sys.path if "site-packages" in p],
                "version": info.version,
                "missing": missing,
                "upload": upload,
            }}))
            """
        )
        run = subprocess.run(
            [sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
        )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["impl"] == "python" and result["site"] == []
    assert result["client"].startswith(str(target))
    assert result["api"] == str(target / "singan_api" / "__init__.py")  # the generated API travels along
    assert result["modules"] == []
    assert result["version"] and result["missing"] == "NOT_FOUND"
    assert result["upload"] == "NOT_FOUND"  # RESOURCE_EXHAUSTED if the layer had gone in one message
