"""Security: bearer-token interceptor and TLS credentials."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

log = logging.getLogger("singan.server")


def _aborter(code: grpc.StatusCode, message: str) -> Callable[..., Awaitable[Any]]:
    async def abort(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)

    return abort


def _rejecting_handler(
    handler: grpc.RpcMethodHandler, code: grpc.StatusCode, message: str
) -> grpc.RpcMethodHandler:
    """A handler of the same streaming kind as ``handler`` that aborts with ``code``."""
    fn = _aborter(code, message)
    if handler.request_streaming and handler.response_streaming:

        async def stream_stream(request_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
            await fn(None, context)
            yield  # pragma: no cover - never reached

        return grpc.stream_stream_rpc_method_handler(stream_stream)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(fn)
    if handler.response_streaming:

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await fn(request, context)
            yield  # pragma: no cover - never reached

        return grpc.unary_stream_rpc_method_handler(unary_stream)
    return grpc.unary_unary_rpc_method_handler(fn)


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
        handler = await continuation(details)
        if handler is None:
            return handler
        if hmac.compare_digest(given_bytes, self._expected):
            return handler
        reason = "missing" if not given else "wrong"
        log.info("%s UNAUTHENTICATED (%s token)", details.method, reason)
        return _rejecting_handler(
            handler,
            grpc.StatusCode.UNAUTHENTICATED,
            f"{reason} bearer token: this server requires 'authorization: Bearer <token>' "
            "(set the token in the plugin's settings)",
        )


def server_credentials(cert: Path, key: Path) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials([(Path(key).read_bytes(), Path(cert).read_bytes())])


def read_token_file(path: str | Path) -> str:
    """The first non-empty line of ``path``."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            return line.strip()
    raise ValueError(f"token file {path} is empty")
