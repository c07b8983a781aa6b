"""installers/install.py: the plan (folders per OS, editors found, CPU/CUDA torch), what an install
writes, a reinstall that keeps the models and the user's choices, repair of a broken environment, and an
uninstall that removes exactly what was installed. pip is not run (it is recorded); making the
environment links this Python; the plugin installers run for real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from installers import install as inst
from installers import plugin_settings

HOME = Path("/home/ann")


class FakeRun:
    """subprocess.run that records pip, fakes ``python -m venv`` (a bin/python linking this Python)
    and runs everything else."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command, **kwargs):
        command = [str(c) for c in command]
        self.commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            python = inst.env_executable(Path(command[3]), "python")
            python.parent.mkdir(parents=True)
            # A wrapper, not a symlink: a symlink to a venv's python loses that venv's packages (Python
            # finds pyvenv.cfg beside the path it was started as), so the smoke import would fail.
            python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
            python.chmod(0o755)
            return subprocess.CompletedProcess(command, 0, "", "")
        if command[1:3] == ["-m", "pip"]:
            return subprocess.CompletedProcess(command, 0, "", "")
        return subprocess.run(command, **kwargs)


def _plan(tmp_path: Path, **kwargs) -> inst.Plan:
    home = tmp_path / "home"
    (home / ".config" / "GIMP" / "3.0").mkdir(parents=True, exist_ok=True)
    return inst.make_plan(
        platform="linux", environ={}, home=home, which=lambda name: None, torch="cpu", **kwargs
    )


def _install(plan: inst.Plan) -> tuple[FakeRun, list[str], dict]:
    run, said = FakeRun(), []
    manifest = inst.Installer(plan, run=run, say=said.append).install()
    return run, said, manifest


def test_folders_per_os():
    linux = inst.make_plan(platform="linux", environ={}, home=HOME, which=lambda n: None, torch="cpu")
    assert linux.env == HOME / ".local/share/singan-studio/server-env"
    assert linux.models == HOME / ".local/share/singan-studio/models"
    assert linux.env_python == linux.env / "bin/python"
    mac = inst.make_plan(platform="darwin", environ={}, home=HOME, which=lambda n: None, torch="cpu")
    assert mac.env == HOME / "Library/Application Support/singan-studio/server-env"
    win = inst.make_plan(
        platform="win32", environ={"LOCALAPPDATA": "C:/L", "APPDATA": "C:/R"}, home=HOME, which=lambda n: "x"
    )
    assert win.env == Path("C:/L/singan-studio/server-env")
    assert win.env_python == win.env / "Scripts" / "python.exe"
    assert [(e.name, e.plugin_dir, e.settings_file) for e in win.editors] == [
        ("krita", Path("C:/R/krita/pykrita"), Path("C:/L/kritarc")),
        ("gimp", Path("C:/R/GIMP/3.0/plug-ins"), Path("C:/R/GIMP/3.0/singan-studio.json")),
    ]
    assert linux.editors == ()  # nothing on PATH, no settings folders
    assert "no Krita or GIMP 3 found" in "\n".join(linux.describe())


def test_editors_chosen_or_found(tmp_path):
    home = tmp_path / "home"
    (home / ".var/app/org.kde.krita/data/krita").mkdir(parents=True)  # Flatpak Krita
    plan = inst.make_plan(platform="linux", environ={}, home=home, which=lambda n: None, torch="cpu")
    assert [e.plugin_dir for e in plan.editors] == [home / ".var/app/org.kde.krita/data/krita/pykrita"]
    chosen = inst.make_plan(
        platform="linux",
        environ={},
        home=home,
        which=lambda n: None,
        torch="cpu",
        krita_dir=tmp_path / "k",
        gimp_dir=tmp_path / "g/plug-ins",
    )
    assert [(e.name, e.plugin_dir) for e in chosen.editors] == [
        ("krita", tmp_path / "k"),
        ("gimp", tmp_path / "g/plug-ins"),
    ]
    assert chosen.editors[1].settings_file == tmp_path / "g/singan-studio.json"


def test_cuda_build_where_nvidia_smi_sees_a_gpu():
    gpu = lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, "GPU 0: NVIDIA H200 (UUID: x)\n", "")  # noqa: E731
    which = lambda name: "/usr/bin/nvidia-smi" if name == "nvidia-smi" else None  # noqa: E731
    plan = inst.make_plan(platform="linux", environ={}, home=HOME, which=which, run=gpu)
    assert plan.torch == "cuda" and plan.index.endswith("/cu126")
    assert plan.torch_requirement() == "torch==2.13.0"  # constraints.txt's pin
    assert inst.make_plan(platform="linux", environ={}, home=HOME, which=lambda n: None).torch == "cpu"
    assert inst.make_plan(platform="darwin", environ={}, home=HOME, which=which, run=gpu).torch == "cpu"


