"""The plugin's actions, written once: each ``plan_*`` function captures what it needs from the document
(UI thread), the plan's :meth:`run` calls the server (worker thread) and its :meth:`apply` places the
results as new layers or a new document (UI thread). See :mod:`.runner` for running a plan.

What differs between hosts is only how results are named and whether an enlarged result may stay in
the document: a :class:`Style` (Krita's and GIMP's live next to their UI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from host_plugin.client import ClientError, JobUpdate, RawImage

from .capture import (
    capture_layer,
    in_new_document,
    layer_or_canvas,
    model_area,
    model_scale,
    resolve_layer,
    result_corner,
    with_note,
)
from .document import Document, LayerInfo, NewLayer
from .geometry import Rect, RegionError, scaled_placement, with_context, work_area
from .models import ActionError, ModelRef
from .runner import Outcome, Plan, RunContext
from .selection import require_mask
from .server_jobs import fine_tuned, follow_job
from .variation import sent_variation

INJECTIONS = {"harmonize": "Harmonize", "edit": "Edit", "paint_to_image": "Paint to image"}
SUPER_RESOLUTION_FACTORS = (2, 4, 8)


class Style(Protocol):
    """A host's names for results and where an enlarged result goes."""

    #: Super-resolution results that fit the canvas become a layer centred on their source (Krita) or
    #: always open a new document (GIMP).
    upscale_in_place: bool

    def samples(self, model: ModelRef, seed: int, images: Sequence[RawImage]) -> tuple[str | None, list[str]]:
        """The group (or None) and layer names for random samples."""
        ...

    def injected(self, kind: str, result: RawImage, source: RawImage) -> str:
        """The layer name for a harmonize / edit / paint_to_image result (``kind``)."""
        ...

    def upscaled(self, doc: Document, layer: str, factor: int) -> str:
        """The layer name for a super-resolved result of ``layer``."""
        ...

    def frames(self, count: int, frame_ms: int) -> list[str]:
        """Layer names for the frames of an animation (a new document)."""
        ...


# -- train -----------------------------------------------------------------------------------------
def _train(ctx: RunContext, image: RawImage, **kwargs: object) -> JobUpdate:
    """A training job to its end; cancelling the task cancels the job on the server."""
    return follow_job(
        ctx,
        lambda on_update: ctx.client.train(image, on_update=on_update, **kwargs),  # type: ignore[arg-type]
        "training",
        "training cancelled; finished scales are kept and Train resumes from them",
    )


def model_name(base: str, preset: str, last: JobUpdate) -> str:
    """``photo.kra / Background, 160x107, fast``: document / layer, the size the model works at (its
    finest scale, not the layer's), the preset."""
    info = last.model
    if info is None or not info.width or not info.height:
        return base
    return f"{base}, {info.width}x{info.height}, {preset}"


@dataclass
class TrainPlan(Plan):
    image: RawImage
    layer: LayerInfo
    preset: str
    name: str
    retrain: bool = False
    overrides: dict[str, str] | None = None
    title: str = "Train"

    def run(self, ctx: RunContext) -> tuple[ModelRef, bool]:
        last = _train(
            ctx,
            self.image,
            preset=self.preset,
            name=self.name,
            retrain=self.retrain,
            overrides=self.overrides,
        )
        region = Rect(self.image.offset_x, self.image.offset_y, self.image.width, self.image.height)
        server = ctx.client.settings.address
        name = model_name(self.name, self.preset, last)
        if name != self.name and not last.reused:
            try:  # the server's list shows the same name; a model found again keeps its own
                ctx.client.rename_model(last.model_id, name)
            except ClientError:
                pass
        ref = ModelRef(last.model_id, name, self.preset, self.layer.name, region, last.job_id, server)
        return ref, last.reused

    def apply(self, doc: Document, result: tuple[ModelRef, bool]) -> Outcome:
        ref, reused = result
        doc.save_models(doc.models().with_record(ref))
        return Outcome(
            model_id=ref.model_id, message=f"model {ref.model_id} {'reused' if reused else 'trained'}"
        )


def training_overrides(iterations: int = 0, max_size: int = 0) -> dict[str, str] | None:
    """The quality/time control as config overrides (0 = the preset's): ``iterations`` per scale (the
    learning-rate drop moves with them, at 80% as in every preset) and the model's longer side."""
    if iterations < 0 or max_size < 0:
        raise ActionError("iterations and max size must be positive (0 = the preset's)")
    if max_size and max_size < 32:
        raise ActionError(f"max size {max_size} px is too small: at least 32 px (0 = the preset's)")
    overrides: dict[str, str] = {}
    if iterations:
        overrides["train.iterations"] = str(iterations)
        overrides["train.lr_decay_iteration"] = str(max(1, round(0.8 * iterations)))
    if max_size:
        overrides["pyramid.max_size"] = str(max_size)
    return overrides or None


