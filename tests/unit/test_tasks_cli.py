"""The application commands through ``singan_core.cli.main`` (tiny model from conftest, saved once)."""

import json

import numpy as np
import pytest
from PIL import Image

from singan_core.checkpoint import save_checkpoint
from singan_core.cli import main
from singan_core.imageio import load_image, save_image


@pytest.fixture(scope="module")
def files(tiny_model, tiny_rgb, tmp_path_factory):
    d = tmp_path_factory.mktemp("apps")
    save_checkpoint(tiny_model, d / "m.singan")
    composite = tiny_rgb.copy()
    composite[3:6, 4:7] = (250, 20, 20)
    save_image(np.repeat(np.repeat(composite, 2, 0), 2, 1), d / "composite.png")  # another size
    mask = np.zeros((48, 64), np.uint8)
    mask[6:12, 8:14] = 255
    save_image(mask, d / "mask.png")
    paint = np.zeros((30, 41, 3), np.uint8)
    paint[:, 20:] = (40, 160, 60)
    save_image(paint, d / "paint.png")
    save_image(np.ascontiguousarray(tiny_rgb[:13, :17]), d / "region.png")
    return d


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_harmonize_and_edit(files, capsys):
    d = files
    code, err = run(capsys, "harmonize", d / "m.singan", d / "composite.png", d / "mask.png",
                    "--injection-scale", 1, "--out", d / "h.png", "--device", "cpu")  # fmt: skip
    assert code == 0 and "64x48" in err
    out, comp = load_image(d / "h.png"), load_image(d / "composite.png")
    assert out.shape == comp.shape and np.array_equal(out[40:, 50:], comp[40:, 50:])
    code, _ = run(capsys, "edit", d / "m.singan", d / "composite.png", d / "mask.png", "--dilation", "3",
                  "--out", d / "e.png")  # fmt: skip
    assert code == 0 and load_image(d / "e.png").shape == comp.shape
    code, _ = run(capsys, "harmonize", d / "m.singan", d / "composite.png", d / "mask.png", "--fine-tune",
                  "--fine-tune-iterations", 1, "--out", d / "hf.png")  # fmt: skip
    assert code == 0 and (d / "hf.png").is_file()


def test_paint2image(files, capsys):
    d = files
    code, _ = run(capsys, "paint2image", d / "m.singan", d / "paint.png", "--out", d / "p.png")
    assert code == 0 and load_image(d / "p.png").shape == (30, 41, 3)
    code, _ = run(capsys, "paint2image", d / "m.singan", d / "paint.png", "--quantize",
                  "--fine-tune-iterations", 1, "--injection-scale", 2, "--out", d / "pq.png")  # fmt: skip
    assert code == 0 and load_image(d / "pq.png").shape == (30, 41, 3)


def test_sr_with_a_model_and_with_training(files, capsys):
    d = files
    code, _ = run(
        capsys, "sr", d / "region.png", "--factor", 4, "--model", d / "m.singan", "--out", d / "x4.png"
    )
    assert code == 0 and load_image(d / "x4.png").shape == (52, 68, 3)
    code, err = run(capsys, "sr", d / "region.png", "--factor", 2, "--preset", "tiny", "--iterations", 2,
                    "--seed", 0, "--save-model", d / "sr.singan",
                    "--out", d / "x2.png", "--device", "cpu")  # fmt: skip
    # a 13x17 image is too small for the SR pyramid's 18 px coarsest scale: one clear line, no traceback
    assert code == 2 and "18" in err and "Traceback" not in err
    save_image(np.repeat(np.repeat(load_image(d / "region.png"), 2, 0), 2, 1)[:25, :33], d / "lr.png")
    code, err = run(capsys, "sr", d / "lr.png", "--factor", 2, "--preset", "tiny", "--iterations", 2,
                    "--save-model", d / "sr.singan", "--out", d / "x2.png", "--device", "cpu")  # fmt: skip
    assert code == 0, err
    assert load_image(d / "x2.png").shape == (50, 66, 3) and (d / "sr.singan").is_file()


@pytest.mark.parametrize("name", ["anim.gif", "anim.webp", "frames"])
def test_animate_outputs(files, capsys, name):
    d = files
    out = d / name
    code, err = run(
        capsys, "animate", d / "m.singan", "--frames", 4, "--out", out, "--frames-dir", d / f"{name}.png"
    )
    assert code == 0 and "4 frames" in err
    if out.suffix:
        with Image.open(out) as im:
            assert im.n_frames == 4 and im.size == (32, 24)
    else:
        assert len(list(out.glob("frame_*.png"))) == 4
    assert len(list((d / f"{name}.png").glob("frame_*.png"))) == 4
    opts = json.loads((d / f"{name}.png" / "animate.json").read_text())["options"]
    assert opts["start_scale"] == 1 and opts["frames"] == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["harmonize", "{m}", "{d}/composite.png", "{d}/mask.png", "--injection-scale", "0"],
            "injection scale",
        ),
        (["edit", "{m}", "{d}/composite.png", "{d}/nope.png"], "no such file"),
        (["paint2image", "{d}/missing.singan", "{d}/paint.png"], "no such model file"),
        (["animate", "{m}", "--out", "{d}/a.mp4"], ".gif"),
        (["animate", "{m}", "--frames", "0"], "frames"),
        (["sr", "{d}/region.png", "--factor", "3.5"], "invalid int"),
        (["sr", "{d}/region.png", "--factor", "1", "--model", "{m}"], "factor"),
    ],
)
def test_user_mistakes_are_one_line_errors(files, capsys, argv, message):
    d = files
    argv = [a.format(m=d / "m.singan", d=d) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
