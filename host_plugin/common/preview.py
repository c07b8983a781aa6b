"""The small preview in the Harmonize / Edit / Paint to image and Generate dialogs, written once for
both editors.

What it shows: the action's own call (same model, seed, variation, how much may change) on the pixels
the action captured, shrunk to the model's own size (the size the task works at: a 160 px model
harmonizes a 160 px image in a fraction of a second, where the full-resolution call brings back detail
over the whole area and takes seconds), as the whole composite (not only the changed region). It is
not the fine-tuned result: "Fine-tune first" runs only for the real action. Generate's preview is its
first variation at the model's size (:class:`SampleRequest`: sample 1 of a seeded request has the same
noise whatever the count, so it is the first layer Generate adds, or its model-size original when the
variations are made at document size).

How it runs (:class:`PreviewLoop`): the dialog hands over its choices at each change; the newest
choices are rendered ``delay`` seconds after the last change (debounced), on a worker thread (never the
UI thread), a newer change cancels the call in flight (on the server too: inference calls are
cancellable) and an older answer that arrives late is dropped. The host supplies a timer tick
(:meth:`PreviewLoop.poll`) and a ``post`` to its UI thread. Pure Python: runs in the editors.
"""

from __future__ import annotations

import sys
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from host_plugin.client import Cancelled, CancelToken, Client, RawImage

from .dialogs import GenerateChoices, InjectChoices, change_level, checked_variation, injection_scale_for
from .flows import InjectPlan
from .models import ModelRef

#: the longest side a preview is ever computed at (a model larger than this is previewed smaller)
MAX_PREVIEW_SIDE = 256
#: seconds without a change before the preview is asked for
DEBOUNCE_S = 0.4


def shrink(image: RawImage, side: int) -> RawImage:
    """``image`` with its longer side at most ``side`` (never enlarged), at offset (0, 0); each pixel
    the mean over the area it covers (a box filter: no aliasing from plain sampling), the mask
    thresholded back to 0 / 255. Any channel count and bit depth; pure Python (see bench figures in
    the tests' docstring)."""
    w, h = image.width, image.height
    if max(w, h) <= side:
        return replace(image, offset_x=0, offset_y=0)
    k = max(w, h) / side
    ow, oh = max(1, round(w / k)), max(1, round(h / k))
    pixels = _resample(image.pixels, w, h, image.channels, image.bit_depth, ow, oh)
    mask = None
    if image.mask is not None:
        soft = _resample(image.mask, w, h, 1, 8, ow, oh)
        mask = bytes(255 if v >= 128 else 0 for v in soft)
    return RawImage(ow, oh, image.channels, pixels, image.bit_depth, mask)


def _spans(size: int, out: int) -> list[tuple[int, int]]:
    """For each output index, the source span ``[start, stop)`` it covers (at least one pixel)."""
    step = size / out
    spans = []
    for i in range(out):
        start = min(size - 1, int(i * step))
        spans.append((start, max(start + 1, min(size, int((i + 1) * step)))))
    return spans


