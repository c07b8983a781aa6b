"""What each procedure does: its arguments -> a flow of :mod:`host_plugin.common.flows`, run with GIMP's
progress bar on the plug-in's main thread while a worker thread waits for the server. GIMP's names for
results live here (:class:`GimpStyle`). Nothing here imports GIMP.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from host_plugin.client import Client, JobUpdate, RawImage
from host_plugin.common import flows, instant_flows
from host_plugin.common.dialogs import GenerateChoices, InjectChoices, estimate_or_reason
from host_plugin.common.document import Document
from host_plugin.common.models import ModelRef
from host_plugin.common.progress import ProgressModel, Shown, format_duration
from host_plugin.common.runner import Outcome, Plan, run_waiting

from .procedures import factor_value

SETTINGS_FILE = "singan-studio.json"  # in GIMP's own folder
TRAIN_HINT = "run Filters > SinGAN > Train first (or pick a model)"
#: procedures that train (a watcher cancels their server job if GIMP kills the plug-in) and need no model
TRAINING = ("train", "super-resolve")
#: procedures that need no model and train nothing (the instant engine)
INSTANT = ("instant-variations", "instant-fill", "instant-extend")
NO_MODEL = TRAINING + INSTANT


class GimpStyle:
    """GIMP's names for results; enlarged results and animations open a new image."""

    upscale_in_place = False

    def samples(self, model: ModelRef, seed: int, images: Sequence[RawImage]) -> tuple[str | None, list[str]]:
        """One layer per sample, named with the seed that reproduces it."""
        return None, [
            f"SinGAN sample {i} (seed {seed}, {im.width}x{im.height})" for i, im in enumerate(images, 1)
        ]

    def injected(self, kind: str, result: RawImage, source: RawImage) -> str:
        name = "SinGAN " + {"harmonize": "harmonized", "edit": "edited"}.get(kind, "paint to image")
        if result.size != source.size:
            name += f" ({result.width}x{result.height})"
        return name

    def upscaled(self, doc: Document, layer: str, factor: int) -> str:
        return f"SinGAN x{factor} of {doc.name} / {layer}"

    def frames(self, count: int, frame_ms: int) -> list[str]:
        """Layer names GIMP's GIF export reads as frame timing: ``Frame 3 (100ms) (replace)``."""
        return [f"Frame {i} ({frame_ms}ms) (replace)" for i in range(1, count + 1)]


STYLE = GimpStyle()


class Progress(Protocol):
    def update(self, fraction: float, text: str) -> None: ...
    def pulse(self, text: str) -> None: ...


class Watch(Protocol):
    """Cancels the server job if the plug-in dies (see ``cancel_watch``)."""

    def job(self, job_id: str) -> None: ...
    def done(self) -> None: ...


def plan(task: str, doc: Document, arg: Callable[[str], object], model: ModelRef | None = None) -> Plan:
    """The flow of procedure ``task`` (``Procedure.task``) with its arguments (``arg(name)``); ``model``
    for every task but those in :data:`TRAINING`."""
    if task == "train":
        return flows.plan_train(
            doc,
            _preset(arg),
            use_selection=not arg("whole-layer"),
            retrain=bool(arg("retrain")),
            overrides=flows.training_overrides(int(arg("iterations")), int(arg("max-size"))),  # type: ignore[call-overload]
        )
    seed = int(arg("seed"))  # type: ignore[call-overload]
    if task == "super-resolve":
        return flows.plan_super_resolve(
            doc, STYLE, factor_value(str(arg("factor"))), seed, preset=_preset(arg)
        )
    if task in INSTANT:
        return _instant_plan(task, doc, arg, seed)
    if model is None:
        raise ValueError(f"{task} needs a model")
    variation = float(arg("variation")) if task != "animate" else 1.0  # type: ignore[arg-type]
    if task == "generate":
        scale = (float(arg("width-scale")), float(arg("height-scale")))  # type: ignore[arg-type]
        n, start = int(arg("n")), int(arg("start-scale"))  # type: ignore[call-overload]
        generated = GenerateChoices(n, seed, str(arg("size")), variation).plan(doc, STYLE, model)
        if scale != (1.0, 1.0):  # the model's size scaled: not the document's
            generated.scale, generated.at_document_size = scale, False
        generated.start_scale = start
        return generated
    if task in ("harmonize", "edit", "paint-to-image"):
        kind = task.replace("-", "_")
        tune = kind == "harmonize" and bool(arg("fine-tune"))
        injected = InjectChoices(str(arg("change")), seed, variation, tune).plan(doc, STYLE, kind, model)
        injected.quantize = bool(arg("quantize")) if kind == "paint_to_image" else False
        if int(arg("scale")):  # type: ignore[call-overload]  # a script's explicit scale wins
            injected.injection_scale, injected.change_level = int(arg("scale")), None  # type: ignore[call-overload]
        return injected
    if task == "animate":
        frames, start, ms = (int(arg(name)) for name in ("frames", "start-scale", "frame-ms"))  # type: ignore[call-overload]
        alpha, beta = float(arg("alpha")), float(arg("beta"))  # type: ignore[arg-type]
        return flows.plan_animate(doc, STYLE, model, frames, start, alpha, beta, seed, ms)
    raise ValueError(f"unknown procedure task {task!r}")