def plan_train(
    doc: Document,
    preset: str,
    layer: str | None = None,
    use_selection: bool = True,
    retrain: bool = False,
    overrides: dict[str, str] | None = None,
) -> TrainPlan:
    """Train on a layer over the selection's bounding box (with the selection as mask) or the whole layer."""
    doc.check_format()  # an unsupported format is the first thing to tell the user
    info = resolve_layer(doc, layer)
    selection = doc.selection_bounds() if use_selection else None
    area = work_area(info.bounds, selection)
    image = capture_layer(doc, info, area, with_mask=selection is not None)
    return TrainPlan(image, info, preset, f"{doc.name} / {info.name}", retrain, overrides)


# -- generate --------------------------------------------------------------------------------------
@dataclass
class GeneratePlan(Plan):
    model: ModelRef
    area: Rect
    style: Style
    n: int
    seed: int
    size: tuple[int, int] | None
    scale: tuple[float, float]
    start_scale: int
    title: str = "Generate"

    @property
    def doing(self) -> str:
        return f"generating {self.n} sample{'s' if self.n != 1 else ''}"

    #: variations over the trained region at its document size (generated at the model's size and
    #: brought to the region's with detail), not a model-sized stamp
    at_document_size: bool = False
    note: str = ""
    variation: float | None = None  # the dialog's variation strength; None = as trained
    #: with ``at_document_size``: the trained region's pixels, whose detail the server copies into the
    #: samples above the model's scale (None: the server's super-resolution ladder)
    exemplar: RawImage | None = None

    def run(self, ctx: RunContext) -> list[RawImage]:
        size = self.size
        kwargs: dict[str, object] = {} if self.variation is None else {"variation": self.variation}
        if self.at_document_size:
            size = (self.area.width, self.area.height)
            kwargs["at_document_size"] = True
            if self.exemplar is not None:
                kwargs["exemplar"] = self.exemplar
            self.note = model_scale(ctx, self.model.model_id, self.area)
        return ctx.client.generate(
            self.model.model_id,
            n=self.n,
            seed=self.seed,
            size=size,
            scale_h=self.scale[0],
            scale_v=self.scale[1],
            start_scale=self.start_scale,
            cancel=ctx.cancel,
            **kwargs,
        )

    def apply(self, doc: Document, result: list[RawImage]) -> Outcome:
        group, names = self.style.samples(self.model, self.seed, result)
        new = [
            NewLayer(name, image, self.area.x, self.area.y) for name, image in zip(names, result, strict=True)
        ]
        placed = doc.add_layers(new, group)
        where = f" in group {group!r}" if group else ""
        return Outcome(placed, self.model.model_id, with_note(f"{len(placed)} samples{where}", self.note))


def plan_generate(
    doc: Document,
    style: Style,
    model: ModelRef,
    n: int,
    seed: int = 0,
    size: tuple[int, int] | None = None,
    scale: tuple[float, float] = (1.0, 1.0),
    start_scale: int = 0,
    variation: float = 1.0,
) -> GeneratePlan:
    """``n`` random samples as new layers at the model's region (or the selection / the active layer).
    With neither ``size`` nor ``scale`` asked for, a model trained in this document gives variations of
    its region at the region's document size (``at_document_size``). ``variation``: see :mod:`.variation`."""
    if not 1 <= n <= 64:
        raise ActionError(f"number of samples must be 1..64, got {n}")
    doc.check_format()
    area = model_area(doc, model, doc.active_layer(), on_layer=False)
    at_size = size is None and scale == (1.0, 1.0) and model.region is not None
    plan = GeneratePlan(model, area, style, n, seed, size, scale, start_scale, at_document_size=at_size)
    plan.variation = sent_variation(variation)
    if at_size:
        plan.exemplar = trained_region(doc, model, area)
    return plan


#: the largest trained region sent as a Generate's exemplar (the server's detail synthesis takes up to
#: 8 MP, singan_core.tasks.detail.MAX_PIXELS; a larger one would travel for nothing)
EXEMPLAR_MAX_PIXELS = 8_000_000


