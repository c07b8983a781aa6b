"""Where the server is and how to talk to it: address parsing, TLS context, bearer-token metadata."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ADDRESS = "127.0.0.1:50051"


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach a server.

    ``address``: ``host:port`` (``[v6addr]:port`` for IPv6; a bare host means port 50051).
    ``token``: bearer token (required by servers that listen beyond loopback without TLS client certs).
    ``tls``: use TLS; ``ca_file`` trusts a self-signed server certificate; ``server_name`` overrides the
    name checked against the certificate.
    Deadlines per kind of call, in seconds (a call's own ``timeout=`` overrides them; None = no
    deadline): ``timeout`` for short calls (server info, jobs and model lists, model management),
    ``inference_timeout`` for the applications (generate, harmonize, edit, paint-to-image,
    super-resolution, a whole animation), ``transfer_timeout`` for model export and import, and
    ``training_timeout`` for following a training (Train, WatchJob), which may run for hours.
    """

    address: str = DEFAULT_ADDRESS
    token: str | None = None
    tls: bool = False
    ca_file: str | None = None
    server_name: str | None = None
    timeout: float | None = 30.0
    inference_timeout: float | None = 900.0
    transfer_timeout: float | None = 900.0
    training_timeout: float | None = 7 * 24 * 3600.0

    @property
    def host_port(self) -> tuple[str, int]:
        return parse_address(self.address)

    def metadata(self) -> dict[str, str] | None:
        return {"authorization": f"Bearer {self.token}"} if self.token else None

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls and not self.ca_file:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
        ctx.set_alpn_protocols(["h2"])
        return ctx


def parse_address(address: str) -> tuple[str, int]:
    """``"host:port"`` -> ``("host", port)``; raises ValueError with a readable message."""
    text = address.strip()
    for scheme in ("grpc://", "http://", "https://"):
        if text.startswith(scheme):
            text = text[len(scheme) :]
    if not text:
        raise ValueError("empty server address; use host:port, e.g. 127.0.0.1:50051")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if not port_text:
        return host, 50051
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"bad port in server address {address!r}; use host:port") from None
    if not 0 < port < 65536:
        raise ValueError(f"port out of range in server address {address!r}")
    return host, port


def read_token_file(path: str | Path) -> str:
    """The first non-empty line of a token file."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            return line.strip()
    raise ValueError(f"token file {path} is empty")
