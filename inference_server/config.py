"""The server's settings: one frozen dataclass built once by ``__main__`` (or a test)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MIN_TOKEN_CHARS = 16


def token_problem(token: str) -> str | None:
    """Why ``token`` is too weak to guard a server, or None."""
    if token != token.strip() or not token.isprintable():
        return "the token must not start or end with whitespace or hold control characters"
    if len(token) < MIN_TOKEN_CHARS:
        return (
            f"the token has {len(token)} characters; use at least {MIN_TOKEN_CHARS} "
            "(`singan-server --new-token` prints a strong one)"
        )
    return None


def default_models_dir() -> Path:
    """Per-user data directory (platformdirs), e.g. ~/.local/share/singan-studio/models on Linux."""
    return Path(platformdirs.user_data_dir("singan-studio", appauthor=False)) / "models"


@dataclass(frozen=True)
class ServerConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT  # 0 = pick a free port
    models_dir: Path | None = None  # None = default_models_dir()
    device: str = "auto"
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None  # PEM CA bundle: clients must present a certificate it signed
    max_pixels: int = 64_000_000  # largest width*height of any image in a request (8000x8000)
    # Largest request message: 64 MiB (a 4096x4096 RGBA 8-bit layer); bigger layers come in pieces
    # through UploadImage. Replies may be larger (max_send_message_bytes): 64 samples or a 16x
    # super-resolution are hundreds of MiB, and a reply is only as big as the server chose to make it.
    max_message_bytes: int = 64 << 20
    max_send_message_bytes: int = 1 << 30
    max_pending_uploads: int = 8  # UploadImage: uploads in progress or waiting for their request
    max_pending_upload_bytes: int = 2 << 30  # and their bytes together (temporary files)
    upload_ttl_s: float = 300.0  # an unused upload is dropped after this
    max_samples: int = 64
    max_batch_pixels: int = 64_000_000  # n x width x height of one Generate
    max_frames: int = 1000
    max_output_side: int = 8192
    inference_threads: int = 2
    max_memory_bytes: int | None = None  # a request's estimated peak; None: 80% of what is free at start
    resume_jobs: bool = True

    @property
    def models_path(self) -> Path:
        return Path(self.models_dir) if self.models_dir is not None else default_models_dir()

    @property
    def max_upload_bytes(self) -> int:
        """Largest upload: an image at max_pixels, 4 channels, 16 bit, with its mask."""
        return self.max_pixels * (4 * 2 + 1)

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def security_problem(self) -> str | None:
        """Why this configuration must not start, or None."""
        if (self.tls_cert is None) != (self.tls_key is None):
            return "TLS needs both --tls-cert and --tls-key"
        if self.tls_client_ca is not None and not self.tls:
            return "--tls-client-ca needs --tls-cert and --tls-key"
        if self.token is not None:
            problem = token_problem(self.token)
            if problem:
                return problem
        if not self.is_loopback and not self.token and self.tls_client_ca is None:
            return (
                f"refusing to listen on {self.host} without authentication: anyone on the network could use "
                "this machine's GPU and read your models (TLS alone encrypts, it does not tell who is "
                "calling). Pass --token-file FILE (`singan-server --new-token` prints a token), or require "
                "client certificates with --tls-cert CERT --tls-key KEY --tls-client-ca CA, "
                "or listen on 127.0.0.1"
            )
        return None
