"""The instant (training-free) actions, written once for both editors: "Instant variations", "Fill
selection" and "Extend canvas". Same shape as :mod:`.flows`: a ``plan_*`` function captures pixels (UI
thread), the plan's :meth:`run` calls the server (worker thread), :meth:`apply` places the result (UI
thread) as new layers in one undo step; existing pixels are never changed.

Shown to artists beside the trained model: :data:`ENGINES` ("Instant, no training" / "SinGAN model").
"""

from __future__ import annotations

from dataclasses import dataclass

from host_plugin.client import RawImage

from .capture import action_area, capture_layer, in_new_document, resolve_layer, result_corner
from .document import Document, LayerInfo, NewLayer
from .geometry import RegionError, with_context
from .models import ActionError
from .runner import Outcome, Plan, RunContext
from .selection import require_mask

#: The two ways to get a result, as the UIs name them.
INSTANT, MODEL = "instant", "model"
ENGINES = {INSTANT: "Instant, no training", MODEL: "SinGAN model"}
#: Output sizes of "Instant variations": the document's, the source's, or an explicit (width, height).
SIZES = ("document", "source")
MAX_VARIATIONS = 16
#: A fill sends the selection grown by this fraction of its longer side on each side: the engine copies
#: from the hole's surroundings (``InstantConfig.fill_context``).
FILL_CONTEXT = 1.0
MAX_BORDER = 8192

Size = str | tuple[int, int]


# -- instant variations ----------------------------------------------------------------------------------
@dataclass
class InstantVariationsPlan(Plan):
    image: RawImage
    layer: LayerInfo
    size: tuple[int, int]  # (width, height) of each variation
    at: tuple[int, int] | None  # where they go in this document; None = a new document
    n: int
    seed: int
    doc_name: str
    title: str = "Instant variations"

    @property
    def doing(self) -> str:
        return f"making {self.n} instant variation{'s' if self.n != 1 else ''}"

    def run(self, ctx: RunContext) -> list[RawImage]:
        return ctx.client.instant_variations(
            self.image, n=self.n, seed=self.seed, size=self.size, cancel=ctx.cancel
        )

    def apply(self, doc: Document, result: list[RawImage]) -> Outcome:
        names = [f"Instant variation {self.seed + i}" for i in range(len(result))]
        if self.at is None:
            layers = [NewLayer(name, image) for name, image in zip(names, result, strict=True)]
            placed = in_new_document(doc, f"{self.doc_name} instant variations", layers)
            return Outcome(placed, message=f"{len(placed)} variations in a new document")
        layers = [NewLayer(name, image, *self.at) for name, image in zip(names, result, strict=True)]
        group = f"Instant variations ({self.layer.name})" if len(layers) > 1 else None
        placed = doc.add_layers(layers, group)
        where = f" in group {group!r}" if group else ""
        return Outcome(
            placed, message=f"{len(placed)} instant variation{'s' if len(placed) != 1 else ''}{where}"
        )


def plan_instant_variations(
    doc: Document, n: int = 1, seed: int = 0, size: Size = "source", layer: str | None = None
) -> InstantVariationsPlan:
    """``n`` variations of a layer (default: active) over the selection's bounding box, or of the whole
    layer. ``size``: "source" (the same size, as layers over the source), "document" (the canvas' size,
    as layers covering the canvas) or (width, height) (a new document, unless that is one of the two)."""
    if not 1 <= n <= MAX_VARIATIONS:
        raise ActionError(f"number of variations must be 1..{MAX_VARIATIONS}, got {n}")
    doc.check_format()
    info = resolve_layer(doc, layer)
    area = action_area(doc, info)
    image = capture_layer(doc, info, area)
    canvas = doc.bounds
    if size == "source":
        wh, at = (area.width, area.height), (area.x, area.y)
    elif size == "document":
        wh, at = (canvas.width, canvas.height), (canvas.x, canvas.y)
    elif isinstance(size, tuple) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size):
        wh = size
        at = (area.x, area.y) if wh == (area.width, area.height) else None
        at = (canvas.x, canvas.y) if wh == (canvas.width, canvas.height) else at
    else:
        raise ActionError(f"size must be 'document', 'source' or (width, height) in px, got {size!r}")
    return InstantVariationsPlan(image, info, wh, at, n, seed, doc.name)


