"""One install for artists: the server in its own environment, the plugin in every editor found.

    python3 installers/install.py [install] [--krita-dir PYKRITA] [--gimp-dir PLUG_INS] [--cpu | --cuda]
    python3 installers/install.py uninstall
    python3 installers/install.py plan        (print what install would do, change nothing)

``install`` makes (or upgrades in place, or repairs) a virtual environment in SinGAN Studio's data
folder (Linux ``~/.local/share/singan-studio/server-env``, macOS ``~/Library/Application
Support/singan-studio/server-env``, Windows ``%LOCALAPPDATA%\\singan-studio\\server-env``), installs
torch there (the CPU build, or the CUDA build when ``nvidia-smi`` finds an NVIDIA GPU, pinned as
``constraints.txt`` says) and this checkout's ``singan-studio`` (not editable), copies the plugin into
Krita's ``pykrita`` folder and GIMP 3's ``plug-ins`` folder when those editors are found, and records in
the plugins' settings that the server is the managed local one living in that environment. Trained
models live in the data folder's ``models/``, outside the environment: reinstalling and uninstalling
keep them. ``install-manifest.json`` in the data folder lists what was installed; ``uninstall`` removes
exactly that.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from host_plugin.common.managed_server import ManagedServer, data_dir, env_executable  # noqa: E402
from installers import gimp, krita  # noqa: E402
from installers.plugin_settings import edit_settings, record_settings  # noqa: E402

MIN_PYTHON = (3, 10)
GIB = 1 << 30
DISK_NEEDED = {"cpu": 3 * GIB, "cuda": 10 * GIB}  # torch and its CUDA libraries, with pip's cache
TORCH_INDEX = {
    "cpu": "https://download.pytorch.org/whl/cpu",
    "cuda": "https://download.pytorch.org/whl/cu126",
}
MANIFEST = "install-manifest.json"
GIMP_SETTINGS = "singan-studio.json"  # host_plugin/gimp/actions.py SETTINGS_FILE, in GIMP's folder
ENV_SMOKE = "import inference_server, singan_core, torch; print(torch.__version__)"

Run = Callable[..., subprocess.CompletedProcess]


class InstallError(RuntimeError):
    """Something the user must fix; the message says what."""


@dataclass(frozen=True)
class Editor:
    name: str  # "krita" or "gimp"
    plugin_dir: Path  # Krita's pykrita folder, GIMP's plug-ins folder
    settings_file: Path  # kritarc, or the plug-in's JSON settings in GIMP's folder


@dataclass(frozen=True)
class Plan:
    platform: str
    data: Path
    env: Path
    torch: str  # "cpu" or "cuda"
    editors: tuple[Editor, ...] = ()
    python: str = sys.executable
    torch_index: str | None = None  # None: PyTorch's index for the build; "": only pip's own indexes

    @property
    def index(self) -> str:
        return TORCH_INDEX[self.torch] if self.torch_index is None else self.torch_index

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def manifest(self) -> Path:
        return self.data / MANIFEST

    @property
    def env_python(self) -> Path:
        return env_executable(self.env, "python", self.platform)

    def torch_requirement(self) -> str:
        return next((line.strip() for line in constraints() if line.strip().startswith("torch==")), "torch")

    def describe(self) -> list[str]:
        lines = [
            f"server environment: {self.env}",
            f"torch: {self.torch_requirement()} ({self.torch.upper()} build, {self.index or 'pip indexes'})",
            f"models (kept on reinstall and uninstall): {self.models}",
        ]
        lines += [f"{e.name} plugin: {e.plugin_dir} (settings: {e.settings_file})" for e in self.editors]
        if not self.editors:
            lines.append(
                "no Krita or GIMP 3 found: only the server is installed (use --krita-dir/--gimp-dir)"
            )
        return lines


def constraints() -> list[str]:
    path = REPO / "constraints.txt"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def has_nvidia_gpu(run: Run = subprocess.run, which: Callable[[str], str | None] = shutil.which) -> bool:
    if which("nvidia-smi") is None:
        return False
    try:
        out = run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def find_editors(
    platform: str,
    environ: Mapping[str, str],
    home: Path,
    krita_dir: Path | None = None,
    gimp_dir: Path | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> tuple[Editor, ...]:
    """Krita and GIMP 3 when chosen (``--krita-dir``/``--gimp-dir``), on PATH or with a settings folder."""
    editors = []
    pykrita = krita.default_pykrita_dir(platform, environ, home)
    flatpak = home / ".var" / "app" / "org.kde.krita" / "data" / "krita" / "pykrita"
    if krita_dir is None and not (which("krita") or pykrita.parent.exists()) and flatpak.parent.exists():
        krita_dir = flatpak
    if krita_dir is not None or which("krita") or pykrita.parent.exists():
        editors.append(
            Editor("krita", Path(krita_dir or pykrita), krita.default_kritarc(platform, environ, home))
        )
    plugins = gimp.default_plugins_dir(platform, environ, home)
    if gimp_dir is not None or which("gimp-3.0") or which("gimp") or plugins.parent.exists():
        chosen = Path(gimp_dir or plugins)
        editors.append(Editor("gimp", chosen, chosen.parent / GIMP_SETTINGS))
    return tuple(editors)


def make_plan(
    *,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    home: Path | None = None,
    krita_dir: Path | None = None,
    gimp_dir: Path | None = None,
    torch: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
    run: Run = subprocess.run,
    torch_index: str | None = None,
) -> Plan:
    home = home or Path.home()
    data = data_dir(platform, environ, home)
    if torch is None:
        torch = "cuda" if platform != "darwin" and has_nvidia_gpu(run, which) else "cpu"
    editors = find_editors(platform, environ, home, krita_dir, gimp_dir, which)
    return Plan(platform, data, data / "server-env", torch, editors, torch_index=torch_index)


# -- checks -------------------------------------------------------------------------------------------
def check_python(version: Sequence[int] = sys.version_info) -> None:
    if tuple(version[:2]) < MIN_PYTHON:
        raise InstallError(
            f"this Python is {version[0]}.{version[1]}; SinGAN Studio needs Python "
            f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer: install it from python.org (or your package manager) "
            "and run this command with it"
        )


def check_disk(plan: Plan, free: Callable[[Path], int] | None = None) -> None:
    where = plan.data
    while not where.exists() and where != where.parent:
        where = where.parent
    available = (free or (lambda p: shutil.disk_usage(p).free))(where)
    needed = DISK_NEEDED[plan.torch] - (_size(plan.env) if plan.env.exists() else 0)
    if available < needed:
        raise InstallError(
            f"not enough disk space in {where}: {available / GIB:.1f} GiB free, the server environment "
            f"needs about {needed / GIB:.1f} GiB; free some space and run the command again"
        )


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def env_health(plan: Plan, run: Run = subprocess.run) -> str:
    """``missing``, ``ok`` (upgrade in place) or ``broken: why`` (repair: made again)."""
    if not plan.env.exists():
        return "missing"
    if not plan.env_python.exists():
        return "broken: its Python is missing"
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        out = run(
            [str(plan.env_python), "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as err:
        return f"broken: its Python does not start ({err})"
    if out.returncode != 0:
        return "broken: its Python does not start"
    major, minor = (int(x) for x in out.stdout.strip().split("."))
    if (major, minor) < MIN_PYTHON:
        return f"broken: made with Python {major}.{minor}, older than {MIN_PYTHON[0]}.{MIN_PYTHON[1]}"
    return "ok"


# -- install ------------------------------------------------------------------------------------------
@dataclass
class Installer:
    plan: Plan
    run: Run = subprocess.run
    say: Callable[[str], None] = print
    timings: dict[str, float] = field(default_factory=dict)

    def _call(self, what: str, command: list[str], **kwargs: object) -> None:
        start = time.monotonic()
        self.say(f"{what}...")
        try:
            done = self.run(command, check=False, **kwargs)
        except OSError as err:
            raise InstallError(f"{what} failed: cannot run {command[0]} ({err})") from None
        self.timings[what] = time.monotonic() - start
        if done.returncode != 0:
            raise InstallError(
                f"{what} failed (exit code {done.returncode}); the messages above say why. "
                "Run the command again once it is fixed: it repairs what is there"
            )

    def install(self) -> dict[str, object]:
        plan = self.plan
        check_python()
        check_disk(plan)
        self._stop_managed_server()
        health = env_health(plan, self.run)
        if health.startswith("broken"):
            self.say(f"the server environment in {plan.env} is {health}: repairing (making it again)")
            shutil.rmtree(plan.env)
        if health != "ok":
            self._call("making the server environment", [plan.python, "-m", "venv", str(plan.env)])
        else:
            self.say(f"upgrading the server environment in place: {plan.env}")
        pip = [str(plan.env_python), "-m", "pip", "install", "--upgrade", "--disable-pip-version-check"]
        with_constraints = (
            ["-c", str(REPO / "constraints.txt")] if (REPO / "constraints.txt").exists() else []
        )
        self._call(
            f"installing {plan.torch_requirement()} ({plan.torch.upper()})",
            pip
            + with_constraints
            + (["--extra-index-url", plan.index] if plan.index else [])
            + [plan.torch_requirement()],
        )
        self._call("installing singan-studio", pip + with_constraints + [str(REPO)])
        self._call("checking the server environment", [str(plan.env_python), "-c", ENV_SMOKE])
        before = _previous_keys(plan.manifest)
        installed = [self._install_plugin(editor) for editor in plan.editors]
        for record in installed:  # a key an earlier install wrote is still ours to remove
            record["keys"] = sorted(
                set(record["keys"]) | before.get((record["name"], record["settings_file"]), set())
            )
        manifest = {
            "version": 1,
            "installed_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "data": str(plan.data),
            "env": str(plan.env),
            "torch": plan.torch,
            "editors": installed,
        }
        plan.data.mkdir(parents=True, exist_ok=True)
        plan.manifest.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return manifest

    def _stop_managed_server(self) -> None:
        """An upgrade replaces the files the managed server runs from: stop it first."""
        manager = ManagedServer(env=self.plan.env, folder=self.plan.data)
        if manager.read_state() is not None and manager.stop():
            self.say("stopped the running local server (the plugins start it again when needed)")

    def _install_plugin(self, editor: Editor) -> dict[str, object]:
        # the plugin installers run in the server environment: it holds the pure-Python packages they
        # copy into the plugin (--offline), whatever the Python running this script has
        command = [str(self.plan.env_python), "-m", f"installers.{editor.name}", "install", "--offline"]
        command += ["--dest", str(editor.plugin_dir)]
        if editor.name == "krita":
            command += ["--kritarc", str(editor.settings_file)]
        self._call(f"installing the {editor.name} plugin into {editor.plugin_dir}", command, cwd=str(REPO))
        keys = record_settings(editor, self.plan.env)
        record = asdict(editor)
        record.update(plugin_dir=str(editor.plugin_dir), settings_file=str(editor.settings_file), keys=keys)
        return record


def _previous_keys(manifest: Path) -> dict[tuple[str, str], set[str]]:
    try:
        editors = json.loads(manifest.read_text(encoding="utf-8")).get("editors", [])
        return {(e["name"], e["settings_file"]): set(e.get("keys", ())) for e in editors}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


# -- uninstall ----------------------------------------------------------------------------------------
def uninstall(data: Path, say: Callable[[str], None] = print) -> list[str]:
    """Remove what ``install-manifest.json`` lists; the models stay. Returns what was removed."""
    manifest_path = data / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except OSError:
        raise InstallError(f"nothing to uninstall: no {MANIFEST} in {data}") from None
    except ValueError:
        raise InstallError(f"{manifest_path} is damaged; remove the folders it names by hand") from None
    removed = []
    env = Path(manifest["env"])
    ManagedServer(env=env, folder=data).stop()
    for record in manifest.get("editors", []):
        editor = Editor(record["name"], Path(record["plugin_dir"]), Path(record["settings_file"]))
        if editor.name == "krita":
            krita.uninstall(editor.plugin_dir, kritarc=editor.settings_file)
        else:
            gimp.uninstall(editor.plugin_dir)
        edit_settings(editor, dict.fromkeys(record.get("keys", ()), None))
        removed.append(f"the {editor.name} plugin in {editor.plugin_dir}")
    if env.exists():
        shutil.rmtree(env)
        removed.append(f"the server environment {env}")
    for name in (MANIFEST, "managed-server.json", "managed-server.token", "managed-server.lock"):
        (data / name).unlink(missing_ok=True)
    for line in removed:
        say(f"removed {line}")
    say(f"kept your models in {data / 'models'} (and the server logs in {data})")
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 installers/install.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("action", nargs="?", default="install", choices=("install", "uninstall", "plan"))
    parser.add_argument("--krita-dir", type=Path, help="Krita's pykrita folder (default: found)")
    parser.add_argument("--gimp-dir", type=Path, help="GIMP 3's plug-ins folder (default: found)")
    build = parser.add_mutually_exclusive_group()
    build.add_argument("--cpu", action="store_const", const="cpu", dest="torch", help="torch's CPU build")
    build.add_argument("--cuda", action="store_const", const="cuda", dest="torch", help="torch's CUDA build")
    parser.add_argument(
        "--torch-index",
        default=os.environ.get("SINGAN_TORCH_INDEX"),
        help="where torch comes from (default: PyTorch's index for the build; '' = pip's own indexes)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        plan = make_plan(
            krita_dir=args.krita_dir, gimp_dir=args.gimp_dir, torch=args.torch, torch_index=args.torch_index
        )
        if args.action == "uninstall":
            uninstall(plan.data)
            return 0
        for line in plan.describe():
            print(line)
        if args.action == "plan":
            return 0
        Installer(plan).install()
    except InstallError as err:
        print(f"install.py: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("install.py: interrupted; run the command again to finish (it repairs what is there)")
        return 130
    print(
        f"done in {time.monotonic() - started:.0f} s: open Krita or GIMP; the plugin starts the server itself"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
