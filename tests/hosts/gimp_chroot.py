"""A real GIMP 3 for host tests: Debian trixie's ``gimp`` 3.0 in a cached debootstrap chroot.

This machine's Debian (bookworm) only has GIMP 2.10 without Python; trixie's GIMP 3 runs headless
(``gimp-console-3.0``) inside a minimal chroot that shares the host's loopback, so a plug-in inside it
reaches a server started outside it.

    python tests/hosts/gimp_chroot.py build    # build (or verify) the cached chroot, ~1 minute
    python tests/hosts/gimp_chroot.py check    # say whether one can be built here, and why not

The chroot lives in ``$SINGAN_GIMP_CHROOT`` (default ``/var/cache/singan-studio/gimp-trixie``) and is
reused while its stamp file matches :data:`RECIPE`. Every GIMP run gets a fresh ``HOME`` under the
chroot's ``/tmp``, so the user's GIMP folder (and the plug-ins installed into it) never leaks between
runs. Runs are serialised with a lock file because they share the ``/proc`` and ``/dev`` mounts.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUITE = "trixie"
# xvfb + xdotool: a virtual display, so interactive runs can show (and a test can press) the dialogs
PACKAGES = ("gimp", "python3-gi", "gir1.2-gimp-3.0", "gir1.2-gegl-0.4", "xvfb", "xdotool")
#: Bump when SUITE/PACKAGES change so cached chroots get rebuilt.
RECIPE = f"1 {SUITE} {' '.join(PACKAGES)}"
DEFAULT_ROOT = Path(os.environ.get("SINGAN_GIMP_CHROOT", "/var/cache/singan-studio/gimp-trixie"))


def _host_mirror() -> str:
    """The Debian mirror this machine's apt already uses (so the chroot reaches the same archive)."""
    for path in sorted(Path("/etc/apt").glob("sources.list.d/*.sources")) + [Path("/etc/apt/sources.list")]:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
            if line.startswith("deb ") and "security" not in line and "/debian" in line:
                return next(w for w in line.split()[1:] if "://" in w)
    raise ChrootUnavailable("no Debian mirror found in /etc/apt; set SINGAN_DEBIAN_MIRROR")


GIMP_CONSOLE = "/usr/bin/gimp-console-3.0"
GIMP_UI = "/usr/bin/gimp-3.0"
STAMP_NAME = ".singan-gimp-chroot"


class ChrootUnavailable(RuntimeError):
    """No GIMP chroot can exist on this machine (not Linux, not root, no chroot/debootstrap)."""


@dataclass(frozen=True)
class GimpRun:
    """One finished ``gimp-console-3.0`` batch run."""

    returncode: int
    output: str  # stdout and stderr together
    seconds: float


def _say(message: str) -> None:
    print(f"[gimp-chroot] {message}", file=sys.stderr, flush=True)


def why_impossible() -> str | None:
    """Why this machine can never create the chroot, or None when it can (or already has one)."""
    if not sys.platform.startswith("linux"):
        return f"GIMP host tests need Linux (chroot + debootstrap); this is {sys.platform}"
    if stamp_ok(DEFAULT_ROOT) and os.geteuid() == 0:
        return None
    if os.geteuid() != 0:
        return f"GIMP host tests need root (debootstrap, chroot and mount); running as uid {os.geteuid()}"
    if shutil.which("chroot") is None:
        return "no chroot binary on PATH"
    if shutil.which("debootstrap") is None and shutil.which("apt-get") is None:
        return "no debootstrap, and no apt-get to install it"
    return None


def stamp_ok(root: Path) -> bool:
    stamp = root / STAMP_NAME
    try:
        return stamp.read_text().splitlines()[0] == RECIPE and (root / GIMP_CONSOLE.lstrip("/")).exists()
    except (OSError, IndexError):
        return False


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(cmd: list[str], log: Path, timeout: float) -> None:
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(
            f"{' '.join(cmd[:3])} ... failed with status {proc.returncode}; log {log}:\n{tail}"
        )