# -- fill selection ----------------------------------------------------------------------------------------
@dataclass
class InstantFillPlan(Plan):
    image: RawImage  # the selection and its surroundings, the selection as the mask
    source: RawImage | None
    seed: int
    title: str = "Fill selection"

    @property
    def doing(self) -> str:
        return "filling the selection"

    def run(self, ctx: RunContext) -> RawImage:
        return ctx.client.instant_fill(
            self.image, source=self.source, seed=self.seed, region_only=True, cancel=ctx.cancel
        )

    def apply(self, doc: Document, result: RawImage) -> Outcome:
        placed = doc.add_layers([NewLayer("Filled", result, *result_corner(result, self.image))])
        return Outcome(placed, message=f"new layer {placed[0].name!r}")


def plan_fill(doc: Document, seed: int = 0, source_layer: str | None = None) -> InstantFillPlan:
    """Fill the selection (the hole) from its surroundings in the image (Krita: as composed; GIMP: the
    active layer), or from ``source_layer`` (over the selection's bounding box when it has one there,
    else the whole layer); a new layer ``Filled``, transparent outside the selection."""
    doc.check_format()
    selection = doc.selection_bounds()
    if selection is None:
        raise RegionError("Fill selection needs a selection: select the region to fill first")
    image = doc.read_image(with_context(selection, doc.bounds, FILL_CONTEXT), with_mask=True)
    require_mask(image.mask, "Fill selection")
    source = None
    if source_layer:
        info = resolve_layer(doc, source_layer)
        source = capture_layer(doc, info, info.bounds)
    return InstantFillPlan(image, source, seed)


# -- extend canvas ---------------------------------------------------------------------------------------
@dataclass
class ExtendPlan(Plan):
    image: RawImage
    borders: tuple[int, int, int, int]  # left, top, right, bottom
    seed: int
    title: str = "Extend canvas"

    @property
    def doing(self) -> str:
        return "extending the canvas"

    def run(self, ctx: RunContext) -> RawImage:
        left, top, right, bottom = self.borders
        return ctx.client.extend_canvas(
            self.image, left=left, top=top, right=right, bottom=bottom, seed=self.seed, cancel=ctx.cancel
        )

    def apply(self, doc: Document, result: RawImage) -> Outcome:
        left, top, right, bottom = self.borders
        # the canvas grows by the borders (existing layers keep their pixels and their place in the picture)
        # and the result covers the new canvas: one undo step
        x, y = result.offset_x + left, result.offset_y + top
        placed = doc.extend_canvas(left, top, right, bottom, [NewLayer("Extended", result, x, y)])
        width, height = doc.bounds.width, doc.bounds.height
        return Outcome(placed, message=f"canvas extended to {width}x{height}, new layer {placed[0].name!r}")


def parse_borders(text: str) -> tuple[int, int, int, int]:
    """``"left, top, right, bottom"`` in px (one number: the same on every side) -> four ints."""
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ActionError(f"borders must be whole numbers of px, got {text!r}") from None
    if len(values) == 1:
        values *= 4
    if len(values) != 4:
        raise ActionError(f"give one number or four (left, top, right, bottom), got {text!r}")
    return values[0], values[1], values[2], values[3]


def parse_size(text: str) -> tuple[int, int]:
    """``"1600x600"`` (or ``"1600 600"``) -> (width, height) in px."""
    parts = text.lower().replace("x", " ").replace(",", " ").split()
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ActionError(f"size must be WIDTHxHEIGHT in px, e.g. 1600x600, got {text!r}")
    return int(parts[0]), int(parts[1])


def plan_extend(
    doc: Document, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0, seed: int = 0
) -> ExtendPlan:
    """Grow the canvas by the borders (px) and outpaint them from the image (as composed in Krita; the
    active layer in GIMP); the result is a new layer ``Extended`` over the whole new canvas."""
    borders = (left, top, right, bottom)
    if min(borders) < 0 or max(borders) > MAX_BORDER or not any(borders):
        raise ActionError(f"borders must be 0..{MAX_BORDER} px and at least one of them more than 0")
    doc.check_format()
    image = doc.read_image(doc.bounds)
    if (image.width, image.height) != (doc.bounds.width, doc.bounds.height):
        raise RegionError("Extend canvas needs a layer that covers the whole canvas (fill or crop it first)")
    return ExtendPlan(image, borders, seed)