def trained_region(doc: Document, model: ModelRef, area: Rect) -> RawImage | None:
    """The model's trained layer over ``area`` at the document's resolution, the exemplar of variations
    at document size; None when the layer is gone, blank there, or the area too large."""
    layer = doc.find_layer(model.layer_name) if model.layer_name else None
    if layer is None or area.is_empty or area.width * area.height > EXEMPLAR_MAX_PIXELS:
        return None
    try:
        return capture_layer(doc, layer, area)
    except RegionError:
        return None


# -- harmonize, edit, paint to image ---------------------------------------------------------------
@dataclass
class InjectPlan(Plan):
    """One image in, one image of the same area out, as a new layer over it."""

    kind: str  # a key of INJECTIONS
    model: ModelRef
    image: RawImage
    style: Style
    seed: int
    injection_scale: int
    quantize: bool = False
    note: str = ""
    #: the dialog's "how much may change" (0 change more .. 1 keep layout, dialogs.CHANGE_LEVELS), made an
    #: injection scale for the model's scale count in :meth:`run`; None = ``injection_scale``
    change_level: float | None = None
    variation: float | None = None  # the dialog's variation strength; None = as trained
    #: harmonize only: fine-tune the model on this composite first, as a server job (progress, Cancel)
    fine_tune: bool = False

    @property
    def title(self) -> str:  # type: ignore[override]
        return INJECTIONS[self.kind]

    @property
    def doing(self) -> str:
        if self.fine_tune and self.kind == "harmonize":
            return "fine-tuning, then harmonizing"
        return {"harmonize": "harmonizing", "edit": "editing"}.get(self.kind, "painting to image")

    def run(self, ctx: RunContext) -> RawImage:
        kwargs: dict[str, object] = {
            "injection_scale": self.injection_scale,
            "seed": self.seed,
            "cancel": ctx.cancel,
        }
        if self.change_level is not None:
            from .dialogs import injection_scale_for  # dialogs builds on this module

            scales = ctx.client.get_model(self.model.model_id).num_scales
            kwargs["injection_scale"] = injection_scale_for(self.change_level, scales)
        if self.variation is not None:
            kwargs["variation"] = self.variation
        if self.kind == "paint_to_image":
            kwargs["quantize"] = self.quantize
        else:  # the changed region only, transparent outside the mask, at its own offset
            kwargs["region_only"] = True
        model_id = self.model.model_id
        if self.fine_tune and self.kind == "harmonize":
            tuned = fine_tuned(ctx, model_id, self.image, int(kwargs["injection_scale"]))  # type: ignore[call-overload]
            if tuned is None:  # a server without FineTune: the one call fine-tunes (no progress)
                kwargs["fine_tune"] = True
            else:
                model_id = tuned
        image = self.image
        self.note = model_scale(
            ctx, model_id, Rect(image.offset_x, image.offset_y, image.width, image.height)
        )
        return getattr(ctx.client, self.kind)(model_id, self.image, **kwargs)

    def apply(self, doc: Document, result: RawImage) -> Outcome:
        name = self.style.injected(self.kind, result, self.image)
        placed = doc.add_layers([NewLayer(name, result, *result_corner(result, self.image))])
        return Outcome(placed, self.model.model_id, with_note(f"new layer {placed[0].name!r}", self.note))


def plan_inject(
    doc: Document,
    style: Style,
    kind: str,
    model: ModelRef,
    seed: int = 0,
    injection_scale: int = 0,
    layer: str | None = None,
    quantize: bool = False,
    variation: float = 1.0,
    fine_tune: bool = False,
) -> InjectPlan:
    """Harmonize and edit send the image over the selection plus context around it (not the whole
    layer: see :func:`~.geometry.with_context`) with the selection as the mask, and get back the changed
    region only; paint to image sends the painted ``layer`` (default: active) over the model's region.
    ``fine_tune`` (harmonize): the model is first fine-tuned on this composite by a server job."""
    if kind not in INJECTIONS:
        raise ActionError(f"unknown injection {kind!r}; one of {', '.join(INJECTIONS)}")
    doc.check_format()
    if kind == "paint_to_image":
        info = resolve_layer(doc, layer)
        image = capture_layer(doc, info, model_area(doc, model, info))
    else:
        selection = doc.selection_bounds()
        area = with_context(selection, doc.bounds) if selection is not None else layer_or_canvas(doc)
        image = doc.read_image(area, with_mask=True)
        require_mask(image.mask, INJECTIONS[kind])
    plan = InjectPlan(kind, model, image, style, seed, injection_scale, quantize)
    plan.variation = sent_variation(variation)
    plan.fine_tune = fine_tune and kind == "harmonize"
    return plan


