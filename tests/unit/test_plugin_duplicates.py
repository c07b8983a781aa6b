"""No copied code between the two host plugins: what they share lives in host_plugin/common.

pylint's duplicate-code checker (pinned dev dependency), at 6 lines, over every module of
host_plugin/krita and host_plugin/gimp (imports, comments, docstrings and signatures ignored, pylint's
defaults). A second case proves the check finds a copied block.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOSTS = (REPO / "host_plugin" / "krita", REPO / "host_plugin" / "gimp")


def duplicates(files: list[Path]) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable, "-m", "pylint", "--disable=all", "--enable=duplicate-code",
        "--min-similarity-lines=6", "--score=no", "--persistent=no", *map(str, files),
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)


def test_no_block_of_six_lines_is_copied_between_or_within_the_host_plugins() -> None:
    files = sorted(path for host in HOSTS for path in host.rglob("*.py"))
    assert len(files) >= 10, files  # both plugins were found
    run = duplicates(files)
    assert "R0801" not in run.stdout, run.stdout
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_check_finds_a_copied_block(tmp_path: Path) -> None:
    block = "".join(f"    total = total * {i} + len(name) - {i}\n" for i in range(7))
    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text(f"def {name}(name):\n    total = 0\n{block}    return total\n")
    run = duplicates([tmp_path / "a.py", tmp_path / "b.py"])
    assert "R0801" in run.stdout and "Similar lines in 2 files" in run.stdout, run.stdout
