"""The local managed server: the plugins start ``singan-server`` from its own environment when the
server setting is "local (managed)", share it between editors, and let it go when the editors quit.

Everything lives in the SinGAN Studio data folder (Linux ``$XDG_DATA_HOME/singan-studio``, macOS
``~/Library/Application Support/singan-studio``, Windows ``%LOCALAPPDATA%\\singan-studio``):

- ``server-env/``: the server's virtual environment (made by ``installers/install.py``);
- ``managed-server.json``: the running server's pid, port, token and the editors using it (their pids);
- ``managed-server.lock``: held while that file is read and changed, so two editors start one server;
- ``managed-server.log``: the server's output (the previous run's in ``managed-server.log.1``).

The server listens on a free loopback port (``--port 0``; it prints ``singan-server ready on
HOST:PORT``) with a fresh token in an owner-only file. Next to it runs a watcher
(``host_plugin.common.server_watch``, in the server's environment) that stops the server once no editor
using it is alive and no training is running, so a GIMP that quits, or a Krita that crashes, leaves no
server behind, and a training started before the quit finishes first.

Pure standard library: this module runs inside the editors' Pythons.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

APP_NAME = "singan-studio"
STATE_FILE = "managed-server.json"
LOCK_FILE = "managed-server.lock"
LOG_FILE = "managed-server.log"
TOKEN_FILE = "managed-server.token"
READY = re.compile(r"singan-server ready on (\S+):(\d+)")
START_TIMEOUT_S = 120.0
LOG_TAIL_LINES = 12


class ManagedServerError(RuntimeError):
    """The managed server could not be found, started or stopped; the message says what to do."""


def data_dir(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """SinGAN Studio's per-user data folder (the one platformdirs gives the server for its models)."""
    home = home or Path.home()
    if platform.startswith("win"):
        return Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / APP_NAME
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    return Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share") / APP_NAME


