"""The action dialogs' choices, written once: what both editors' dialogs offer (in words), and how their
values become a plan's arguments (:mod:`.flows`). Krita's Qt dialogs and GIMP's procedure arguments
only lay these out.

- Harmonize / Edit / Paint to image: how much the result may change, as words mapped onto the model's
  injection scale (``keep layout`` = the finest scale a task may inject at, ``change more`` = the
  coarsest), a seed, and a variation strength (1 = as trained, 0 = no new randomness); Harmonize also
  "fine-tune first" (a server job with progress and Cancel adapts the model to the composite).
- Generate: how many, a seed, the size (the model's own or the model's region in the document), and
  the variation strength.
- Train: the server's estimate of the time, as one line ("about 6 min on this server (measured)").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from host_plugin.client.estimate import TrainingEstimate

from .document import Document
from .flows import GeneratePlan, InjectPlan, Style, plan_generate, plan_inject
from .models import ActionError, ModelRef
from .progress import duration_range, rounded_duration
from .variation import DEFAULT_VARIATION, MAX_VARIATION, MIN_VARIATION, sent_variation
from .variation import VARIATION_HELP as VARIATION_HELP  # the hosts' dialogs import it from here

#: (key, label, level): how much an injection may change, 1.0 = keep the layout (inject at the finest
#: scale a task may), 0.0 = change more (the coarsest); None = the task's own default.
CHANGE_LEVELS: tuple[tuple[str, str, float | None], ...] = (
    ("default", "Default for this action", None),
    ("keep-layout", "Keep layout: only colours and fine texture adapt", 1.0),
    ("keep-shapes", "Keep shapes: details and colours adapt", 2 / 3),
    ("balanced", "Balanced: smaller shapes may change", 1 / 3),
    ("change-more", "Change more: shapes and layout may move", 0.0),
)
CHANGE_KEYS = tuple(key for key, _label, _level in CHANGE_LEVELS)
#: Variation strength: a factor on the trained noise (the API's ``variation``), 1 = as trained; the one
#: range every plan checks is :mod:`.variation`'s (names kept for the hosts' dialogs)
VARIATION_MIN, VARIATION_MAX, VARIATION_DEFAULT = MIN_VARIATION, MAX_VARIATION, DEFAULT_VARIATION
#: (key, label) of Generate's output size.
GENERATE_SIZES = (
    ("document", "Document size (the model's region, full detail)"),
    ("model", "Model size (the size the model works at)"),
)
MAX_SEED = 2**31 - 1
#: what Train's number options (iterations, model size) show for 0, their value meaning "the preset's
#: own" (fast: 200 iterations, 160 px; paper: 2000, 250 px): a word, not a "0" that reads as none
PRESET_VALUE = "preset"
#: Harmonize's fine-tune option, as both editors show it
FINE_TUNE_LABEL = "Fine-tune first (slower: adapts the model to this composite)"
FINE_TUNE_HELP = (
    "Before harmonizing, the server trains the model briefly on this composite (a job with progress "
    "and Cancel); the result fits the pasted object better, the model itself stays unchanged"
)


def injection_scale_for(level: float, num_scales: int) -> int:
    """The injection scale (1 = coarsest usable .. ``num_scales - 1`` = finest) for a change ``level``
    (0 = change more .. 1 = keep layout) of a model with ``num_scales`` trained scales."""
    top = num_scales - 1
    if top < 1:
        raise ActionError("this model has one scale: it cannot harmonize, edit or paint to image")
    level = min(max(level, 0.0), 1.0)
    return max(1, min(top, 1 + round(level * (top - 1))))


def change_level(key: str) -> float | None:
    for k, _label, level in CHANGE_LEVELS:
        if k == key:
            return level
    raise ActionError(f"unknown change {key!r}; one of {', '.join(CHANGE_KEYS)}")


def checked_variation(seed: int, variation: float) -> float | None:
    """The variation to send (None = as trained, the server's default) after checking both values."""
    if not 0 <= seed <= MAX_SEED:
        raise ActionError(f"seed must be 0..{MAX_SEED}, got {seed}")
    return sent_variation(variation)


@dataclass(frozen=True)
class InjectChoices:
    """The Harmonize / Edit / Paint to image dialog's values."""

    change: str = "default"  # a key of CHANGE_LEVELS
    seed: int = 0
    variation: float = VARIATION_DEFAULT
    fine_tune: bool = False  # harmonize only: fine-tune the model on the composite first

    def plan(
        self, doc: Document, style: Style, kind: str, model: ModelRef, layer: str | None = None
    ) -> InjectPlan:
        level = change_level(self.change)
        variation = checked_variation(self.seed, self.variation)
        if self.fine_tune and kind != "harmonize":
            raise ActionError("only Harmonize can fine-tune the model first")
        plan = plan_inject(doc, style, kind, model, self.seed, 0, layer=layer, fine_tune=self.fine_tune)
        plan.change_level, plan.variation = level, variation
        return plan


@dataclass(frozen=True)
class GenerateChoices:
    """The Generate dialog's values."""

    n: int = 4
    seed: int = 0
    size: str = "document"  # a key of GENERATE_SIZES
    variation: float = VARIATION_DEFAULT

    def plan(self, doc: Document, style: Style, model: ModelRef) -> GeneratePlan:
        if self.size not in dict(GENERATE_SIZES):
            raise ActionError(f"unknown size {self.size!r}; one of {', '.join(dict(GENERATE_SIZES))}")
        variation = checked_variation(self.seed, self.variation)
        plan = plan_generate(doc, style, model, self.n, self.seed)
        # document size: the model's region at its size in the document (a model trained elsewhere has no
        # region: its own size); model size: the model's own size, placed at the region's corner
        plan.at_document_size = self.size == "document" and model.region is not None
        plan.variation = variation
        return plan


def training_value_text(value: int) -> str:
    """What a Train number option shows: :data:`PRESET_VALUE` for 0 (the preset's own value), else the
    number."""
    return PRESET_VALUE if int(value) == 0 else str(int(value))


def estimate_line(estimate: TrainingEstimate) -> str:
    """``about 6 min on this server (measured)``; a range while the server has no measurement of its own."""
    if estimate.already_trained:
        return "already trained on this server: ready at once (retrain to train again)"
    if estimate.measured:
        return f"about {rounded_duration(estimate.seconds)} on this server (measured)"
    spread = duration_range(estimate.low, estimate.high)
    return f"{spread} (a first guess for this device: nothing trained on this server yet)"


def estimate_or_reason(ask: Callable[[], TrainingEstimate]) -> str:
    """:func:`estimate_line` of ``ask()``, or why there is none (an older server, no connection)."""
    try:
        return estimate_line(ask())
    except Exception as err:  # shown in the dialog instead of an estimate; training still works
        code = getattr(err, "code", "")
        if code == "UNIMPLEMENTED":
            return "no estimate: this server is older"
        message = getattr(err, "message", "") or str(err) or type(err).__name__
        return f"no estimate: {message}"
