"""What each procedure does, against a :class:`Document` (GIMP's in ``gimp_document.py``, a fake in tests).

Every function reads pixels through the document, calls the server through ``host_plugin.client`` in a
worker thread (so the progress bar keeps moving), and writes results as new layers or a new image.
Nothing here imports GIMP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from host_plugin.client import CancelToken, Client, ClientError, JobUpdate, RawImage

from . import placement, progress
from .model_ref import ModelRef
from .placement import Placement
from .regions import Rect, require_mask, work_area


class Document(Protocol):
    """The active image and drawable, as the procedures need them."""

    def title(self) -> str: ...
    def layer_rect(self) -> Rect: ...
    def selection_rect(self) -> Rect | None: ...
    def read(self, area: Rect, *, with_mask: bool = False) -> RawImage: ...
    def remember_model(self, ref: ModelRef) -> None: ...
    def add_layers(self, results: list[tuple[Placement, RawImage]]) -> None: ...
    def new_image(self, layers: list[tuple[str, RawImage]]) -> object: ...


class Progress(Protocol):
    def update(self, fraction: float, text: str) -> None: ...
    def pulse(self, text: str) -> None: ...


class Watch(Protocol):
    """Cancels the server job if the plug-in dies (see ``cancel_watch``)."""

    def job(self, job_id: str) -> None: ...
    def done(self) -> None: ...


class TrainingFailed(RuntimeError):
    pass


def _waiting(progress_bar: Progress, what: str) -> Callable[[float], None]:
    return lambda elapsed: progress_bar.pulse(f"SinGAN: {what} ({progress.format_duration(elapsed)})")


def _call(progress_bar: Progress, what: str, work: Callable[[], object]) -> object:
    pump: progress.Pump[object] = progress.Pump(lambda _event: None, _waiting(progress_bar, what))
    progress_bar.pulse(f"SinGAN: {what}")
    return pump.run(lambda _emit: work())


def _train_image(
    client: Client,
    progress_bar: Progress,
    image: RawImage,
    *,
    preset: str,
    name: str,
    retrain: bool = False,
    super_resolution_factor: int = 0,
    watch: Watch | None = None,
) -> JobUpdate:
    latest: list[JobUpdate] = []

    def on_update(update: JobUpdate) -> None:
        latest.append(update)
        if watch is not None:
            watch.job(update.job_id)
        progress_bar.update(progress.fraction(update), progress.describe(update))

    def on_idle(elapsed: float) -> None:
        if latest:
            last = latest[-1]
            text = progress.describe(last) + f" [{progress.format_duration(elapsed)}]"
            progress_bar.update(progress.fraction(last), text)
        else:
            progress_bar.pulse(f"SinGAN: starting training ({progress.format_duration(elapsed)})")

    token = CancelToken()
    pump: progress.Pump[JobUpdate] = progress.Pump(on_update, on_idle)
    try:
        final = pump.run(
            lambda emit: client.train(
                image,
                preset=preset,
                name=name,
                retrain=retrain,
                super_resolution_factor=super_resolution_factor,
                on_update=emit,
                cancel=token,
            )
        )
    finally:
        if watch is not None:
            watch.done()
    if final.state != "SUCCEEDED":
        raise TrainingFailed(progress.describe(final))
    return final


def train(
    doc: Document,
    client: Client,
    progress_bar: Progress,
    *,
    preset: str,
    retrain: bool = False,
    watch: Watch | None = None,
) -> str:
    area = work_area(doc.layer_rect(), doc.selection_rect())
    image = doc.read(area)
    final = _train_image(
        client, progress_bar, image, preset=preset, name=doc.title(), retrain=retrain, watch=watch
    )
    doc.remember_model(
        ModelRef(final.model_id, name=doc.title(), preset=preset, server=client.settings.address)
    )
    return final.model_id


def generate(
    doc: Document,
    client: Client,
    progress_bar: Progress,
    model_id: str,
    *,
    n: int,
    seed: int,
    width_scale: float,
    height_scale: float,
    start_scale: int,
) -> int:
    area = work_area(doc.layer_rect(), doc.selection_rect())
    samples = _call(
        progress_bar,
        f"generating {n} sample{'s' if n != 1 else ''}",
        lambda: client.generate(
            model_id, n=n, seed=seed, scale_h=width_scale, scale_v=height_scale, start_scale=start_scale
        ),
    )
    assert isinstance(samples, list)
    doc.add_layers(list(zip(placement.sample_layers(samples, seed, area), samples, strict=True)))
    return len(samples)


def _masked(doc: Document, task: str) -> tuple[Rect, RawImage]:
    """The whole layer with the selection as its mask (harmonize and edit need the context)."""
    area = doc.layer_rect()
    image = doc.read(area, with_mask=True)
    require_mask(image.mask, task)
    return area, image


def harmonize(
    doc: Document, client: Client, progress_bar: Progress, model_id: str, *, scale: int, seed: int
) -> None:
    area, image = _masked(doc, "Harmonize")
    result = _call(
        progress_bar,
        "harmonizing",
        lambda: client.harmonize(model_id, image, injection_scale=scale, seed=seed),
    )
    assert isinstance(result, RawImage)
    doc.add_layers([(placement.in_place("harmonized", result, area), result)])


def edit(
    doc: Document, client: Client, progress_bar: Progress, model_id: str, *, scale: int, seed: int
) -> None:
    area, image = _masked(doc, "Edit")
    result = _call(
        progress_bar, "editing", lambda: client.edit(model_id, image, injection_scale=scale, seed=seed)
    )
    assert isinstance(result, RawImage)
    doc.add_layers([(placement.in_place("edited", result, area), result)])


def paint_to_image(
    doc: Document,
    client: Client,
    progress_bar: Progress,
    model_id: str,
    *,
    scale: int,
    quantize: bool,
    seed: int,
) -> None:
    area = work_area(doc.layer_rect(), doc.selection_rect())
    paint = doc.read(area)
    result = _call(
        progress_bar,
        "painting to image",
        lambda: client.paint_to_image(model_id, paint, injection_scale=scale, quantize=quantize, seed=seed),
    )
    assert isinstance(result, RawImage)
    doc.add_layers([(placement.in_place("paint to image", result, area), result)])


def super_resolve(
    doc: Document,
    client: Client,
    progress_bar: Progress,
    *,
    factor: int,
    preset: str,
    seed: int,
    watch: Watch | None = None,
) -> object:
    area = work_area(doc.layer_rect(), doc.selection_rect())
    image = doc.read(area)
    final = _train_image(
        client,
        progress_bar,
        image,
        preset=preset,
        name=f"{doc.title()} (x{factor})",
        super_resolution_factor=factor,
        watch=watch,
    )
    result = _call(
        progress_bar,
        f"upscaling x{factor}",
        lambda: client.super_resolve(final.model_id, image, factor=factor, seed=seed),
    )
    assert isinstance(result, RawImage)
    return doc.new_image([(f"SinGAN x{factor} of {doc.title()}", result)])


def animate(
    doc: Document,
    client: Client,
    progress_bar: Progress,
    model_id: str,
    *,
    frames: int,
    start_scale: int,
    alpha: float,
    beta: float,
    seed: int,
    frame_ms: int,
) -> object:
    received: list[int] = []

    def on_frame(frame: object) -> None:
        received.append(1)

    def on_idle(elapsed: float) -> None:
        progress_bar.update(len(received) / frames, f"SinGAN: frame {len(received)}/{frames}")

    pump: progress.Pump[object] = progress.Pump(lambda _event: None, on_idle)
    images = pump.run(
        lambda emit: client.animate(
            model_id,
            frames=frames,
            start_scale=start_scale,
            alpha=alpha,
            beta=beta,
            seed=seed,
            on_frame=on_frame,
        )
    )
    if not images:
        raise ClientError("the server sent no frames")
    names = placement.frame_layers(len(images), frame_ms)
    return doc.new_image(list(zip(names, images, strict=True)))
