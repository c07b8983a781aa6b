"""``singan eval sifid`` gives both SIFID figures, each named (issue 22): the 64-d block of the official
SIFID script (what published numbers use) and the 192-d layer of the paper's text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from singan_core.cli import main
from singan_core.imageio import load_image, save_image


@pytest.fixture(scope="module")
def pictures(balloons_path, tmp_path_factory):
    real = load_image(balloons_path)[:96, :128, :3]
    folder = tmp_path_factory.mktemp("dims")
    paths = []
    for name, img in [("real", real), ("flip", real[:, ::-1]), ("dark", (real // 2).astype(np.uint8))]:
        paths.append(str(folder / f"{name}.png"))
        save_image(np.ascontiguousarray(img), paths[-1])
    return paths


def test_sifid_reports_64_and_192_by_default_and_names_them(pictures, capsys):
    real, flip, dark = pictures
    assert main(["eval", "sifid", real, flip, dark, "--random-weights", "--json", "--device", "cpu"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["by_dims"]) == {"64", "192"}
    assert (
        "official SIFID script" in data["by_dims"]["64"]["what"] and "paper" in data["by_dims"]["192"]["what"]
    )
    # the keys of before hold the 192-d figure, and the two sizes are different figures
    assert data["dims"] == 192 and data["sifid"] == data["by_dims"]["192"]["sifid"]
    assert data["by_dims"]["64"]["sifid"][dark] != pytest.approx(data["by_dims"]["192"]["sifid"][dark])

    assert main(["eval", "sifid", real, flip, dark, "--random-weights", "--device", "cpu"]) == 0
    table = capsys.readouterr().out
    assert "SIFID-64 = 64-d" in table and "SIFID-192 = 192-d" in table
    header = next(line for line in table.splitlines() if line.startswith("image"))
    assert header.split()[1:] == ["SIFID-64", "SIFID-192"]

    assert (
        main(["eval", "sifid", real, flip, "--dims", "64", "--random-weights", "--json", "--device", "cpu"])
        == 0
    )
    only = json.loads(capsys.readouterr().out)
    assert only["dims"] == 64 and set(only["by_dims"]) == {"64"}
