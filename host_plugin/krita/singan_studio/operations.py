"""The plugin's actions as plans: each reads the document when it is made (UI thread), calls the server
in :meth:`run` (worker thread) and adds new layers in :meth:`apply` (UI thread)."""

from __future__ import annotations

from dataclasses import dataclass

from host_plugin.client import Cancelled, ClientError, JobUpdate, RawImage

from .doc_models import DocumentModels, ModelRecord, load_models, save_models
from .document import Document
from .geometry import Rect
from .requests import (
    Capture,
    capture_layer,
    capture_layer_over,
    capture_visible,
    document_bit_depth,
    selection_or_layer_region,
)
from .results import add_layer, add_layer_group, add_scaled_result, unique_name
from .runner import Outcome, Plan, RunContext


class ActionError(ValueError):
    """An action cannot run as asked; the message says what to do."""


def active_record(doc: Document, model_id: str | None = None) -> ModelRecord:
    """The model an action uses: ``model_id`` if given, else the document's active model."""
    models = load_models(doc)
    if model_id:
        record = models.get(model_id)
        if record is None:  # a model trained elsewhere: use the whole canvas as its region
            record = ModelRecord(model_id, "", "", doc.bounds)
        return record
    record = models.active
    if record is None:
        raise ActionError(
            "this document has no SinGAN model yet: use Tools > SinGAN > Train on this layer first"
        )
    return record


@dataclass
class TrainPlan(Plan):
    capture: Capture
    preset: str
    name: str
    retrain: bool = False
    overrides: dict[str, str] | None = None
    title: str = "Train"

    def run(self, ctx: RunContext) -> JobUpdate:
        job: dict[str, str] = {}

        def on_update(update: JobUpdate) -> None:
            job.setdefault("id", update.job_id)
            ctx.report(update)

        ctx.task.on_cancel(lambda: job.get("id") and ctx.client.cancel_job(job["id"]))
        last = ctx.client.train(
            self.capture.image,
            preset=self.preset,
            name=self.name,
            retrain=self.retrain,
            overrides=self.overrides,
            on_update=on_update,
        )
        if last.state == "CANCELLED" or ctx.cancel.cancelled:
            raise Cancelled("training cancelled; finished scales are kept and Train resumes from them")
        if last.state != "SUCCEEDED":
            raise ActionError(f"training {last.state.lower()}: {last.error or 'see the server log'}")
        return last

    def apply(self, doc: Document, result: JobUpdate) -> Outcome:
        layer = self.capture.layer.name if self.capture.layer else ""
        record = ModelRecord(
            result.model_id, layer, self.preset, self.capture.region, result.job_id, self.name
        )
        save_models(doc, load_models(doc).with_record(record))
        verb = "reused" if result.reused else "trained"
        return Outcome(model_id=result.model_id, message=f"model {result.model_id} {verb}")


def plan_train(
    doc: Document,
    preset: str,
    layer: str | None = None,
    use_selection: bool = True,
    retrain: bool = False,
    overrides: dict[str, str] | None = None,
) -> TrainPlan:
    capture = capture_layer(doc, layer, use_selection)
    name = f"{doc.name} / {capture.layer.name if capture.layer else 'layer'}"
    return TrainPlan(capture, preset, name, retrain, overrides)


@dataclass
class GeneratePlan(Plan):
    record: ModelRecord
    bit_depth: int
    n: int
    seed: int
    size: tuple[int, int] | None
    scale: tuple[float, float]
    title: str = "Generate"

    def run(self, ctx: RunContext) -> list[RawImage]:
        return ctx.client.generate(
            self.record.model_id,
            n=self.n,
            seed=self.seed,
            size=self.size,
            scale_h=self.scale[0],
            scale_v=self.scale[1],
            cancel=ctx.cancel,
        )

    def apply(self, doc: Document, result: list[RawImage]) -> Outcome:
        group = unique_name(doc, f"SinGAN variations ({self.record.layer_name or self.record.model_id[:8]})")
        placed = add_layer_group(doc, result, group, "Variation {i}", self.record.region, self.bit_depth)
        return Outcome(placed, self.record.model_id, f"{len(placed)} variations in group {group!r}")


def plan_generate(
    doc: Document,
    n: int,
    seed: int = 0,
    size: tuple[int, int] | None = None,
    scale: tuple[float, float] = (1.0, 1.0),
    model_id: str | None = None,
) -> GeneratePlan:
    if not 1 <= n <= 64:
        raise ActionError(f"number of variations must be 1..64, got {n}")
    return GeneratePlan(active_record(doc, model_id), document_bit_depth(doc), n, seed, size, scale)


