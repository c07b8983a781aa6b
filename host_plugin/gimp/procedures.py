"""The plug-in's PDB procedures: names, menu entries and arguments, as data.

``singan/singan.py`` registers exactly this table with GIMP; tests and scripts can rely on it. Every
procedure lives under Filters > SinGAN and is callable non-interactively with these arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from host_plugin.common.dialogs import (
    CHANGE_LEVELS,
    FINE_TUNE_HELP,
    FINE_TUNE_LABEL,
    GENERATE_SIZES,
    VARIATION_DEFAULT,
    VARIATION_HELP,
    VARIATION_MAX,
    VARIATION_MIN,
)

MENU_PATH = "<Image>/Filters/SinGAN"
PRESETS = (("fast", "Fast (minutes)"), ("paper", "Paper (best, slow)"))  # common.settings.USER_PRESETS
MAX_SEED = 2**31 - 1
SERVER_CHOICES = (("local", "local (managed)"), ("remote", "address + token"))  # common.settings.SERVER_MODES


@dataclass(frozen=True)
class Arg:
    """One argument. ``kind``: int, double, string, bool, choice, layer or image (the last two may be
    left empty). ``choices`` are ``(value, label)`` pairs for ``choice``. ``hidden`` ones are not in the
    dialog."""

    name: str
    kind: str
    label: str
    blurb: str
    default: object = None
    minimum: float = 0
    maximum: float = 0
    choices: tuple[tuple[str, str], ...] = ()
    hidden: bool = False  # left out of the dialog; for scripts and tests


@dataclass(frozen=True)
class Procedure:
    name: str
    label: str
    blurb: str
    help: str
    args: tuple[Arg, ...]
    on_image: bool = True  # an ImageProcedure (needs an image and a drawable) vs. a plain one
    returns: tuple[Arg, ...] = ()

    @property
    def task(self) -> str:
        return self.name.removeprefix("plug-in-singan-")


def _seed() -> Arg:
    return Arg("seed", "int", "See_d", "Random seed (the same seed gives the same result)", 0, 0, MAX_SEED)


def _injection_scale() -> tuple[Arg, ...]:
    """How much may change, in words (the dialog), and the injection scale itself (scripts; wins if > 0)."""
    return (
        Arg(
            "change",
            "choice",
            "How much may chan_ge",
            "Where the model takes over from your pixels: keep layout (fine scale, stays close to the "
            "input) ... change more (coarse scale, shapes may move)",
            "default",
            choices=tuple((key, label) for key, label, _level in CHANGE_LEVELS),
        ),
        Arg(
            "scale",
            "int",
            "In_jection scale",
            "Scale at which the input is injected: 1 = one above the coarsest (more change), "
            "higher = closer to the input; 0 = from How much may change",
            0,
            0,
            32,
            hidden=True,
        ),
    )


def _variation() -> Arg:
    return Arg(
        "variation",
        "double",
        "_Variation",
        f"Variation strength: {VARIATION_HELP}",
        VARIATION_DEFAULT,
        VARIATION_MIN,
        VARIATION_MAX,
    )


_MODEL_ARGS = (
    Arg(
        "model-id",
        "string",
        "Model _ID",
        "Use this model id (empty: the model of the layer/image below)",
        "",
        hidden=True,  # for scripts: the dialog names the model in use instead
    ),
    Arg(
        "model-layer",
        "layer",
        "Use the model of la_yer",
        "Optional: the model trained on another layer (empty: this layer's, else the image's)",
    ),
    Arg("model-image", "image", "Model of i_mage", "Use the model trained on this image (optional)"),
)
_PRESET_NAME = Arg(
    "preset-name",
    "string",
    "Preset _name",
    "Any server preset by name, e.g. tiny (tests); overrides Preset when not empty",
    "",
    hidden=True,
)
_NEW_IMAGE = (Arg("new-image", "image", "New image", "The image created for the result"),)

PROCEDURES: tuple[Procedure, ...] = (
    Procedure(
        "plug-in-singan-train",
        "_Train...",
        "Train a SinGAN model on the layer or selection",
        "Trains a SinGAN model on the active layer (or the selection's bounding box) on the SinGAN "
        "server. The image remembers the model, so the other SinGAN filters find it.",
        (
            Arg("preset", "choice", "_Preset", "Training preset", "fast", choices=PRESETS),
            Arg(
                "iterations",
                "int",
                "_Iterations per scale",
                "More: better and slower; 0 = the preset's (fast 200, paper 2000)",
                0,
                0,
                20000,
            ),
            Arg(
                "max-size",
                "int",
                "Model si_ze (px)",
                "The model's longer side: larger keeps more detail, time grows with its square; "
                "0 = the preset's (fast 160, paper 250)",
                0,
                0,
                1000,
            ),
            Arg("whole-layer", "bool", "_Whole layer", "Train on the whole layer, not the selection", False),
            Arg("retrain", "bool", "Re_train", "Train again even if this exact model exists", False),
            Arg(
                "estimate",
                "string",
                "Ti_me (information only)",
                "Unused (kept for scripts): the dialog shows the server's estimate below the options",
                "",
                hidden=True,
            ),
            _PRESET_NAME,
        ),
        returns=(Arg("model-id", "string", "Model id", "The trained model's id", ""),),
    ),
    Procedure(
        "plug-in-singan-generate",
        "_Random Samples...",
        "Generate random samples as new layers",
        "Draws new images from the model as new layers above the active layer.",
        (
            Arg("n", "int", "_Number of samples", "How many samples (one layer each)", 1, 1, 64),
            Arg(
                "size",
                "choice",
                "Si_ze",
                "Document size: the model's region at full detail; model size: the size the model "
                "works at (the scales below change it)",
                "document",
                choices=GENERATE_SIZES,
            ),
            _seed(),
            _variation(),
            Arg(
                "width-scale",
                "double",
                "_Width scale",
                "Output width relative to the training image",
                1.0,
                0.25,
                8.0,
            ),
            Arg(
                "height-scale",
                "double",
                "Hei_ght scale",
                "Output height relative to the training image",
                1.0,
                0.25,
                8.0,
            ),
            Arg(
                "start-scale",
                "int",
                "S_tart scale",
                "0 = from noise at the coarsest scale; higher keeps more of the original layout",
                0,
                0,
                32,
            ),
            *_MODEL_ARGS,
        ),
    ),
    Procedure(
        "plug-in-singan-harmonize",
        "_Harmonize...",
        "Blend a pasted object into the image",
        "The selection marks the pasted object; the harmonized layer is added above the active layer.",
        (
            *_injection_scale(),
            _seed(),
            _variation(),
            Arg("fine-tune", "bool", f"_{FINE_TUNE_LABEL}", FINE_TUNE_HELP, False),
            *_MODEL_ARGS,
        ),
    ),
    Procedure(
        "plug-in-singan-edit",
        "_Edit...",
        "Make an edited region look natural",
        "The selection marks the edited region; the result is added above the active layer.",
        (*_injection_scale(), _seed(), _variation(), *_MODEL_ARGS),
    ),
    Procedure(
        "plug-in-singan-paint-to-image",
        "_Paint to Image...",
        "Turn a rough painting into a realistic image",
        "The active layer (or selection) is the painting; the model of another layer or image gives "
        "the look. The result is added above the active layer.",
        (
            *_injection_scale(),
            Arg(
                "quantize",
                "bool",
                "_Quantize colours",
                "Snap the painting's colours to the training image's",
                False,
            ),
            _seed(),
            _variation(),
            *_MODEL_ARGS,
        ),
    ),
    Procedure(
        "plug-in-singan-super-resolve",
        "_Super-resolution...",
        "Upscale the layer or selection into a new image",
        "Trains a super-resolution model on the layer (or the selection) and upscales it x2 or x4 into a "
        "new image.",
        (
            Arg(
                "factor", "choice", "_Factor", "Upscaling factor", "x2", choices=(("x2", "2x"), ("x4", "4x"))
            ),
            Arg("preset", "choice", "_Preset", "Training preset", "fast", choices=PRESETS),
            _seed(),
            _PRESET_NAME,
        ),
        returns=_NEW_IMAGE,
    ),
    Procedure(
        "plug-in-singan-animate",
        "_Animate...",
        "Animate the model into a new image (one layer per frame)",
        "Walks through the model's noise space; the frames become layers of a new image, ready for "
        "File > Export As GIF (as animation).",
        (
            Arg("frames", "int", "_Frames", "Number of frames", 20, 2, 500),
            Arg(
                "start-scale",
                "int",
                "S_tart scale",
                "Scale at which motion starts (1 = large motion)",
                1,
                0,
                32,
            ),
            Arg("alpha", "double", "_Alpha", "Noise blend per step (smoothness)", 0.1, 0.0, 1.0),
            Arg("beta", "double", "_Beta", "Momentum of the random walk", 0.9, 0.0, 1.0),
            Arg(
                "frame-ms",
                "int",
                "Frame d_uration (ms)",
                "Frame duration written into layer names",
                100,
                10,
                10000,
            ),
            _seed(),
            *_MODEL_ARGS,
        ),
        returns=_NEW_IMAGE,
    ),
    Procedure(
        "plug-in-singan-settings",
        "Se_rver Settings...",
        "Where the SinGAN server runs",
        "Chooses the SinGAN server: the local one the plug-in starts and stops itself (local, managed), "
        "or a server elsewhere (its address host:port and bearer token). Shows the one in use, its "
        "device and version.",
        (
            Arg("server", "choice", "Ser_ver", "Which server", "local", choices=SERVER_CHOICES),
            Arg("address", "string", "Server _address", "host:port of singan-server", "127.0.0.1:50051"),
            Arg("token", "string", "_Token", "Bearer token (empty for a local server)", ""),
            Arg("status", "string", "_In use (information only)", "The server in use and its state", ""),
        ),
        on_image=False,
    ),
    Procedure(
        "plug-in-singan-server-log",
        "Open Server _Log",
        "Open the local server's log",
        "Opens the log file of the local (managed) SinGAN server in the desktop's viewer for text files.",
        (),
        on_image=False,
    ),
)

#: The instant actions: no model, no training, seconds ("Instant, no training" beside the model's filters).
INSTANT_PROCEDURES: tuple[Procedure, ...] = (
    Procedure(
        "plug-in-singan-instant-variations",
        "Instant _Variations (no training)...",
        "Variations of the layer or selection in seconds, without a model",
        "Rearranges the active layer (or the selection's part of it) from its own patches, without "
        "training: new layers over it, over the whole image (size: image), or a new image (custom size).",
        (
            Arg("n", "int", "_Number of variations", "How many variations (one layer each)", 1, 1, 16),
            _seed(),
            Arg(
                "size",
                "choice",
                "Si_ze",
                "The variations' size",
                "source",
                choices=(
                    ("source", "the layer or selection"),
                    ("document", "the image"),
                    ("custom", "custom"),
                ),
            ),
            Arg("width", "int", "_Width (custom)", "Width in px for a custom size", 512, 1, 8192),
            Arg("height", "int", "H_eight (custom)", "Height in px for a custom size", 512, 1, 8192),
        ),
    ),
    Procedure(
        "plug-in-singan-instant-fill",
        "_Fill Selection (instant)...",
        "Fill the selection from its surroundings, without a model",
        "Fills the selection from the active layer around it (or from another layer, by name) in seconds; "
        "the result is a new layer above, transparent outside the selection.",
        (
            _seed(),
            Arg(
                "source-layer",
                "string",
                "So_urce layer",
                "Fill from this layer (by name; empty: the surroundings)",
                "",
            ),
        ),
    ),
    Procedure(
        "plug-in-singan-instant-extend",
        "E_xtend Canvas (instant)...",
        "Grow the canvas and outpaint the new borders, without a model",
        "Enlarges the canvas by the borders and fills them from the active layer (which must cover the "
        "canvas): a new layer over the whole new canvas, in one undo step.",
        (
            Arg("left", "int", "Le_ft (px)", "Border to add on the left", 0, 0, 8192),
            Arg("top", "int", "_Top (px)", "Border to add at the top", 0, 0, 8192),
            Arg("right", "int", "R_ight (px)", "Border to add on the right", 256, 0, 8192),
            Arg("bottom", "int", "_Bottom (px)", "Border to add at the bottom", 0, 0, 8192),
            _seed(),
        ),
    ),
)
PROCEDURES = PROCEDURES + INSTANT_PROCEDURES

BY_NAME = {proc.name: proc for proc in PROCEDURES}


def factor_value(choice: str) -> int:
    """``"x4"`` -> 4."""
    return int(choice.lstrip("x"))