def _ensure_debootstrap(log: Path) -> None:
    if shutil.which("debootstrap"):
        return
    _say("installing debootstrap with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "debootstrap"]):
        with open(log, "ab") as out:
            subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=True, timeout=600)


def build(root: Path = DEFAULT_ROOT) -> Path:
    """Create the chroot at ``root`` (about a minute and 1 GB); assumes the caller holds the lock."""
    impossible = why_impossible()
    if impossible:
        raise ChrootUnavailable(impossible)
    log = root.parent / f"{root.name}.build.log"
    log.write_text("")
    _ensure_debootstrap(log)
    work = root.parent / f"{root.name}.tmp"
    if work.exists():
        _remove_tree(work)
    started = time.monotonic()
    _say(f"debootstrap --variant=minbase {SUITE} {work} (about 20 s; log {log})")
    mirror = os.environ.get("SINGAN_DEBIAN_MIRROR") or _host_mirror()
    _run(["debootstrap", "--variant=minbase", SUITE, str(work), mirror], log, timeout=900)
    _say(f"apt-get install {' '.join(PACKAGES)} in the chroot (about 30 s)")
    with _mounted(work):
        script = (
            "set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; "
            f"apt-get install -y -qq --no-install-recommends {' '.join(PACKAGES)}; apt-get clean"
        )
        _run(["chroot", str(work), "/bin/sh", "-c", script], log, timeout=1800)
    version = subprocess.run(
        ["chroot", str(work), "dpkg-query", "-W", "-f=${Version}", "gimp"], capture_output=True, text=True
    ).stdout
    (work / STAMP_NAME).write_text(f"{RECIPE}\ngimp {version}\nbuilt {time.ctime()}\n")
    if root.exists():
        _remove_tree(root)
    work.rename(root)
    _say(f"GIMP {version} chroot ready at {root} in {time.monotonic() - started:.0f} s")
    return root


def ensure(root: Path = DEFAULT_ROOT) -> Path:
    """The chroot, built first when missing or stale. Raises :class:`ChrootUnavailable` or RuntimeError."""
    impossible = why_impossible()
    if impossible:
        raise ChrootUnavailable(impossible)
    with _locked(root):
        if not stamp_ok(root):
            build(root)
    return root


def _is_mount(path: Path) -> bool:
    return os.path.ismount(path)


def _unmount_all(root: Path) -> None:
    for sub in ("dev", "proc"):
        target = root / sub
        if _is_mount(target):
            subprocess.run(["umount", "-l", str(target)], check=False)


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    with open("/proc/mounts") as mounts:
        points = [line.split()[1].replace("\\040", " ") for line in mounts]
    return [point for point in points if point.startswith(prefix)]


def _remove_tree(root: Path) -> None:
    """rmtree, but never through a mount (a bind-mounted /dev would lose the host's device nodes)."""
    _unmount_all(root)
    busy = _mounts_under(root)
    if busy:
        raise RuntimeError(f"refusing to delete {root}: still mounted: {', '.join(busy)}")
    shutil.rmtree(root)


@contextmanager
def _mounted(root: Path) -> Iterator[None]:
    """/proc and /dev inside the chroot. The caller holds the lock, so mounts left behind by a killed
    run are stale: they are reused and unmounted at the end like ours."""
    mounts = [(["mount", "-t", "proc", "proc"], root / "proc"), (["mount", "--bind", "/dev"], root / "dev")]
    try:
        for cmd, target in mounts:
            if not _is_mount(target):
                subprocess.run([*cmd, str(target)], check=True)
        yield
    finally:
        _unmount_all(root)