# -- super-resolution ------------------------------------------------------------------------------
@dataclass
class SuperResolvePlan(Plan):
    """Upscale with ``model``, or with a model trained for the factor on the image first (``model`` None)."""

    model: ModelRef | None
    image: RawImage
    style: Style
    name: str
    factor: int
    seed: int
    preset: str
    title: str = "Super-resolve"

    @property
    def doing(self) -> str:
        return f"upscaling x{self.factor}"

    def run(self, ctx: RunContext) -> tuple[str, RawImage]:
        if self.model is not None:
            model_id = self.model.model_id
        else:
            name = f"{self.name} (x{self.factor})"
            model_id = _train(
                ctx, self.image, preset=self.preset, name=name, super_resolution_factor=self.factor
            ).model_id
        return model_id, ctx.client.super_resolve(
            model_id, self.image, factor=self.factor, seed=self.seed, cancel=ctx.cancel
        )

    def apply(self, doc: Document, result: tuple[str, RawImage]) -> Outcome:
        model_id, image = result
        source = Rect(self.image.offset_x, self.image.offset_y, self.image.width, self.image.height)
        rect = (
            scaled_placement(source, image.width, image.height, doc.bounds)
            if self.style.upscale_in_place
            else None
        )
        if rect is not None:
            placed = doc.add_layers([NewLayer(self.name, image, rect.x, rect.y)])[0]
            return Outcome([placed], model_id, f"{image.width}x{image.height} into new layer {placed.name!r}")
        (placed,) = in_new_document(doc, f"{doc.name} {self.name}", [NewLayer(self.name, image)])
        return Outcome([placed], model_id, f"{image.width}x{image.height} into a new document")


def plan_super_resolve(
    doc: Document,
    style: Style,
    factor: int = 2,
    seed: int = 0,
    model: ModelRef | None = None,
    preset: str = "fast",
) -> SuperResolvePlan:
    """Upscale the image over the selection's bounding box (else the active layer, else the canvas).

    Both editors' one path: with ``model`` None (their default) the plan first trains a model for the
    factor on this image itself, the paper's way, so the model sees the input at its own scale (a model
    of the whole layer saw a selection at 1/10 of its resolution: its strokes line up with nothing and
    its colours drift); an explicit ``model`` is used as given (one trained for super-resolution)."""
    if factor not in SUPER_RESOLUTION_FACTORS:
        raise ActionError(f"super-resolution factor must be 2, 4 or 8, got {factor}")
    doc.check_format()
    image = doc.read_image(doc.selection_bounds() or layer_or_canvas(doc))
    active = doc.active_layer()
    name = style.upscaled(doc, active.name if active is not None else doc.name, factor)
    return SuperResolvePlan(model, image, style, name, factor, seed, preset)


# -- animate ---------------------------------------------------------------------------------------
@dataclass
class AnimatePlan(Plan):
    model: ModelRef
    style: Style
    frames: int
    start_scale: int
    alpha: float
    beta: float
    seed: int
    frame_ms: int
    title: str = "Animate"
    variation: float | None = None  # the noise's strength; None = as trained

    @property
    def doing(self) -> str:
        return f"animating {self.frames} frames"

    def run(self, ctx: RunContext) -> list[RawImage]:
        return ctx.client.animate(
            self.model.model_id,
            frames=self.frames,
            start_scale=self.start_scale,
            alpha=self.alpha,
            beta=self.beta,
            seed=self.seed,
            cancel=ctx.cancel,
            **({} if self.variation is None else {"variation": self.variation}),
        )

    def apply(self, doc: Document, result: list[RawImage]) -> Outcome:
        if not result:
            raise ActionError("the server sent no frames")
        names = self.style.frames(len(result), self.frame_ms)
        layers = [NewLayer(name, image) for name, image in zip(names, result, strict=True)]
        placed = in_new_document(doc, f"{doc.name} animation", layers)
        return Outcome(placed, self.model.model_id, f"{len(placed)} frames in a new document")


def plan_animate(
    doc: Document,
    style: Style,
    model: ModelRef,
    frames: int = 24,
    start_scale: int = 1,
    alpha: float = 0.1,
    beta: float = 0.9,
    seed: int = 0,
    frame_ms: int = 100,
    variation: float = 1.0,
) -> AnimatePlan:
    """A random walk in the model's noise space: one layer per frame in a new document."""
    if not 2 <= frames <= 1000:
        raise ActionError(f"number of frames must be 2..1000, got {frames}")
    plan = AnimatePlan(model, style, frames, start_scale, alpha, beta, seed, frame_ms)
    plan.variation = sent_variation(variation)
    return plan