def _resample(data: bytes, w: int, h: int, channels: int, bits: int, ow: int, oh: int) -> bytes:
    """Box filter: the mean over each output pixel's whole span in x (a slice's sum) and over up to 4
    rows spread over its span in y."""
    samples = array("H" if bits == 16 else "B", data)
    if bits == 16 and sys.byteorder == "big":
        samples.byteswap()  # the wire's 16-bit samples are little-endian
    out = array(samples.typecode, bytes(ow * oh * channels * samples.itemsize))
    xs = [(a * channels, b * channels, b - a) for a, b in _spans(w, ow)]
    i = 0
    for y0, y1 in _spans(h, oh):
        count = min(4, y1 - y0)
        rows = [(y0 + (y1 - y0) * j // count) * w * channels for j in range(count)]
        for x0, x1, n in xs:
            total = n * count
            for c in range(channels):
                s = sum(sum(samples[r + x0 + c : r + x1 : channels]) for r in rows)
                out[i] = (s + total // 2) // total
                i += 1
    if bits == 16 and sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


@dataclass(frozen=True)
class PreviewRequest:
    """One preview call: the plan's captured pixels with the dialog's current choices."""

    kind: str  # harmonize, edit or paint_to_image
    model_id: str
    image: RawImage  # as captured for the action (full resolution; shrunk when rendered)
    seed: int
    variation: float | None  # None = as trained
    change_level: float | None  # None = ``injection_scale`` (0: the task's default)
    injection_scale: int = 0
    quantize: bool = False


def preview_request(plan: InjectPlan, choices: InjectChoices) -> PreviewRequest:
    """What the preview of ``plan`` (captured when the dialog opened) sends for the dialog's ``choices``;
    ActionError for values the action itself would refuse. Fine-tuning is left out (a job of minutes)."""
    return PreviewRequest(
        plan.kind,
        plan.model.model_id,
        plan.image,
        choices.seed,
        checked_variation(choices.seed, choices.variation),
        change_level(choices.change),
        plan.injection_scale,
        plan.quantize,
    )


@dataclass(frozen=True)
class SampleRequest:
    """Generate's preview call: variation 1 at the model's size with the dialog's seed and variation."""

    model_id: str
    seed: int
    variation: float | None  # None = as trained


def sample_request(model: ModelRef, choices: GenerateChoices) -> SampleRequest:
    """What Generate's preview sends for the dialog's ``choices`` (count and size do not change it)."""
    return SampleRequest(model.model_id, choices.seed, checked_variation(choices.seed, choices.variation))


@dataclass(frozen=True)
class Preview:
    image: RawImage
    seconds: float  # the call's wall time, shrinking included
    what: str = "preview"

    @property
    def caption(self) -> str:
        took = f"{self.seconds:.2f}" if self.seconds < 1 else f"{self.seconds:.1f}"
        return f"{self.what} at the model's size ({self.image.width}x{self.image.height}, {took} s)"


class Previewer:
    """Renders :class:`PreviewRequest` s with one client; the model's size and scale count are asked once,
    the shrunk image is made once per captured image."""

    def __init__(self, client: Client, max_side: int = MAX_PREVIEW_SIDE) -> None:
        self.client = client
        self.max_side = max_side
        self._facts: dict[str, tuple[int, int]] = {}  # model id -> (longer side, scales)
        self._small: dict[int, RawImage] = {}  # id(captured image) -> shrunk

    def _model(self, model_id: str) -> tuple[int, int]:
        if model_id not in self._facts:
            info = self.client.get_model(model_id)
            self._facts[model_id] = (max(info.width, info.height) or self.max_side, info.num_scales)
        return self._facts[model_id]

    def render(self, request: PreviewRequest | SampleRequest, cancel: CancelToken) -> Preview:
        started = time.monotonic()
        if isinstance(request, SampleRequest):
            extra = {} if request.variation is None else {"variation": request.variation}
            (image,) = self.client.generate(request.model_id, n=1, seed=request.seed, cancel=cancel, **extra)
            return Preview(image, time.monotonic() - started, "variation 1")
        side, scales = self._model(request.model_id)
        key = id(request.image)
        if key not in self._small:
            self._small = {key: shrink(request.image, min(side, self.max_side))}
        kwargs: dict[str, object] = {"seed": request.seed, "cancel": cancel}
        scale = request.injection_scale
        if request.change_level is not None:
            scale = injection_scale_for(request.change_level, scales)
        kwargs["injection_scale"] = scale
        if request.variation is not None:
            kwargs["variation"] = request.variation
        if request.kind == "paint_to_image":
            kwargs["quantize"] = request.quantize
        image = getattr(self.client, request.kind)(request.model_id, self._small[key], **kwargs)
        return Preview(image, time.monotonic() - started)


R = TypeVar("R")
T = TypeVar("T")


def _thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="singan-preview", daemon=True).start()


class PreviewLoop(Generic[R, T]):
    """Debounced, cancellable rendering of the newest request (see the module's doc).

    ``render(request, cancel)`` runs on a worker (``start``); ``show(result, error)`` gets the newest
    request's result (error "") or a one-line error (result None) on the UI thread via ``post``;
    ``busy()`` hears when a render starts. The host calls :meth:`poll` from a timer on its UI thread."""

    def __init__(
        self,
        render: Callable[[R, CancelToken], T],
        show: Callable[[T | None, str], None],
        post: Callable[[Callable[[], None]], None],
        *,
        busy: Callable[[], None] = lambda: None,
        start: Callable[[Callable[[], None]], None] = _thread,
        delay: float = DEBOUNCE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.render, self.show, self.post, self.busy = render, show, post, busy
        self.start, self.delay, self.clock = start, delay, clock
        self._pending: tuple[R, float] | None = None  # newest request not yet started, and when it came
        self._generation = 0  # of the newest started render
        self._token: CancelToken | None = None  # of the render in flight
        self.closed = False
        self.started = 0  # renders started (tests, diagnostics)

    def request(self, request: R) -> None:
        """The dialog's values changed: render ``request`` once they have been still for ``delay`` s;
        the render in flight (an older request's) is cancelled now."""
        if self.closed:
            return
        self._pending = (request, self.clock())
        if self._token is not None:
            self._token.cancel()
            self._token = None

    def poll(self) -> bool:
        """The host's timer tick: start the pending render once it is due. False once closed (a GLib
        timeout callback's "stop")."""
        if self.closed:
            return False
        if self._pending is None or self.clock() - self._pending[1] < self.delay:
            return True
        request, _ = self._pending
        self._pending = None
        self._generation += 1
        generation, token = self._generation, CancelToken()
        self._token = token
        self.started += 1
        self.busy()

        def work() -> None:
            try:
                result: T | None = self.render(request, token)
                error = ""
            except Cancelled:
                return  # a newer request (or the dialog's close) cancelled it: nothing to show
            except Exception as err:  # shown in the dialog's preview line instead of the image
                result, error = None, _one_line(err)
            self.post(lambda: self._deliver(generation, result, error))

        self.start(work)
        return True

    def _deliver(self, generation: int, result: T | None, error: str) -> None:
        if self.closed or generation != self._generation:
            return  # the dialog closed, or a newer render started: this answer is stale
        self._token = None
        self.show(result, error)

    def close(self) -> None:
        """The dialog closed: cancel the render in flight and drop every later answer."""
        self.closed = True
        self._pending = None
        if self._token is not None:
            self._token.cancel()
            self._token = None


def _one_line(err: BaseException) -> str:
    code, message = getattr(err, "code", ""), getattr(err, "message", "") or str(err)
    text = f"{code}: {message}" if code and code != "UNKNOWN" else message or type(err).__name__
    return "no preview: " + text.splitlines()[0] if text else "no preview"
