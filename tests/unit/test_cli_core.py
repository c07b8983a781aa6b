import json

import numpy as np

from singan_core.cli import main
from singan_core.imageio import load_image, save_image


def test_train_sample_info_round_trip(tmp_path, tiny_rgb, capsys):
    img = tmp_path / "in.png"
    save_image(tiny_rgb, img)
    model = tmp_path / "m.singan"
    assert main(["train", str(img), "--preset", "tiny", "--out", str(model), "--device", "cpu"]) == 0
    assert model.is_file()
    cfg = json.loads((tmp_path / "m.singan.config.json").read_text())
    assert cfg["config"]["preset"] == "tiny"
    out = tmp_path / "s"
    assert main(["sample", str(model), "--n", "3", "--seed", "2", "--width", "48", "--out", str(out)]) == 0
    files = sorted(out.glob("sample_*.png"))
    assert len(files) == 3
    assert load_image(files[0]).shape[1] == 48
    assert json.loads((out / "sample.json").read_text())["options"]["n"] == 3
    capsys.readouterr()
    assert main(["info", str(model), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["num_trained"] == 3
    # second train of the same image + config: nothing to do
    assert main(["train", str(img), "--preset", "tiny", "--out", str(model)]) == 0
    assert "already fully trained" in capsys.readouterr().err


def test_cli_options_reach_the_config(tmp_path, tiny_rgb):
    img = tmp_path / "in.png"
    save_image(np.ascontiguousarray(tiny_rgb), img)
    model = tmp_path / "m.singan"
    args = ["train", str(img), "--preset", "tiny", "--iterations", "3", "--set", "train.rec_weight=20"]
    assert main([*args, "--out", str(model)]) == 0
    cfg = json.loads((tmp_path / "m.singan.config.json").read_text())["config"]
    assert cfg["train"]["iterations"] == 3 and cfg["train"]["rec_weight"] == 20.0


def test_unknown_override_is_an_error(tmp_path, tiny_rgb, capsys):
    img = tmp_path / "in.png"
    save_image(tiny_rgb, img)
    assert main(["train", str(img), "--preset", "tiny", "--set", "train.bogus=1"]) == 2
    assert "unknown config field" in capsys.readouterr().err