def test_install_writes_env_plugins_settings_and_manifest(tmp_path):
    plan = _plan(tmp_path, krita_dir=tmp_path / "pykrita")
    run, said, manifest = _install(plan)
    pips = [c for c in run.commands if c[1:3] == ["-m", "pip"]]
    assert pips[0][-1] == "torch==2.13.0" and "-c" in pips[0]
    assert pips[0][pips[0].index("--extra-index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert pips[1][-1] == str(inst.REPO) and "-e" not in pips[1]  # singan-studio, not editable
    assert all(c[0] == str(plan.env_python) for c in pips)
    assert (tmp_path / "pykrita/singan_studio/_vendor/grpclib").is_dir()
    assert (tmp_path / "pykrita/singan_studio.desktop").is_file()
    gimp_dir = plan.editors[1].plugin_dir
    assert (gimp_dir / "singan/singan.py").is_file() and (gimp_dir / "singan/_vendor/h2").is_dir()
    kritarc = plan.editors[0].settings_file.read_text()
    assert "enable_singan_studio=true" in kritarc
    assert f"[SinGAN Studio]\nserver_env={plan.env}\nserver_mode=local\n" in kritarc
    gimp_settings = json.loads(plan.editors[1].settings_file.read_text())
    assert gimp_settings == {"server_env": str(plan.env), "server_mode": "local"}
    assert json.loads(plan.manifest.read_text()) == manifest
    assert [e["name"] for e in manifest["editors"]] == ["krita", "gimp"]
    assert said[0] == "making the server environment..."


def test_reinstall_upgrades_in_place_keeps_models_and_choices(tmp_path):
    plan = _plan(tmp_path, krita_dir=tmp_path / "pykrita")
    _install(plan)
    plan.models.mkdir(parents=True)
    (plan.models / "cat.singan").write_bytes(b"model")
    kritarc = plan.editors[0].settings_file
    kritarc.write_text(kritarc.read_text().replace("server_mode=local", "server_mode=remote\naddress=gpu:1"))
    run, said, _ = _install(plan)
    assert not any(c[1:3] == ["-m", "venv"] for c in run.commands)
    assert f"upgrading the server environment in place: {plan.env}" in said
    assert (plan.models / "cat.singan").read_bytes() == b"model"
    text = kritarc.read_text()
    assert "server_mode=remote" in text and "address=gpu:1" in text and "server_mode=local" not in text


def test_broken_environment_is_repaired(tmp_path):
    plan = _plan(tmp_path)
    plan.env.mkdir(parents=True)
    (plan.env / "junk").write_text("left from an interrupted install")
    run, said, _ = _install(plan)
    assert any("is broken: its Python is missing: repairing" in line for line in said)
    assert not (plan.env / "junk").exists() and plan.env_python.exists()
    assert any(c[1:3] == ["-m", "venv"] for c in run.commands)


def test_uninstall_removes_exactly_what_was_installed(tmp_path):
    plan = _plan(tmp_path, krita_dir=tmp_path / "pykrita")
    _install(plan)
    _install(plan)  # a reinstall leaves server_mode as it is, and still knows it wrote it
    kritarc = plan.editors[0].settings_file
    kritarc.write_text("[General]\ntheme=dark\n" + kritarc.read_text() + "\n[SinGAN Studio]\ndefault_n=7\n")
    (tmp_path / "pykrita/other_plugin.desktop").write_text("someone else's")
    plan.models.mkdir(parents=True)
    (plan.models / "cat.singan").write_bytes(b"model")
    said: list[str] = []
    removed = inst.uninstall(plan.data, say=said.append)
    assert len(removed) == 3
    assert not plan.env.exists() and not plan.manifest.exists()
    assert not (tmp_path / "pykrita/singan_studio").exists()
    assert (tmp_path / "pykrita/other_plugin.desktop").exists()
    assert not (plan.editors[1].plugin_dir / "singan").exists()
    text = kritarc.read_text()
    assert "theme=dark" in text and "default_n=7" in text
    assert "server_env" not in text and "server_mode" not in text and "enable_singan_studio" not in text
    assert json.loads(plan.editors[1].settings_file.read_text()) == {}
    assert (plan.models / "cat.singan").exists() and said[-1].startswith("kept your models")
    with pytest.raises(inst.InstallError, match="nothing to uninstall"):
        inst.uninstall(plan.data)


def test_clear_messages_for_old_python_and_little_disk(tmp_path):
    with pytest.raises(inst.InstallError, match=r"this Python is 3\.8; SinGAN Studio needs Python 3\.10"):
        inst.check_python((3, 8, 10))
    plan = _plan(tmp_path)
    with pytest.raises(inst.InstallError, match=r"not enough disk space .* 0\.5 GiB free, .* about 3\.0 GiB"):
        inst.check_disk(plan, free=lambda p: inst.GIB // 2)
    inst.check_disk(plan, free=lambda p: 4 * inst.GIB)


def test_set_group_keys_leaves_other_lines():
    text = "[python]\nenable_x=true\n[SinGAN Studio]\naddress=a:1\nserver_env=/old\n[Other]\nk=v\n"
    new = plugin_settings.set_group_keys(text, "SinGAN Studio", {"server_env": "/new", "server_mode": None})
    assert new == "[python]\nenable_x=true\n[SinGAN Studio]\nserver_env=/new\naddress=a:1\n[Other]\nk=v\n"
    assert plugin_settings.set_group_keys("", "G", {"a": "1"}) == "[G]\na=1\n"
