"""SinGAN Studio's gRPC inference server (``singan-server``): see ``server.build_server`` and ``__main__``."""

from __future__ import annotations

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("singan-studio")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.1.0"
