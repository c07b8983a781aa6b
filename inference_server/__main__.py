"""``singan-server``: the command line of the inference server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from .auth import new_token, read_token_file, token_file_warning
from .config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig, default_models_dir
from .server import serve


def build_parser() -> argparse.ArgumentParser:
    defaults = ServerConfig()
    p = argparse.ArgumentParser(
        prog="singan-server",
        description="SinGAN Studio inference server (gRPC API singan.v1). Listens on loopback by default; "
        "listening on any other address requires --token/--token-file (or TLS client certificates, "
        "--tls-client-ca).",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)"
    )
    p.add_argument(
        "--models", type=Path, default=None, help=f"model directory (default {default_models_dir()})"
    )
    p.add_argument(
        "--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps"
    )
    p.add_argument("--token", default=None, help="bearer token every call must carry (prefer --token-file)")
    p.add_argument("--token-file", type=Path, default=None, help="file whose first line is the bearer token")
    p.add_argument("--tls-cert", type=Path, default=None, help="PEM certificate chain (enables TLS)")
    p.add_argument("--tls-key", type=Path, default=None, help="PEM private key for --tls-cert")
    p.add_argument(
        "--tls-client-ca",
        type=Path,
        default=None,
        help="PEM CA certificates: require every client to present a certificate they signed",
    )
    p.add_argument("--new-token", action="store_true", help="print a strong random token and exit")
    p.add_argument(
        "--max-pixels", type=int, default=defaults.max_pixels, help="largest width*height accepted"
    )
    p.add_argument(
        "--max-batch-pixels",
        type=int,
        default=defaults.max_batch_pixels,
        help="largest n x width x height of one Generate",
    )
    p.add_argument(
        "--max-message-mb",
        type=int,
        default=defaults.max_message_bytes >> 20,
        help="largest request message in MiB (default %(default)s); the client sends bigger layers in "
        "pieces (UploadImage). Replies may be up to 1024 MiB",
    )
    p.add_argument("--inference-threads", type=int, default=defaults.inference_threads)
    p.add_argument(
        "--max-memory-gb",
        type=float,
        default=None,
        help="refuse a request whose estimated peak memory is over this (default: 80%% of the memory "
        "free at start; the GPU's with --device cuda)",
    )
    p.add_argument("--no-resume", action="store_true", help="do not resume unfinished training jobs")
    p.add_argument("--quiet", action="store_true", help="log warnings only (default: one line per request)")
    return p


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    token = args.token
    if args.token_file is not None:
        if token:
            raise ValueError("use --token or --token-file, not both")
        token = read_token_file(args.token_file)
        warning = token_file_warning(args.token_file)
        if warning:
            logging.getLogger("singan.server").warning("%s", warning)
    if not 0 <= args.port < 65536:
        raise ValueError(f"--port must be in 0..65535, got {args.port}")
    if args.max_message_mb < 4 or args.max_message_mb > 2047:
        raise ValueError("--max-message-mb must be in 4..2047")
    memory = args.max_memory_gb
    if memory is not None and not 0.1 <= memory <= 1e6:  # also refuses nan
        raise ValueError("--max-memory-gb must be in 0.1..1000000")
    return ServerConfig(
        host=args.host,
        port=args.port,
        models_dir=args.models,
        device=args.device,
        token=token,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_client_ca=args.tls_client_ca,
        max_pixels=args.max_pixels,
        max_batch_pixels=args.max_batch_pixels,
        max_message_bytes=args.max_message_mb << 20,
        inference_threads=max(1, args.inference_threads),
        max_memory_bytes=None if memory is None else int(memory * 2**30),
        resume_jobs=not args.no_resume,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.new_token:
        print(new_token())
        return 0
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        config = config_from_args(args)
        problem = config.security_problem()
        if problem:
            raise ValueError(problem)
        asyncio.run(serve(config))
    except (ValueError, OSError) as exc:
        print(f"singan-server: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
