"""The ``tiny`` preset is for tests and scripts: it works on the command line but no help offers it."""

from __future__ import annotations

import pytest

from singan_core.cli import build_parser, main


def help_text(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [(), ("train",), ("sr",)])
def test_help_does_not_offer_tiny(capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    text = help_text(capsys, *command)
    assert "tiny" not in text
    if command:
        assert "--preset {fast,paper}" in text


def test_tiny_still_parses_for_tests_and_scripts() -> None:
    assert build_parser().parse_args(["train", "x.png", "--preset", "tiny"]).preset == "tiny"
    assert build_parser().parse_args(["sr", "x.png", "--preset", "tiny"]).preset == "tiny"


def test_unknown_preset_is_one_line_naming_the_offered_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "x.png", "--preset", "huge"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == "singan train: error: argument --preset: unknown preset 'huge': use fast or paper"
