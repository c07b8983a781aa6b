"""The suite and the product read nothing from outside the repository (a user's clone has nothing beside it)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Code a user runs or the suite runs; bench/ may read the development workspace's shared data.
CHECKED = ["singan_core", "inference_server", "host_plugin", "installers", "tests"]
# "../shared", 'parent / "shared"', "shared/data" and the like: any way of naming the workspace folder.
PATTERN = re.compile(r"""(\.\./shared\b|["']shared["']|\bshared/data\b|SHARED_DATA)""")


def _sources() -> list[Path]:
    files = []
    for top in CHECKED:
        files += [p for p in (REPO / top).rglob("*") if p.suffix in {".py", ".sh"} and p.is_file()]
    return [p for p in files if p.resolve() != Path(__file__).resolve() and "vendor" not in p.parts]


def test_no_code_or_test_names_the_shared_workspace_folder():
    offenders = []
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if PATTERN.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "tests and product must not read ../shared:\n" + "\n".join(offenders)


def test_the_checker_sees_the_patterns_it_is_meant_to_catch():
    for line in ['x = REPO.parent / "shared" / "data"', "open('../shared/data/a.png')", "SHARED_DATA / 'x'"]:
        assert PATTERN.search(line), line
    assert not PATTERN.search("shared_memory = True  # a shared buffer")


def test_the_files_the_tests_read_are_in_the_repository(data_dir, balloons_path):
    assert sorted(p.name for p in (data_dir / "niqe-calibration").glob("*.png")) == [
        "I03.png",
        "I04.png",
        "I06.png",
        "I08.png",
    ]
    assert balloons_path.is_file() and REPO in balloons_path.resolve().parents