class GimpChroot:
    """A session in the chroot: a fresh ``HOME`` (so a fresh GIMP user folder) and the mounts.

    ``home_outside`` is that home as seen from this machine (install plug-ins there);
    ``home_inside`` is the same folder as GIMP sees it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home_outside: Path = Path()
        self.home_inside = ""

    def to_inside(self, path: Path) -> str:
        return "/" + str(Path(path).resolve().relative_to(self.root.resolve()))

    def to_outside(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")

    @property
    def plugins_outside(self) -> Path:
        return self.home_outside / ".config" / "GIMP" / "3.0" / "plug-ins"

    @contextmanager
    def display(self, number: int = 99) -> Iterator[str]:
        """An Xvfb display inside the chroot; yields its ``DISPLAY`` value (pass it to :meth:`run_batch`)."""
        socket = self.root / "tmp" / ".X11-unix" / f"X{number}"
        socket.unlink(missing_ok=True)
        server = subprocess.Popen(
            ["chroot", str(self.root), "/usr/bin/Xvfb", f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while not socket.exists():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Xvfb :{number} did not start in the chroot")
                time.sleep(0.1)
            yield f":{number}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    def xdotool(self, display: str, *args: str) -> str:
        """Run ``xdotool`` on ``display`` inside the chroot; returns its stdout ('' on failure)."""
        proc = subprocess.run(
            ["chroot", str(self.root), "/usr/bin/env", f"DISPLAY={display}", "xdotool", *args],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def run_batch(
        self,
        script: str,
        *,
        timeout: float = 300,
        env: dict[str, str] | None = None,
        binary: str = GIMP_CONSOLE,
        flags: str = "-idf",
    ) -> GimpRun:
        """Run ``script`` (Python) through ``gimp-console-3.0 --batch-interpreter=python-fu-eval``; or
        ``binary=GIMP_UI, flags="-df"``: the whole GIMP with its windows (on ``env["DISPLAY"]``)."""
        environment = {
            "HOME": self.home_inside,
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            **(env or {}),
        }
        cmd = [
            "chroot",
            str(self.root),
            "/usr/bin/env",
            "-i",
            *(f"{k}={v}" for k, v in environment.items()),
            binary,
            flags,
            "--batch-interpreter=python-fu-eval",
            "-b",
            "-",
            "--quit",
        ]
        started = time.monotonic()
        log = self.home_outside / "gimp-console.log"
        with open(log, "w") as output:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            try:
                proc.communicate(script, timeout=timeout)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # GIMP and the plug-ins it started
                proc.wait()
                code = -9
                output.write(f"\n[gimp-chroot] killed after {timeout} s\n")
        return GimpRun(code, log.read_text(errors="replace"), time.monotonic() - started)


@contextmanager
def session(root: Path = DEFAULT_ROOT) -> Iterator[GimpChroot]:
    """Build the chroot if needed, mount, make a fresh home; clean all of it up afterwards."""
    ensure(root)
    with _locked(root), _mounted(root):
        tmp = root / "tmp"
        tmp.mkdir(mode=0o1777, exist_ok=True)
        for stale in tmp.glob("singan-home-*"):  # left by killed runs (we hold the lock)
            shutil.rmtree(stale, ignore_errors=True)
        home = Path(tempfile.mkdtemp(prefix="singan-home-", dir=tmp))
        home.chmod(0o755)
        chroot = GimpChroot(root)
        chroot.home_outside = home
        chroot.home_inside = chroot.to_inside(home)
        try:
            yield chroot
        finally:
            shutil.rmtree(home, ignore_errors=True)


def _main(argv: list[str], say: Callable[[str], None] = print) -> int:
    command = argv[0] if argv else "build"
    if command == "check":
        reason = why_impossible()
        say(f"GIMP chroot: {'impossible here: ' + reason if reason else 'can be built/used'}")
        say(f"cached at {DEFAULT_ROOT}: {'yes' if stamp_ok(DEFAULT_ROOT) else 'no'}")
        return 1 if reason else 0
    if command == "build":
        try:
            root = ensure()
        except ChrootUnavailable as exc:
            say(f"GIMP chroot cannot be built here: {exc}")
            return 2
        say((root / STAMP_NAME).read_text().strip())
        return 0
    say("usage: gimp_chroot.py [build|check]")
    return 64


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