@dataclass
class InjectPlan(Plan):
    """Harmonize, edit and paint-to-image: one image in, one image of the model's region out."""

    kind: str  # "harmonize" | "edit" | "paint_to_image"
    record: ModelRecord
    capture: Capture
    seed: int
    injection_scale: int
    layer_name: str
    title: str = "Inject"

    def run(self, ctx: RunContext) -> RawImage:
        call = getattr(ctx.client, self.kind)
        kwargs = {"seed": self.seed, "injection_scale": self.injection_scale, "cancel": ctx.cancel}
        return call(self.record.model_id, self.capture.image, **kwargs)

    def apply(self, doc: Document, result: RawImage) -> Outcome:
        name = unique_name(doc, self.layer_name)
        rect = Rect(self.capture.region.x, self.capture.region.y, result.width, result.height)
        placed = add_layer(doc, result, name, rect, self.capture.bit_depth)
        return Outcome([placed], self.record.model_id, f"new layer {name!r}")


def plan_inject(
    doc: Document,
    kind: str,
    seed: int = 0,
    injection_scale: int = 0,
    layer: str | None = None,
    model_id: str | None = None,
) -> InjectPlan:
    record = active_record(doc, model_id)
    if kind == "paint_to_image":
        capture = capture_layer_over(doc, layer, record.region)
        name = "Paint to image"
    elif kind in ("harmonize", "edit"):
        capture = capture_visible(doc, record.region, with_selection=True)
        name = "Harmonized" if kind == "harmonize" else "Edited"
    else:
        raise ActionError(f"unknown injection {kind!r}")
    return InjectPlan(kind, record, capture, seed, injection_scale, name, title=name)


@dataclass
class SuperResolvePlan(Plan):
    record: ModelRecord
    capture: Capture
    factor: int
    seed: int
    title: str = "Super-resolve"

    def run(self, ctx: RunContext) -> RawImage:
        return ctx.client.super_resolve(
            self.record.model_id, self.capture.image, factor=self.factor, seed=self.seed, cancel=ctx.cancel
        )

    def apply(self, doc: Document, result: RawImage) -> Outcome:
        name = unique_name(doc, f"Super-resolved x{self.factor}")
        placed = add_scaled_result(doc, result, name, self.capture.region, self.capture.bit_depth)
        where = "a new document" if placed.new_document else f"new layer {name!r}"
        return Outcome([placed], self.record.model_id, f"{result.width}x{result.height} into {where}")


def plan_super_resolve(
    doc: Document, factor: int = 2, seed: int = 0, model_id: str | None = None
) -> SuperResolvePlan:
    if factor not in (2, 4, 8):
        raise ActionError(f"super-resolution factor must be 2, 4 or 8, got {factor}")
    record = active_record(doc, model_id)
    capture = capture_visible(doc, selection_or_layer_region(doc), with_selection=False)
    return SuperResolvePlan(record, capture, factor, seed)


@dataclass
class AnimatePlan(Plan):
    record: ModelRecord
    bit_depth: int
    frames: int
    start_scale: int
    alpha: float
    beta: float
    seed: int
    title: str = "Animate"

    def run(self, ctx: RunContext) -> list[RawImage]:
        return ctx.client.animate(
            self.record.model_id,
            frames=self.frames,
            start_scale=self.start_scale,
            alpha=self.alpha,
            beta=self.beta,
            seed=self.seed,
            cancel=ctx.cancel,
        )

    def apply(self, doc: Document, result: list[RawImage]) -> Outcome:
        group = unique_name(doc, "SinGAN animation")
        placed = add_layer_group(doc, result, group, "Frame {i:03d}", self.record.region, self.bit_depth)
        return Outcome(placed, self.record.model_id, f"{len(placed)} frames in group {group!r}")


def plan_animate(
    doc: Document,
    frames: int = 24,
    start_scale: int = 1,
    alpha: float = 0.1,
    beta: float = 0.9,
    seed: int = 0,
    model_id: str | None = None,
) -> AnimatePlan:
    if not 2 <= frames <= 1000:
        raise ActionError(f"number of frames must be 2..1000, got {frames}")
    record = active_record(doc, model_id)
    return AnimatePlan(record, document_bit_depth(doc), frames, start_scale, alpha, beta, seed)


def set_active_model(doc: Document, model_id: str) -> DocumentModels:
    models = load_models(doc).with_active(model_id)
    save_models(doc, models)
    return models


def describe_error(err: BaseException) -> str:
    """One line for the user."""
    if isinstance(err, ClientError):
        return f"{err.code}: {err.message}"
    return str(err) or type(err).__name__
