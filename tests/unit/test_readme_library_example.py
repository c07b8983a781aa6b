"""The README's "Using the library from Python" example runs as written (with the tiny preset for speed),
and everything it names is part of the public API in ``singan_core.__all__``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import singan_core
from singan_core import load_checkpoint, load_image, save_image

README = Path(__file__).resolve().parents[2] / "README.md"


def library_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Using the library from Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the section has one Python example"
    return blocks[0]


def test_the_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = library_example()
    assert code.count('get_preset("fast")') == 1
    code = code.replace('get_preset("fast")', 'get_preset("tiny")')  # seconds instead of minutes
    rng = np.random.default_rng(0)
    save_image(rng.integers(0, 256, (36, 48, 3), dtype=np.uint8), tmp_path / "photo.png")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    samples = sorted(tmp_path.glob("sample_*.png"))
    assert [p.name for p in samples] == [f"sample_{i}.png" for i in range(4)]
    model = load_checkpoint(tmp_path / "photo.singan")
    h, w = model.image.shape[:2]
    assert load_image(samples[0]).shape == (h, round(w * 1.5), 3)  # scale_h=1.5: wider, same height


def test_the_names_in_the_readme_are_the_public_api() -> None:
    section = README.read_text(encoding="utf-8").split("## Using the library from Python", 1)[1]
    section = section.split("\n## ", 1)[0]
    named = set(re.findall(r"\b([a-z_]+)\(", section)) - {"print", "enumerate", "lambda"}
    assert named <= set(singan_core.__all__), named - set(singan_core.__all__)
    for name in singan_core.__all__:
        assert getattr(singan_core, name) is not None
