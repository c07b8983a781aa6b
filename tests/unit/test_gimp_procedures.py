"""The procedure table the plug-in registers with GIMP (host_plugin.gimp.procedures)."""

from __future__ import annotations

from host_plugin.common.settings import TEST_PRESETS, USER_PRESETS
from host_plugin.gimp.procedures import BY_NAME, MENU_PATH, PROCEDURES, factor_value


def test_the_issue_procedures_exist_with_their_arguments() -> None:
    expected = {
        "plug-in-singan-train": {"preset"},
        "plug-in-singan-generate": {"n", "seed", "width-scale", "height-scale", "start-scale"},
        "plug-in-singan-harmonize": {"scale", "seed", "fine-tune"},
        "plug-in-singan-edit": {"scale", "model-layer", "model-image"},
        "plug-in-singan-paint-to-image": {"scale", "model-layer", "model-image"},
        "plug-in-singan-super-resolve": {"factor"},
        "plug-in-singan-animate": {"frames", "start-scale"},
        "plug-in-singan-settings": {"server", "address", "token", "status"},
        "plug-in-singan-server-log": set(),
        "plug-in-singan-instant-variations": {"n", "seed", "size", "width", "height"},
        "plug-in-singan-instant-fill": {"seed", "source-layer"},
        "plug-in-singan-instant-extend": {"left", "top", "right", "bottom", "seed"},
    }
    assert set(BY_NAME) == set(expected)
    for name, args in expected.items():
        assert args <= {arg.name for arg in BY_NAME[name].args}, name


def test_table_is_well_formed() -> None:
    assert MENU_PATH == "<Image>/Filters/SinGAN"
    for proc in PROCEDURES:
        names = [arg.name for arg in proc.args]
        assert len(names) == len(set(names)), proc.name
        assert proc.label and proc.blurb and proc.help
        for arg in proc.args:
            assert arg.kind in {"int", "double", "string", "bool", "choice", "layer", "image"}
            if arg.kind in ("int", "double"):
                assert arg.minimum <= arg.default <= arg.maximum, (proc.name, arg.name)
            if arg.kind == "choice":
                assert arg.default in {value for value, _ in arg.choices}, (proc.name, arg.name)
    assert not BY_NAME["plug-in-singan-settings"].on_image
    assert BY_NAME["plug-in-singan-train"].task == "train"


def test_factor_choice() -> None:
    assert [factor_value(v) for v, _ in BY_NAME["plug-in-singan-super-resolve"].args[0].choices] == [2, 4]


def test_mnemonics_are_unique_and_leave_the_dialog_buttons_alone() -> None:
    # GimpUi's procedure dialog has _Reset, _Cancel, _OK, _Help, _Load defaults and _Save defaults
    reserved = set("rcohls")
    for proc in PROCEDURES:
        keys = []
        for arg in proc.args:
            assert arg.label.count("_") == 1, (proc.name, arg.label)
            keys.append(arg.label[arg.label.index("_") + 1].lower())
        assert len(keys) == len(set(keys)), (proc.name, keys)
        assert not reserved & set(keys), (proc.name, sorted(reserved & set(keys)))


def test_the_test_preset_is_not_offered_but_scripts_can_name_it() -> None:
    for name in ("plug-in-singan-train", "plug-in-singan-super-resolve"):
        args = {arg.name: arg for arg in BY_NAME[name].args}
        assert [value for value, _ in args["preset"].choices] == list(USER_PRESETS)
        assert not set(TEST_PRESETS) & {value for value, _ in args["preset"].choices}
        assert args["preset-name"].hidden and args["preset-name"].kind == "string"
    # hidden for scripts: preset-name, the injection scale as a number (the dialog says it in words), the
    # model id (the dialog names the model in use) and Train's estimate (a wrapped line below the form)
    hidden = {arg.name for proc in PROCEDURES for arg in proc.args if arg.hidden}
    assert hidden == {"preset-name", "scale", "model-id", "estimate"}
