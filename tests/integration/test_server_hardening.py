"""Issue 18 findings, each against a real server on a loopback port: access control, statuses, integrity."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import grpc
import pytest

from inference_server.__main__ import build_parser, config_from_args, main
from inference_server.config import ServerConfig
from inference_server.server import ServerSecurityError, build_server
from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc

TOKEN = "hardening-test-token-0123456789"


# -- access control (finding 3) --------------------------------------------------------------------
@pytest.mark.parametrize("token", ["", " ", "x", "short-token", "x" * 15, " " + "x" * 20, "x" * 20 + "\n"])
def test_weak_tokens_are_refused(tmp_path: Path, token: str) -> None:
    with pytest.raises(ServerSecurityError, match="token"):
        build_server(port=0, models_dir=tmp_path, token=token)


def test_tls_alone_is_not_enough_beyond_loopback(tmp_path: Path) -> None:
    cert, key, ca = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    tls_only = ServerConfig(host="0.0.0.0", tls_cert=cert, tls_key=key)
    assert "--tls-client-ca" in (tls_only.security_problem() or "")
    assert (
        ServerConfig(host="0.0.0.0", tls_cert=cert, tls_key=key, tls_client_ca=ca).security_problem() is None
    )
    assert ServerConfig(host="0.0.0.0", token=TOKEN).security_problem() is None
    assert "needs --tls-cert" in (ServerConfig(tls_client_ca=ca).security_problem() or "")


def test_new_token_is_strong(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--new-token"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["--new-token"]) == 0
    second = capsys.readouterr().out.strip()
    assert len(first) >= 40 and first != second and ServerConfig(token=first).security_problem() is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX file permissions")
def test_token_file_readable_by_others_is_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="singan.server"):
        config = config_from_args(build_parser().parse_args(["--token-file", str(path)]))
    assert config.token == TOKEN
    assert "chmod 600" in caplog.text
    caplog.clear()
    path.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="singan.server"):
        config_from_args(build_parser().parse_args(["--token-file", str(path)]))
    assert "chmod" not in caplog.text


def test_unauthenticated_call_is_rejected_before_its_message_is_read(tmp_path: Path) -> None:
    """A message over the size limit is UNAUTHENTICATED without a token (never read), too large with one."""
    big = pb.HarmonizeRequest(
        model_id="0123456789abcdef",
        composite=pb.Image(width=2048, height=2048, channels=2, bit_depth=8, pixels=bytes(8 << 20)),
    )
    with build_server(port=0, models_dir=tmp_path, token=TOKEN, max_message_bytes=4 << 20) as srv:
        options = [("grpc.max_send_message_length", 64 << 20)]
        with grpc.insecure_channel(srv.address, options=options) as channel:
            stub = singan_pb2_grpc.SinGANStub(channel)
            for metadata in ((), (("authorization", "Bearer wrong-token-0123456789"),)):
                with pytest.raises(grpc.RpcError) as info:
                    stub.Harmonize(big, metadata=metadata, timeout=30)
                assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.RpcError) as info:
                stub.Harmonize(big, metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=30)
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            # the streamed upload is refused the same way, and the server still answers afterwards
            with pytest.raises(grpc.RpcError) as info:
                stub.ImportModel(iter([pb.FileChunk(data=b"x" * 1024)] * 8), timeout=30)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
            reply = stub.GetServerInfo(
                pb.GetServerInfoRequest(), metadata=(("authorization", f"Bearer {TOKEN}"),)
            )
            assert reply.auth_required
