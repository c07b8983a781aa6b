"""Security: bearer-token interceptor and TLS credentials."""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

log = logging.getLogger("singan.server")


def _rejecting_handler(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    """A handler that answers ``code`` without reading the request.

    It is request-streaming whatever the method's kind: grpc.aio reads a unary request in full before
    calling its handler (up to --max-message-mb), but leaves a stream's messages unread until iterated.
    """

    async def reject(request_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)

    return grpc.stream_unary_rpc_method_handler(reject)


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Every call (the API, health and reflection alike) needs ``authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        metadata = dict(details.invocation_metadata or ())
        given = metadata.get("authorization", "")
        given_bytes = given.encode() if isinstance(given, str) else bytes(given)
        if hmac.compare_digest(given_bytes, self._expected):
            return await continuation(details)
        # decided on the metadata alone: the request's message is never read, let alone buffered
        reason = "missing" if not given else "wrong"
        log.info("%s UNAUTHENTICATED (%s token)", details.method, reason)
        return _rejecting_handler(
            grpc.StatusCode.UNAUTHENTICATED,
            f"{reason} bearer token: this server requires 'authorization: Bearer <token>' "
            "(set the token in the plugin's settings)",
        )


def server_credentials(cert: Path, key: Path, client_ca: Path | None = None) -> grpc.ServerCredentials:
    """TLS with ``cert``/``key``; with ``client_ca``, only clients holding a certificate it signed get in."""
    pairs = [(Path(key).read_bytes(), Path(cert).read_bytes())]
    if client_ca is None:
        return grpc.ssl_server_credentials(pairs)
    return grpc.ssl_server_credentials(
        pairs, root_certificates=Path(client_ca).read_bytes(), require_client_auth=True
    )


def new_token() -> str:
    """A strong bearer token: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_file_warning(path: str | Path) -> str | None:
    """A warning when others than the owner may read the token file (POSIX permissions), else None."""
    if os.name != "posix":
        return None
    mode = Path(path).stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"token file {path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
            f"make it private: chmod 600 {path}"
        )
    return None


def read_token_file(path: str | Path) -> str:
    """The first non-empty line of ``path`` (surrounding whitespace removed)."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            return line.strip()
    raise ValueError(f"token file {path} is empty")
