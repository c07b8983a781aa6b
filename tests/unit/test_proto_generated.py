"""The committed generated code matches proto/singan/v1/singan.proto (ARCHITECTURE rule 10)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _load_generator():
    spec = importlib.util.spec_from_file_location("proto_generate", REPO / "proto" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_code_is_up_to_date() -> None:
    generator = _load_generator()
    files = generator.generate()
    assert set(files) >= {
        "host_plugin/client/_proto/singan_pb2.py",
        "host_plugin/client/_proto/singan_grpc.py",
        "inference_server/_proto/singan_pb2_grpc.py",
    }
    stale = generator.check(files)
    assert not stale, f"generated code is stale, run `python proto/generate.py`: {stale}"


def test_generated_imports_are_package_relative() -> None:
    client = (REPO / "host_plugin/client/_proto/singan_grpc.py").read_text()
    server = (REPO / "inference_server/_proto/singan_pb2_grpc.py").read_text()
    assert "from . import singan_pb2" in client
    assert "import singan.v1" not in client
    assert "from host_plugin.client._proto import singan_pb2" in server


def test_every_application_has_an_rpc() -> None:
    from host_plugin.client._proto import singan_pb2 as pb

    methods = {m.name for m in pb.DESCRIPTOR.services_by_name["SinGAN"].methods}
    assert methods == {
        "GetServerInfo",
        "Train",
        "WatchJob",
        "CancelJob",
        "ListJobs",
        "ListModels",
        "GetModel",
        "DeleteModel",
        "RenameModel",
        "ExportModel",
        "ImportModel",
        "Generate",
        "Harmonize",
        "Edit",
        "PaintToImage",
        "SuperResolve",
        "Animate",
    }
    assert pb.DESCRIPTOR.package == "singan.v1"
