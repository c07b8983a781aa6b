"""Host tests in real Krita: the plugin installed by ``installers/krita.py`` into a temporary resource
folder, a real server on loopback, and ``kritarunner`` (no window) driving the plugin's scripting API.

Needs Debian's ``krita`` and ``python3-pyqt5`` packages (``kritarunner`` on PATH); see .ci/run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from native_check import check_native_harmonize, read_rgba

from inference_server.server import build_server
from installers import krita as krita_installer

pytestmark = pytest.mark.host

HARNESS_DIR = Path(__file__).resolve().parent
QUICK = {"train.iterations": "6", "train.lr_decay_iteration": "5", "train.d_steps": "1", "train.g_steps": "1"}
TIMEOUT_S = 400


@pytest.fixture(scope="module")
def krita_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    kritarunner = shutil.which("kritarunner")
    if kritarunner is None:
        pytest.fail("kritarunner not found: apt-get install --no-install-recommends krita python3-pyqt5")
    root = tmp_path_factory.mktemp("krita")
    env = dict(os.environ)
    env.update(
        HOME=str(root / "home"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_CACHE_HOME=str(root / "cache"),
        QT_QPA_PLATFORM="offscreen",
    )
    for key in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV"):  # Krita must use only its own Python + plugin
        env.pop(key, None)
    # Krita's embedded Python finds its prefix through the first `python3` on PATH: a pyenv/venv one
    # would give it a foreign standard library without PyQt5.
    env["PATH"] = os.pathsep.join(dict.fromkeys([str(Path(kritarunner).parent), "/usr/bin", "/bin"]))
    for name in ("home", "data", "config", "cache"):
        (root / name).mkdir()

    # Install exactly as a user would, resolving the default folders from the XDG variables.
    saved = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    os.environ.update(XDG_DATA_HOME=env["XDG_DATA_HOME"], XDG_CONFIG_HOME=env["XDG_CONFIG_HOME"])
    try:
        folder = krita_installer.install()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    pykrita = root / "data" / "krita" / "pykrita"
    assert folder == pykrita / "singan_studio"

    server = build_server(port=0, models_dir=root / "models")
    try:
        spec = root / "spec.json"
        result = root / "result.json"
        spec.write_text(json.dumps({"address": server.address, "workdir": str(root), "overrides": QUICK}))
        env.update(
            PYTHONPATH=os.pathsep.join([str(pykrita), str(HARNESS_DIR)]),
            SINGAN_KRITA_SPEC=str(spec),
            SINGAN_KRITA_RESULT=str(result),
        )
        proc = subprocess.run(
            [kritarunner, "-s", "krita_harness", "-f", "main"],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    finally:
        server.stop()
    log = (proc.stdout + proc.stderr)[-4000:]
    if not result.exists():
        pytest.fail(f"the harness wrote no result (exit {proc.returncode}); Krita's output:\n{log}")
    data = json.loads(result.read_text())
    data["root"] = str(root)
    data["pykrita"] = str(pykrita)
    data["log"] = log
    if not data.get("finished"):
        pytest.fail(f"Krita stopped mid-scenario (crash?); partial results {data['steps'].keys()}:\n{log}")
    return data


def step(run: dict, name: str) -> dict:
    entry = run["steps"].get(name)
    assert entry is not None, f"step {name} did not run: {run.get('fatal', '')}"
    assert entry["ok"], f"{name} failed: {entry['error']}\n{entry.get('traceback', '')}"
    return entry["value"]


def _search(tree: list[dict], name: str) -> dict | None:
    for node in tree:
        if node["name"] == name:
            return node
        found = _search(node["children"], name)
        if found is not None:
            return found
    return None


def find(tree: list[dict], name: str) -> dict:
    found = _search(tree, name)
    assert found is not None, f"no layer {name!r} in {[n['name'] for n in tree]}"
    return found


def test_plugin_runs_from_the_installed_folder_with_vendored_pure_python_deps(krita_run: dict) -> None:
    assert krita_run.get("fatal") is None, krita_run.get("fatal")
    vendor = Path(krita_run["pykrita"]) / "singan_studio" / "_vendor"
    assert Path(krita_run["plugin_file"]).parent == Path(krita_run["pykrita"]) / "singan_studio"
    assert Path(krita_run["client_file"]).is_relative_to(vendor)
    assert Path(krita_run["grpclib_file"]).is_relative_to(vendor)
    assert Path(krita_run["protobuf_file"]).is_relative_to(vendor)
    assert not krita_run["grpcio_loaded"]
    vendored = (vendor / "VENDORED.txt").read_text()
    for dep in ("grpclib", "h2", "hpack", "hyperframe", "multidict", "protobuf"):
        assert f"{dep} " in vendored
    assert "SinGANExtension" in krita_run["extensions"]
    assert (Path(krita_run["pykrita"]) / "singan_studio.desktop").is_file()
    kritarc = (Path(krita_run["root"]) / "config" / "kritarc").read_text()
    assert "enable_singan_studio=true" in kritarc
    status = step(krita_run, "status")
    assert status["connected"], status["message"]


def test_train_records_the_model_in_the_document(krita_run: dict) -> None:
    train = step(krita_run, "train")
    assert train["model_id"]
    assert "SUCCEEDED" in train["states"] and train["updates"] >= 2
    (record,) = train["records"]
    assert record["model_id"] == train["model_id"] and record["layer_name"] == "Source"
    assert record["region"] == {"x": 8, "y": 8, "width": 48, "height": 40}  # the selection's bounding box
    reopened = step(krita_run, "reopen")
    assert [r["model_id"] for r in reopened["records"]] == [train["model_id"]]


def test_generate_variations_adds_a_group_of_new_layers(krita_run: dict) -> None:
    gen = step(krita_run, "generate")
    assert gen["names"] == ["Variation 1", "Variation 2", "Variation 3"]
    top = gen["tree"][-1]
    assert top["type"] == "grouplayer" and top["name"] == "SinGAN variations (Source)"
    assert [c["name"] for c in top["children"]] == gen["names"]
    for layer in top["children"]:
        x, y, w, h = layer["bounds"]
        assert (x, y) == (8, 8) and 16 <= w <= 48 and 16 <= h <= 40, layer["bounds"]
        assert layer["opaque_pixels"] and layer["distinct_colours"] > 8
    source = find(gen["tree"], "Source")
    assert source["bounds"] == [0, 0, 80, 64]  # the artist's layer is untouched


def test_generate_from_ui_keeps_krita_responsive(krita_run: dict) -> None:
    bg = step(krita_run, "background_generate")
    assert bg["done"] and bg["names"] == ["Variation 1"]
    assert bg["ui_ticks_while_waiting"] > 0  # the Qt event loop kept running during the network call


def test_sixteen_bit_document(krita_run: dict) -> None:
    gen = step(krita_run, "generate_16bit")
    layer = find(gen["tree"], "Variation 1")
    assert layer["depth"] == "U16" and layer["opaque_pixels"] and layer["distinct_colours"] > 8


def test_float_document_gets_a_clear_message(krita_run: dict) -> None:
    entry = krita_run["steps"]["float_document"]
    assert not entry["ok"]
    assert "32-bit float" in entry["error"] and "8-bit or 16-bit integer" in entry["error"]


def test_harmonize_selection_adds_the_changed_region_as_a_layer(krita_run: dict) -> None:
    harm = step(krita_run, "harmonize")
    assert harm["names"] == ["Harmonized"]
    layer = find(harm["tree"], "Harmonized")
    assert layer["opaque_pixels"]
    (rect,) = harm["rects"]  # the 12x10 selection at (20, 16), dilated: not the 80x64 canvas
    assert rect["x"] <= 20 and rect["y"] <= 16 and rect["width"] < 80 and rect["height"] < 64, rect


def test_harmonize_at_the_document_resolution(krita_run: dict) -> None:
    """A 1600x1200 document: a cropped result layer, the source untouched, sharp inside the selection."""
    value = step(krita_run, "harmonize_native")
    w, h = value["size"]
    before, after, result = (read_rgba(value["files"][k], w, h) for k in ("before", "after", "result"))
    ratio = check_native_harmonize(value, before, after, result)
    print(f"Krita native harmonize: sharpness ratio {ratio:.3f}, layer {value['rect']}, {value['message']}")
    assert "model: 1 px = " in value["message"]


def test_super_resolve_selection_into_a_layer_and_into_a_new_document(krita_run: dict) -> None:
    sr = step(krita_run, "super_resolve")
    assert sr["names"] == ["Super-resolved x2"] and not sr["new_document"]
    # 32x24 selection at (20, 16) -> 64x48 centred on it: (36 - 32, 28 - 24)
    assert sr["rect"] == {"x": 4, "y": 4, "width": 64, "height": 48}
    layer = find(sr["tree"], "Super-resolved x2")
    assert layer["opaque_pixels"] and layer["distinct_colours"] > 8
    big = step(krita_run, "super_resolve_new_document")
    assert big["new_document"] and big["size"] == [192, 160]  # 48x40 x4 does not fit the 80x64 canvas
    assert find(big["tree"], "Super-resolved x4")["opaque_pixels"]
    # a model trained on each selection itself (the paper's way, as GIMP does), not the active model
    assert sr["model_id"] and sr["model_id"] != sr["active_model"]
    assert big["model_id"] not in ("", sr["active_model"], sr["model_id"])
    for name, value in (("x2", sr), ("x4", big)):  # the result's low frequencies are the selection's
        *means, diff = value["colour_diff"]
        print(
            f"Krita super-resolve {name}: mean RGB {means[:3]} -> {means[3:]}, |down(result) - input| {diff:.2f}"
        )
        assert diff < 2.0


@pytest.mark.parametrize("name", ["edit", "paint_to_image", "animate"])
def test_other_actions_are_callable_from_python(krita_run: dict, name: str) -> None:
    names = step(krita_run, name)
    assert names, f"{name} added no layers"
