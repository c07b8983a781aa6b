"""Errors raised by the client: one class per gRPC status a plugin may want to handle differently."""

from __future__ import annotations


class ClientError(Exception):
    """A failed call. ``code`` is the gRPC status name (e.g. ``"NOT_FOUND"``); ``str(err)`` is a message
    a person can act on."""

    code = "UNKNOWN"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(ClientError):
    code = "INVALID_ARGUMENT"


class NotFound(ClientError):
    code = "NOT_FOUND"


class ResourceExhausted(ClientError):
    code = "RESOURCE_EXHAUSTED"


class Unauthenticated(ClientError):
    code = "UNAUTHENTICATED"


class Unimplemented(ClientError):
    code = "UNIMPLEMENTED"


class FailedPrecondition(ClientError):
    code = "FAILED_PRECONDITION"


class Unavailable(ClientError):
    """The server cannot be reached (not running, wrong address, TLS mismatch)."""

    code = "UNAVAILABLE"


class DeadlineExceeded(ClientError):
    code = "DEADLINE_EXCEEDED"


class Cancelled(ClientError):
    """The call was cancelled on this side (a :class:`CancelToken` or task cancellation)."""

    code = "CANCELLED"


_BY_CODE: dict[str, type[ClientError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        ResourceExhausted,
        Unauthenticated,
        Unimplemented,
        FailedPrecondition,
        Unavailable,
        DeadlineExceeded,
        Cancelled,
    )
}


def error_for(code: str, message: str) -> ClientError:
    """The :class:`ClientError` subclass for a gRPC status name."""
    return _BY_CODE.get(code, ClientError)(message, code)
