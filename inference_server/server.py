"""Assembling and running the server: grpc.aio + health + reflection + auth + the job worker.

``build_server(ServerConfig(port=0))`` returns a :class:`RunningServer` serving on a background thread
(for tests and the demo); ``serve(config)`` runs in the foreground until SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc
from singan_core.device import resolve_device

from .auth import BearerTokenInterceptor, server_credentials
from .config import ServerConfig
from .jobs import JobManager
from .model_cache import ModelCache
from .resources import check_training, default_budget_bytes
from .servicer import SinGANServicer
from .store import ModelStore

log = logging.getLogger("singan.server")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SinGAN"].full_name


class ServerSecurityError(RuntimeError):
    """The configuration would expose the server without a token or TLS."""


def _port_taken(host: str, port: int) -> bool:
    """Whether another program listens on ``host:port`` (checked before gRPC binds, which would log its
    own multi-line error). SO_REUSEADDR as gRPC sets it: a port in TIME_WAIT is not taken."""
    if port == 0:
        return False
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return False  # gRPC reports an unusable address itself
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return True
    return False


class _Parts:
    """Everything one server instance owns; created and torn down on its event loop."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.server: grpc.aio.Server | None = None
        self.jobs: JobManager | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.health: health.aio.HealthServicer | None = None
        self.servicer: SinGANServicer | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> None:
        cfg = self.config
        problem = cfg.security_problem()
        if problem:
            raise ServerSecurityError(problem)
        device = resolve_device(cfg.device)
        if cfg.max_memory_bytes is None:
            cfg = self.config = replace(cfg, max_memory_bytes=default_budget_bytes(device))
        store = ModelStore(cfg.models_path)
        self.pool = ThreadPoolExecutor(max_workers=cfg.inference_threads, thread_name_prefix="singan-infer")
        budget = cfg.max_memory_bytes
        self.jobs = JobManager(
            store,
            device=device,
            loop=asyncio.get_running_loop(),
            admit=lambda image, config: check_training(image, config, budget),
        )
        cache = ModelCache(store, device)
        options = [
            ("grpc.max_receive_message_length", cfg.max_message_bytes),
            ("grpc.max_send_message_length", max(cfg.max_send_message_bytes, cfg.max_message_bytes)),
            ("grpc.so_reuseport", 0),  # a port another server holds is taken, not shared with it
        ]
        interceptors = [BearerTokenInterceptor(cfg.token)] if cfg.token else []
        server = grpc.aio.server(options=options, interceptors=interceptors)
        self.servicer = SinGANServicer(cfg, store, self.jobs, cache, self.pool, device)
        singan_pb2_grpc.add_SinGANServicer_to_server(self.servicer, server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            [
                SERVICE_NAME,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            server,
        )
        address = (
            f"{cfg.host}:{cfg.port}"
            if ":" not in cfg.host or cfg.host.startswith("[")
            else f"[{cfg.host}]:{cfg.port}"
        )
        try:
            if _port_taken(cfg.host, cfg.port):
                raise RuntimeError("address in use")
            if cfg.tls:
                self.port = server.add_secure_port(
                    address, server_credentials(cfg.tls_cert, cfg.tls_key, cfg.tls_client_ca)
                )
            else:
                self.port = server.add_insecure_port(address)
        except RuntimeError:  # grpc: "Failed to bind to address ..."
            self.port = 0
        if self.port == 0:
            raise OSError(
                f"cannot listen on {address}: the port is taken by another program or the address is "
                "not available here (choose another --port, or --port 0 for any free one)"
            )
        await server.start()
        self.server = server
        resumed = self.jobs.start(resume=cfg.resume_jobs)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_uploads())
        await self.health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        log.info(
            "singan-server listening on %s:%d (%s, device %s, models in %s%s%s%s%s)",
            cfg.host,
            self.port,
            "TLS" if cfg.tls else "plaintext",
            device,
            store.root,
            ", token required" if cfg.token else "",
            ", client certificates required" if cfg.tls_client_ca else "",
            f", memory budget {cfg.max_memory_bytes / 2**30:.1f} GiB" if cfg.max_memory_bytes else "",
            f", resuming {resumed} job(s)" if resumed else "",
        )

    async def _sweep_uploads(self) -> None:
        """Delete expired uploads' files every few seconds, not only when the next upload comes."""
        assert self.servicer is not None
        period = min(30.0, max(0.5, self.config.upload_ttl_s / 4))
        while True:
            await asyncio.sleep(period)
            self.servicer.uploads.sweep()

    async def stop(self, grace: float = 2.0) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self.health is not None:
            await self.health.enter_graceful_shutdown()
        if self.jobs is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.jobs.shutdown)
            # let watchers receive the final INTERRUPTED event before connections close
            deadline = time.monotonic() + grace
            watched = self.jobs.has_subscribers()
            while self.jobs.has_subscribers() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if watched:  # the handlers have returned; give the transport a moment to send their status
                await asyncio.sleep(0.2)
        if self.server is not None:
            await self.server.stop(grace)
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        if self.servicer is not None:
            self.servicer.uploads.close()
        log.info("singan-server stopped")


class RunningServer:
    """A server on its own thread and event loop. ``address`` is ``host:port``; ``stop()`` is idempotent."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._parts = _Parts(config)
        self._thread = threading.Thread(target=self._loop.run_forever, name="singan-server", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._parts.start(), self._loop).result()
        except BaseException:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            raise
        self.port = self._parts.port
        self._stopped = False

    @property
    def address(self) -> str:
        host = self.config.host
        return f"[{host}]:{self.port}" if ":" in host and not host.startswith("[") else f"{host}:{self.port}"

    @property
    def jobs(self) -> JobManager:
        assert self._parts.jobs is not None
        return self._parts.jobs

    def stop(self, grace: float = 2.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        asyncio.run_coroutine_threadsafe(self._parts.stop(grace), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_server(config: ServerConfig | None = None, **overrides: Any) -> RunningServer:
    """Start a server in the background (``port=0`` picks a free port) and return it running."""
    config = replace(config or ServerConfig(), **overrides)
    return RunningServer(config)


async def serve(config: ServerConfig) -> None:
    """Run in the foreground until SIGINT or SIGTERM, then stop the running job at a safe point."""
    parts = _Parts(config)
    await parts.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C raises KeyboardInterrupt instead
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    print(f"singan-server ready on {config.host}:{parts.port}", flush=True)
    await stop.wait()
    log.info("shutting down: stopping the running job at a safe point")
    await parts.stop()
