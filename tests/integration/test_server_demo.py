"""The README's main command: the demo trains the bundled sample through the server and writes samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image


def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "singan_demo", "--preset", "tiny", "--iterations", "2", "--samples", "2",
         "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "server stopped" in proc.stderr
    samples = sorted((out / "samples").glob("sample_*.png"))
    assert [p.name for p in samples] == ["sample_00.png", "sample_01.png"]
    with Image.open(samples[0]) as im:
        assert max(im.size) == 32  # tiny preset: longer side 32 px
    assert str(out / "samples") in proc.stdout
    assert len(list(out.glob("*.singan"))) == 1
