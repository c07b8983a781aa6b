"""Per-call plumbing for the servicer: library errors -> gRPC statuses, one log line per request."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from singan_core.errors import (
    Cancelled,
    CheckpointError,
    ConfigError,
    DamagedModel,
    ImageError,
    TrainingDiverged,
)

from .convert import RequestError
from .jobs import UnknownJob
from .model_cache import ModelNotReady
from .store import InvalidId, ModelExists, UnknownModel

log = logging.getLogger("singan.server")


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str] | None:
    if isinstance(exc, RequestError):
        return exc.code, exc.message
    if isinstance(exc, ModelExists):
        return grpc.StatusCode.ALREADY_EXISTS, str(exc)
    if isinstance(exc, (UnknownModel, UnknownJob)):
        return grpc.StatusCode.NOT_FOUND, str(exc)
    if isinstance(exc, (InvalidId, ImageError, ConfigError)):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, (ModelNotReady, DamagedModel)):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    if isinstance(exc, CheckpointError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, Cancelled):  # a call's inference or fine-tuning, stopped because the call ended
        return grpc.StatusCode.CANCELLED, str(exc)
    if isinstance(exc, TrainingDiverged):  # a call's fine-tuning (one line: scale, iteration, what)
        return grpc.StatusCode.ABORTED, str(exc)
    return None


def log_line(name: str, context: Any, code: str, started: float) -> None:
    log.info("%s %s %s %.3fs", name, context.peer(), code, time.monotonic() - started)


async def _abort(name: str, context: grpc.aio.ServicerContext, exc: Exception, started: float) -> None:
    """Answer a failed call with its mapped status (INTERNAL, logged with a traceback, if unexpected)."""
    status = status_for(exc)
    if status is None:
        log.exception("%s failed", name)
        status = (grpc.StatusCode.INTERNAL, f"internal error: {exc.__class__.__name__}: {exc}")
    log_line(name, context, status[0].name, started)
    await context.abort(*status)


def unary(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map library errors to gRPC statuses and log one line per call."""

    @functools.wraps(func)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.monotonic()
        try:
            await self.resolve_uploads(request)  # Image.upload_id -> the uploaded bytes (RpcBase)
            reply = await func(self, request, context)
        except asyncio.CancelledError:  # the client cancelled, or its deadline passed
            log_line(func.__name__, context, "CANCELLED", started)
            raise
        except Exception as exc:
            await _abort(func.__name__, context, exc, started)
        log_line(func.__name__, context, "OK", started)
        return reply

    return wrapper


def streaming(func: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
    @functools.wraps(func)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started = time.monotonic()
        try:
            await self.resolve_uploads(request)
            async for reply in func(self, request, context):
                yield reply
        except asyncio.CancelledError:
            log_line(func.__name__, context, "CANCELLED", started)
            raise
        except Exception as exc:
            await _abort(func.__name__, context, exc, started)
        log_line(func.__name__, context, "OK", started)

    return wrapper