def _instant_plan(task: str, doc: Document, arg: Callable[[str], object], seed: int) -> Plan:
    if task == "instant-fill":
        return instant_flows.plan_fill(doc, seed, str(arg("source-layer") or "") or None)
    if task == "instant-extend":
        borders = (int(arg(side)) for side in ("left", "top", "right", "bottom"))  # type: ignore[call-overload]
        return instant_flows.plan_extend(doc, *borders, seed=seed)
    size = str(arg("size"))
    wanted = (int(arg("width")), int(arg("height"))) if size == "custom" else size  # type: ignore[call-overload]
    return instant_flows.plan_instant_variations(doc, int(arg("n")), seed, wanted)  # type: ignore[call-overload]


@dataclass(frozen=True)
class EstimateRequest:
    """What the Train dialog's Time asks the server: these pixels with this preset and these overrides."""

    image: RawImage
    preset: str
    overrides: dict[str, str] | None


def estimate_request(
    doc: Document, arg: Callable[[str], object], captured: dict[bool, RawImage]
) -> EstimateRequest:
    """The request for the Train procedure's current arguments. The pixels are read once per area (the
    selection, or the whole layer) and kept in ``captured``: a changed preset or size reads nothing."""
    overrides = flows.training_overrides(int(arg("iterations")), int(arg("max-size")))  # type: ignore[call-overload]
    whole = bool(arg("whole-layer"))
    if whole not in captured:
        captured[whole] = flows.plan_train(doc, _preset(arg), use_selection=not whole).image
    return EstimateRequest(captured[whole], _preset(arg), overrides)


def training_estimate(client: Client, request: EstimateRequest) -> str:
    """The server's estimate for ``request``, in words (the dialog's Time), or why there is none."""
    return estimate_or_reason(
        lambda: client.estimate_training(request.image, preset=request.preset, overrides=request.overrides)
    )


def _preset(arg: Callable[[str], object]) -> str:
    """The dialog's preset, or any server preset a script names in ``preset-name`` (e.g. ``tiny``)."""
    return str(arg("preset-name") or arg("preset"))


def run(plan: Plan, doc: Document, client: Client, bar: Progress, watch: Watch | None = None) -> Outcome:
    """Run ``plan``, keeping GIMP's progress bar moving; ``watch`` hears of the training job."""
    latest: list[Shown] = []
    doing = plan.doing
    shown = ProgressModel()

    def on_update(update: JobUpdate) -> None:
        latest.append(shown.feed(update))
        if watch is not None:
            watch.job(update.job_id)
        bar.update(latest[-1].fraction, latest[-1].text)

    def on_idle(elapsed: float) -> None:
        if latest:
            bar.update(latest[-1].fraction, latest[-1].text + f" [{format_duration(elapsed)}]")
        else:
            bar.pulse(f"SinGAN: {doing} ({format_duration(elapsed)})")

    bar.pulse(f"SinGAN: {doing}")
    try:
        return run_waiting(plan, doc, client, on_update, on_idle)
    finally:
        if watch is not None:
            watch.done()