def env_dir(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """Where the installer puts the server's virtual environment."""
    return data_dir(platform, environ, home) / "server-env"


def env_executable(env: Path, name: str, platform: str = sys.platform) -> Path:
    """A program inside a virtual environment (``bin/NAME``; Windows ``Scripts\\NAME.exe``)."""
    if platform.startswith("win"):
        return env / "Scripts" / f"{name}.exe"
    return env / "bin" / name


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform.startswith("win"):
        out = subprocess.run(
            ["tasklist", "/FI", f"PID eq {pid}", "/NH"], capture_output=True, text=True, check=False
        ).stdout
        return str(pid) in out
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # Linux: a zombie (exited, not yet reaped) is gone
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    with contextlib.suppress(ChildProcessError, OSError):  # our own exited child: reap it
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class ServerState:
    """What ``managed-server.json`` holds."""

    pid: int
    host: str
    port: int
    token: str
    users: tuple[int, ...] = ()
    watcher_pid: int = 0
    started: float = 0.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def alive(self) -> bool:
        return pid_alive(self.pid) and port_answers(self.host, self.port)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (blocks until free)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        if sys.platform.startswith("win"):
            import msvcrt  # noqa: PLC0415 (Windows only)

            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl  # noqa: PLC0415 (POSIX only)

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.kill(pid, signal.SIGTERM)


@dataclass
class ManagedServer:
    """One data folder's managed server. ``user`` is the pid of the editor using it (GIMP's plug-ins
    pass GIMP's pid, their parent; Krita its own)."""

    env: Path = field(default_factory=env_dir)
    folder: Path = field(default_factory=data_dir)
    server_command: list[str] | None = None  # default: the environment's singan-server
    watcher_python: str | None = None  # default: the environment's python
    models: Path | None = None  # default: the server's own default (the data folder's models/)
    port: int = 0
    user: int = field(default_factory=os.getpid)
    start_timeout: float = START_TIMEOUT_S
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    @property
    def log_path(self) -> Path:
        return self.folder / LOG_FILE

    def _command(self) -> list[str]:
        if self.server_command:
            return list(self.server_command)
        exe = env_executable(self.env, "singan-server")
        if not exe.exists():
            raise ManagedServerError(
                f"no server environment at {self.env} (singan-server is missing): run the installer "
                "(python3 installers/install.py) or choose a remote server in the SinGAN settings"
            )
        return [str(exe)]

    # -- state ------------------------------------------------------------------------------------
    def read_state(self) -> ServerState | None:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            data["users"] = tuple(int(u) for u in data.get("users", ()))
            return ServerState(**data)
        except (OSError, ValueError, TypeError):
            return None

    def write_state(self, state: ServerState | None) -> None:
        if state is None:
            with contextlib.suppress(FileNotFoundError):
                self.state_path.unlink()
            return
        data = asdict(state)
        data["users"] = list(state.users)
        _write_private(self.state_path, json.dumps(data, indent=2))

    def running(self) -> ServerState | None:
        """The managed server if it runs and answers, else None."""
        state = self.read_state()
        return state if state is not None and state.alive() else None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- start, reuse, release, stop --------------------------------------------------------------
    def ensure(self, on_status: Callable[[str], None] | None = None) -> ServerState:
        """The running managed server (this editor joins its users), started first when none answers."""
        self._command()  # no environment: say so before anything is written
        with file_lock(self.folder / LOCK_FILE):
            state = self.read_state()
            if state is not None and state.alive():
                users = tuple(u for u in state.users if u != self.user and pid_alive(u)) + (self.user,)
                state = replace(state, users=users)
                self.write_state(state)
                return state
            if state is not None:  # left behind by a crash: its server is gone or does not answer
                _terminate(state.pid)
                self.write_state(None)
            if on_status is not None:
                on_status("starting the local server...")
            state = self._start()
            self.write_state(state)
            state = replace(state, watcher_pid=self._start_watcher())
            self.write_state(state)
            return state

    def _start(self) -> ServerState:
        command = self._command()
        if self.port and port_answers("127.0.0.1", self.port):
            raise ManagedServerError(self._port_taken())
        self.folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        token_path = self.folder / TOKEN_FILE
        _write_private(token_path, token + "\n")
        if self.log_path.exists():
            os.replace(self.log_path, self.log_path.with_name(LOG_FILE + ".1"))
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--token-file", str(token_path)]
        if self.models is not None:
            command += ["--models", str(self.models)]
        env = {**_clean_environ(), "PYTHONUNBUFFERED": "1", **self.extra_env}
        with open(self.log_path, "wb") as log:
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    **_detached(),
                )
            except OSError as err:
                raise ManagedServerError(f"cannot start {command[0]}: {err}") from None
        deadline = time.monotonic() + self.start_timeout
        while True:
            match = READY.search(self.log_tail(200))
            if match:
                return ServerState(
                    process.pid, "127.0.0.1", int(match.group(2)), token, (self.user,), 0, time.time()
                )
            code = process.poll()
            if code is not None:
                raise ManagedServerError(self._crash_message(code))
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise ManagedServerError(
                    f"the local server did not start within {self.start_timeout:.0f} s; its log "
                    f"({self.log_path}) ends with:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def _crash_message(self, code: int) -> str:
        tail = self.log_tail()
        if any(sign in tail for sign in ("cannot listen on", "Failed to bind to address", "already in use")):
            return self._port_taken()
        return (
            f"the local server stopped at start (exit code {code}); if its environment ({self.env}) is "
            "damaged or from an older version, run the installer again to repair it "
            f"(python3 installers/install.py). Its log ({self.log_path}) ends with:\n{tail}"
        )

    def _port_taken(self) -> str:
        return (
            f"the local server cannot listen on port {self.port}: the port is taken by another program; "
            "close it or let SinGAN pick a free port"
        )

    def _start_watcher(self) -> int:
        python = self.watcher_python or str(env_executable(self.env, "python"))
        command = [python, "-m", "host_plugin.common.server_watch", str(self.folder)]
        with open(self.folder / "managed-server-watch.log", "ab") as log:
            try:
                return subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**_clean_environ(), **self.extra_env},
                    **_detached(),
                ).pid
            except OSError:
                return 0  # the editors still stop the server they started when they quit

    def release(self, busy: Callable[[ServerState], bool] | None = None) -> str:
        """This editor stops using the server: it is stopped when no other editor uses it and ``busy``
        (a running training) is false. Returns what happened, for a log line."""
        with file_lock(self.folder / LOCK_FILE):
            state = self.read_state()
            if state is None or not pid_alive(state.pid):
                self.write_state(None)
                return "no managed server was running"
            users = tuple(u for u in state.users if u != self.user and pid_alive(u))
            self.write_state(replace(state, users=users))
            if users:
                return f"the local server stays: {len(users)} other editor(s) use it"
            if busy is not None and busy(state):
                return "the local server stays until the running training finishes"
            self._stop(state)
            return "stopped the local server"

    def stop(self) -> bool:
        """Stop the managed server whoever uses it; True when one was running."""
        with file_lock(self.folder / LOCK_FILE):
            state = self.read_state()
            if state is None:
                return False
            self._stop(state)
            return True

    def _stop(self, state: ServerState, timeout: float = 20.0) -> None:
        _terminate(state.pid)
        deadline = time.monotonic() + timeout
        while pid_alive(state.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(state.pid) and not sys.platform.startswith("win"):
            with contextlib.suppress(OSError):
                os.kill(state.pid, signal.SIGKILL)
        self.write_state(None)


def _clean_environ() -> dict[str, str]:
    """The editor's environment without what points its own Python elsewhere (Krita's AppImage and
    GIMP set PYTHONHOME/PYTHONPATH for their bundled Python; the server's environment has its own)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV")}


def _detached() -> dict[str, object]:
    """Popen options so the server outlives the editor's process group (and shows no console)."""
    if sys.platform.startswith("win"):
        flags = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(
            subprocess, "CREATE_NO_WINDOW", 0
        )
        return {"creationflags": flags}
    return {"start_new_session": True}
