"""The instant actions' dialog values, written once for both editors: what "Instant variations", "Fill
selection" and "Extend canvas" ask (a seed; the size of the variations; where a fill copies from; the
borders), in words, and how the values become a plan (:mod:`.instant_flows`). Krita's Qt dialogs lay
these out; GIMP's procedure arguments carry the same values. No Qt here: unit-tested on the mock document.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dialogs import MAX_SEED
from .document import Document
from .instant_flows import (
    ExtendPlan,
    InstantFillPlan,
    InstantVariationsPlan,
    plan_extend,
    plan_fill,
    plan_instant_variations,
)
from .models import ActionError

#: (key, label) of the variations' size; "custom" takes ``width`` x ``height``.
VARIATION_SIZES = (
    ("source", "The layer or selection's size (layers over it)"),
    ("document", "The document's size (layers covering the canvas)"),
    ("custom", "Another size (a new document)"),
)
#: The fill source that is not a layer: the image around the selection.
AROUND = ""
AROUND_LABEL = "The rest of the image (around the selection)"
SEED_HELP = "The same seed gives the same result; another seed, another one"
FILL_SOURCE_HELP = (
    "Where the fill copies its patches from: the image around the selection, or all of another layer "
    "(e.g. a layer holding the texture you want)"
)
BORDER_SIDES = ("left", "top", "right", "bottom")


def checked_seed(seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        raise ActionError(f"seed must be 0..{MAX_SEED}, got {seed}")
    return int(seed)


def fill_sources(layer_names: list[str]) -> list[tuple[str, str]]:
    """(value, label) of the fill's sources: the image around the selection first, then each layer."""
    return [(AROUND, AROUND_LABEL)] + [(name, f"Layer: {name}") for name in layer_names]


@dataclass(frozen=True)
class VariationsChoices:
    """The "Instant variations" dialog's values."""

    n: int = 1
    seed: int = 0
    size: str = "source"  # a key of VARIATION_SIZES
    width: int = 0  # px, for size "custom"
    height: int = 0

    def plan(self, doc: Document, layer: str | None = None) -> InstantVariationsPlan:
        if self.size not in dict(VARIATION_SIZES):
            raise ActionError(f"unknown size {self.size!r}; one of {', '.join(dict(VARIATION_SIZES))}")
        wanted: str | tuple[int, int] = self.size
        if self.size == "custom":
            if self.width < 1 or self.height < 1:
                raise ActionError(f"width and height must be at least 1 px, got {self.width}x{self.height}")
            wanted = (int(self.width), int(self.height))
        return plan_instant_variations(doc, self.n, checked_seed(self.seed), wanted, layer)


@dataclass(frozen=True)
class FillChoices:
    """The "Fill selection" dialog's values: ``source`` is a layer's name, or :data:`AROUND`."""

    seed: int = 0
    source: str = AROUND

    def plan(self, doc: Document) -> InstantFillPlan:
        if self.source and doc.find_layer(self.source) is None:
            raise ActionError(f"no layer named {self.source!r} to fill from")
        return plan_fill(doc, checked_seed(self.seed), self.source or None)


@dataclass(frozen=True)
class ExtendChoices:
    """The "Extend canvas" dialog's values: the borders in px."""

    left: int = 0
    top: int = 0
    right: int = 256
    bottom: int = 0
    seed: int = 0

    @property
    def borders(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.right, self.bottom

    def plan(self, doc: Document) -> ExtendPlan:
        return plan_extend(doc, *self.borders, seed=checked_seed(self.seed))
