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
    assert set(files) == {
        "singan_api/__init__.py",
        "singan_api/singan_pb2.py",
        "singan_api/singan_pb2.pyi",
        "singan_api/singan_grpc.py",
        "singan_api/singan_pb2_grpc.py",
    }
    stale = generator.check(files)
    assert not stale, f"generated code is stale, run `python proto/generate.py`: {stale}"


def test_generated_code_is_written_as_protoc_writes_it() -> None:
    """No import rewriting: the modules import ``singan_api`` because protoc was told the proto's path is
    ``singan_api/singan.proto``; the proto package (what travels on the wire) stays ``singan.v1``."""
    source = (REPO / "proto" / "generate.py").read_text()
    assert "import re\n" not in source and "re.sub(" not in source and "text.replace(" not in source
    grpclib_stub = (REPO / "singan_api/singan_grpc.py").read_text()
    grpcio_base = (REPO / "singan_api/singan_pb2_grpc.py").read_text()
    assert "import singan_api.singan_pb2" in grpclib_stub
    assert "from singan_api import singan_pb2" in grpcio_base
    assert "singan.v1.singan_pb2" not in grpclib_stub + grpcio_base
    assert "'/singan.v1.SinGAN/Train'" in grpclib_stub + grpcio_base


def test_every_application_has_an_rpc() -> None:
    from singan_api import singan_pb2 as pb

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
        "EstimateTraining",
        "FineTune",
        "UploadImage",
        "InstantVariations",
        "InstantFill",
        "InstantEdit",
        "ExtendCanvas",
    }
    assert pb.DESCRIPTOR.package == "singan.v1"
