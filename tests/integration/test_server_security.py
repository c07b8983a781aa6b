"""Auth (bearer token), TLS, health checking and reflection against a real in-process server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from host_plugin.client import Client, Unauthenticated, Unavailable
from inference_server.server import ServerSecurityError, build_server

TOKEN = "correct horse battery staple"


def test_refuses_non_loopback_without_token_or_tls(tmp_path: Path) -> None:
    with pytest.raises(ServerSecurityError, match="--token"):
        build_server(host="0.0.0.0", port=0, models_dir=tmp_path)


def test_token_guards_every_call(tmp_path: Path) -> None:
    with build_server(port=0, models_dir=tmp_path, token=TOKEN) as srv:
        with Client(address=srv.address) as anonymous:
            with pytest.raises(Unauthenticated, match="missing bearer token"):
                anonymous.server_info()
            with pytest.raises(Unauthenticated):
                anonymous.list_models()
            with pytest.raises(Unauthenticated):
                anonymous.generate("0123456789abcdef")
        with Client(address=srv.address, token="nope") as wrong:
            with pytest.raises(Unauthenticated, match="wrong bearer token"):
                wrong.list_jobs()
        with Client(address=srv.address, token=TOKEN) as good:
            assert good.server_info().auth_required
            assert good.list_models() == []
        # health checking and reflection are guarded too
        with grpc.insecure_channel(srv.address) as channel:
            with pytest.raises(grpc.RpcError) as info:
                health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), metadata=[("authorization", f"Bearer {TOKEN}")]
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    assert shutil.which("openssl"), "openssl is needed to make a test certificate"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    with build_server(port=0, models_dir=tmp_path / "m", tls_cert=cert, tls_key=key, token=TOKEN) as srv:
        with Client(address=srv.address, tls=True, ca_file=str(cert), token=TOKEN) as secure:
            info = secure.server_info()
            assert info.tls and info.auth_required
        with Client(address=srv.address, token=TOKEN) as plaintext:
            with pytest.raises(Unavailable):
                plaintext.server_info()
        with Client(address=srv.address, tls=True, token=TOKEN) as untrusted:  # system CAs only
            with pytest.raises(Unavailable):
                untrusted.server_info()


def test_health_and_reflection_for_generic_tools(tmp_path: Path) -> None:
    with build_server(port=0, models_dir=tmp_path) as srv, grpc.insecure_channel(srv.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "singan.v1.SinGAN"):
            status = health.Check(health_pb2.HealthCheckRequest(service=service)).status
            assert status == health_pb2.HealthCheckResponse.SERVING
        db = ProtoReflectionDescriptorDatabase(channel)
        services = set(db.get_services())
        assert {
            "singan.v1.SinGAN",
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        } <= services
        from google.protobuf.descriptor_pool import DescriptorPool

        pool = DescriptorPool(db)  # knows nothing of the project's stubs
        service = pool.FindServiceByName("singan.v1.SinGAN")
        methods = {m.name: m for m in service.methods}
        assert {"Train", "Generate", "Harmonize", "Animate", "GetServerInfo"} <= set(methods)
        assert methods["Train"].output_type.full_name == "singan.v1.JobEvent"
        image = pool.FindMessageTypeByName("singan.v1.Image")
        assert {
            "width", "height", "channels", "bit_depth", "pixels", "mask", "offset_x", "offset_y", "upload_id"
        } == {f.name for f in image.fields}  # fmt: skip
