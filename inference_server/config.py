"""The server's settings: one frozen dataclass built once by ``__main__`` (or a test)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


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
    max_pixels: int = 64_000_000  # largest width*height of any image in a request (8000x8000)
    max_message_bytes: int = 1 << 30  # 1 GiB: an 8000x8000 RGBA 16-bit layer is 512 MiB
    max_samples: int = 64
    max_frames: int = 1000
    max_output_side: int = 8192
    inference_threads: int = 2
    resume_jobs: bool = True

    @property
    def models_path(self) -> Path:
        return Path(self.models_dir) if self.models_dir is not None else default_models_dir()

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
        if not self.is_loopback and not self.token and not self.tls:
            return (
                f"refusing to listen on {self.host} without protection: anyone on the network could use "
                "this machine's GPU and read your models. Pass --token TOKEN (or --token-file FILE) and/or "
                "--tls-cert CERT --tls-key KEY, or listen on 127.0.0.1"
            )
        return None
