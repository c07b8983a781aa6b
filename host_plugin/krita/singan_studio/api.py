"""Scripting API: every menu action of the plugin as a Python function (see ../README.md).

Inside Krita (Tools > Scripts > Scripter, or another plugin)::

    from singan_studio import api
    api.configure(server_mode="local")            # the managed local server (the default), or:
    api.configure(address="gpu-box:50051", token="...")   # a remote server (address + token)
    api.train(preset="fast")                      # the active layer (or the selection's bounding box)
    names = api.generate_variations(n=4).names     # new layers in a new group

Functions act on the active document unless ``document=`` is given, and on the document's active
model unless ``model_id=`` is given. By default they block the calling thread until the result layers
exist and return an :class:`~.runner.Outcome`; with ``background=True`` they return a
:class:`~.runner.Task` at once, run the network part on a worker thread and add the layers on Krita's
UI thread when done (what the menu actions do). Errors: ``ValueError`` subclasses for things the user
can fix (no selection, unsupported colour format, no model yet) and ``host_plugin.client.ClientError``
subclasses for server answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from host_plugin.client import Client, ClientError, ConnectionSettings, JobUpdate, RawImage
from host_plugin.client.estimate import TrainingEstimate
from host_plugin.common import flows
from host_plugin.common.dialogs import GenerateChoices, InjectChoices
from host_plugin.common.document import Document
from host_plugin.common.managed_server import ManagedServerError
from host_plugin.common.models import ActionError, ModelRef, resolve
from host_plugin.common.runner import Outcome, Plan, Task, TaskRunner
from host_plugin.common.server_watch import training_running
from host_plugin.common.settings import (
    REMOTE,
    SERVER_MODES,
    MemoryStore,
    Settings,
    SettingsStore,
    load_settings,
    managed_server,
    save_settings,
    server_connection,
)

TRAIN_HINT = "use Tools > SinGAN > Train on this layer first"


class KritaStyle:
    """Krita's names for results; an enlarged result stays in the document when it fits."""

    upscale_in_place = True

    def samples(self, model: ModelRef, seed: int, images: Sequence[RawImage]) -> tuple[str | None, list[str]]:
        group = f"SinGAN variations ({model.layer_name or model.model_id[:8]})"
        return group, [f"Variation {i}" for i in range(1, len(images) + 1)]

    def injected(self, kind: str, result: RawImage, source: RawImage) -> str:
        return {"harmonize": "Harmonized", "edit": "Edited"}.get(kind, "Paint to image")

    def upscaled(self, doc: Document, layer: str, factor: int) -> str:
        return f"Super-resolved x{factor}"

    def frames(self, count: int, frame_ms: int) -> list[str]:
        return [f"Frame {i:03d}" for i in range(1, count + 1)]


STYLE = KritaStyle()


@dataclass(frozen=True)
class ServerStatus:
    connected: bool
    message: str
    version: str = ""
    device: str = ""
    presets: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    server: str = ""  # which kind is in use: "local (managed)" or "address + token"


class Session:
    """Settings, the current document, one client per settings, and the task runner."""

    def __init__(
        self,
        store: SettingsStore | None = None,
        documents: Callable[[], Document | None] = lambda: None,
        post: Callable[[Callable[[], None]], None] = lambda fn: fn(),
    ) -> None:
        self.store = store or MemoryStore()
        self.documents = documents
        self.runner = TaskRunner(post)
        self._client: Client | None = None
        self._connection: ConnectionSettings | None = None
        self.used_managed = False  # this Krita joined the managed server: release it when quitting

    @property
    def settings(self) -> Settings:
        return load_settings(self.store)

    def update_settings(self, **changes: Any) -> Settings:
        settings = replace(self.settings, **{k: v for k, v in changes.items() if v is not None})
        save_settings(self.store, settings)
        return settings

    def client(self, on_status: Callable[[str], None] | None = None) -> Client:
        """A client for the server in use; the managed local server is started first when none answers
        (``on_status`` hears "starting the local server..."); ManagedServerError says why it cannot."""
        settings = self.settings
        connection = server_connection(settings, on_status)
        self.used_managed = self.used_managed or settings.managed
        if self._client is None or self._connection != connection:
            if self._client is not None:
                self._client.close()
            self._client = Client(connection)
            self._connection = connection
        return self._client

    def release_server(self) -> str:
        """Krita quits: stop the managed server unless another editor uses it or a training runs."""
        self.close()
        if not self.used_managed:
            return ""
        self.used_managed = False
        return managed_server(self.settings).release(busy=training_running)

    def document(self, document: Document | None) -> Document:
        doc = document or self.documents()
        if doc is None:
            raise ActionError("no open document: open or create an image first")
        return doc

    def model(self, doc: Document, model_id: str | None) -> ModelRef:
        """``model_id``'s record (or a bare reference), else the document's active model."""
        return resolve(doc.models(), model_id or "", hint=TRAIN_HINT)

    def execute(
        self,
        plan: Plan,
        doc: Document,
        background: bool,
        on_progress: Callable[[JobUpdate], None] | None = None,
    ) -> Outcome | Task:
        if background:
            return self.runner.start(plan, doc, self.client(), on_progress)
        return self.runner.run_blocking(plan, doc, self.client(), on_progress)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


_session = Session()


def session() -> Session:
    return _session


def install_session(new: Session) -> Session:
    """Used by the Krita extension at start-up (and by tests)."""
    global _session
    _session.close()
    _session = new
    return new


# -- settings and status ----------------------------------------------------------------------------
def configure(
    address: str | None = None,
    token: str | None = None,
    default_preset: str | None = None,
    default_n: int | None = None,
    server_mode: str | None = None,
) -> Settings:
    """Change and persist settings; returns all of them. ``server_mode``: "local" (the managed local
    server) or "remote" (``address`` + ``token``); giving an address alone means remote."""
    if server_mode is None and address is not None:
        server_mode = REMOTE
    return _session.update_settings(
        address=address,
        token=token,
        default_preset=default_preset,
        default_n=default_n,
        server_mode=server_mode,
    )


def server_log() -> str:
    """The managed local server's log file (the settings dialog's "Open log")."""
    return str(managed_server(_session.settings).log_path)


def server_status(on_status: Callable[[str], None] | None = None, start: bool = True) -> ServerStatus:
    """Ask the server in use for its version and device; never raises (the message says what is wrong).
    With the managed local server, one is started when none answers unless ``start`` is false."""
    settings = _session.settings
    kind = SERVER_MODES[settings.server_mode]
    if settings.managed and not start and managed_server(settings).running() is None:
        return ServerStatus(
            False, "the local server is not running: it starts with the first action", server=kind
        )
    try:
        info = _session.client(on_status).server_info()
    except ManagedServerError as err:
        return ServerStatus(False, str(err), server=kind)
    except ClientError as err:
        if err.code == "UNAUTHENTICATED":
            message = "the server refused the token: set it in Tools > SinGAN > Settings"
        elif err.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            message = f"no singan-server at {settings.address}: start it with `singan-server`, then Retry"
        else:
            message = f"{err.code}: {err.message}"
        return ServerStatus(False, message, server=kind)
    device = info.device.name or info.device.kind
    where = "local server" if settings.managed else "singan-server"
    return ServerStatus(
        True,
        f"connected: {where} {info.version} on {device}",
        info.version,
        device,
        tuple(info.presets),
        tuple(info.capabilities),
        kind,
    )


def models(document: Document | None = None) -> list[ModelRef]:
    """The models recorded in this document (saved with the .kra), oldest first."""
    return list(_session.document(document).models().records)


def active_model(document: Document | None = None) -> ModelRef | None:
    return _session.document(document).models().active


def set_active_model(model_id: str, document: Document | None = None) -> None:
    doc = _session.document(document)
    doc.save_models(doc.models().with_active(model_id))


# -- actions (the Tools > SinGAN menu) --------------------------------------------------------------
def train(
    preset: str | None = None,
    layer: str | None = None,
    use_selection: bool = True,
    retrain: bool = False,
    overrides: dict[str, str] | None = None,
    on_progress: Callable[[JobUpdate], None] | None = None,
    document: Document | None = None,
    background: bool = False,
) -> Outcome | Task:
    """Train on a layer (``layer`` name, default the active one), over the selection's bounding box when
    there is a selection. The model becomes the document's active model. ``on_progress`` gets each
    :class:`JobUpdate` (on the UI thread)."""
    doc = _session.document(document)
    plan = flows.plan_train(
        doc, preset or _session.settings.default_preset, layer, use_selection, retrain, overrides
    )
    return _session.execute(plan, doc, background, on_progress)


def generate_variations(
    n: int | None = None,
    seed: int = 0,
    size: tuple[int, int] | None = None,
    scale: tuple[float, float] = (1.0, 1.0),
    model_id: str | None = None,
    document: Document | None = None,
    background: bool = False,
    at: str = "document",
    variation: float = 1.0,
) -> Outcome | Task:
    """``n`` samples (default from settings) as layers ``Variation 1..n`` in a new group, placed at the
    model's region; ``size=(w, h)`` or ``scale=(horizontal, vertical)`` changes the output size, else
    ``at`` is "document" (the model's region at its document size) or "model" (the model's own size).
    ``variation``: 1 = as trained, 0 = the training image's reconstruction, up to 2 = wilder."""
    doc = _session.document(document)
    model = _session.model(doc, model_id)
    n = n or _session.settings.default_n
    if size is None and scale == (1.0, 1.0):
        plan = GenerateChoices(n, seed, at, variation).plan(doc, STYLE, model)
    else:
        plan = flows.plan_generate(doc, STYLE, model, n, seed, size, scale)
    return _session.execute(plan, doc, background)


def _inject(
    kind: str,
    seed: int,
    injection_scale: int,
    change: str,
    variation: float,
    model_id: str | None,
    document: Document | None,
    background: bool,
    layer: str | None = None,
    fine_tune: bool = False,
) -> Outcome | Task:
    """An explicit ``injection_scale`` (> 0) wins over the ``change`` words (dialogs.CHANGE_LEVELS)."""
    doc = _session.document(document)
    model = _session.model(doc, model_id)
    plan = InjectChoices(change, seed, variation, fine_tune).plan(doc, STYLE, kind, model, layer=layer)
    if injection_scale:
        plan.injection_scale, plan.change_level = injection_scale, None
    return _session.execute(plan, doc, background)


def harmonize_selection(
    seed: int = 0,
    injection_scale: int = 0,
    model_id: str | None = None,
    document: Document | None = None,
    background: bool = False,
    change: str = "default",
    variation: float = 1.0,
    fine_tune: bool = False,
) -> Outcome | Task:
    """The selection marks a pasted object in the visible image; the changed region (the selection,
    dilated) comes back at the document's resolution as a new layer ``Harmonized`` at its place,
    transparent around it. ``change``: "keep-layout", "keep-shapes", "balanced", "change-more" or
    "default" (the injection scale in words); ``variation`` as :func:`generate_variations`;
    ``fine_tune``: a server job first adapts the model to this composite (progress, Cancel; slower)."""
    args = (seed, injection_scale, change, variation, model_id, document, background)
    return _inject("harmonize", *args, fine_tune=fine_tune)


def edit_selection(
    seed: int = 0,
    injection_scale: int = 0,
    model_id: str | None = None,
    document: Document | None = None,
    background: bool = False,
    change: str = "default",
    variation: float = 1.0,
) -> Outcome | Task:
    """Blend the selection's rearranged content into the image; new layer ``Edited``."""
    return _inject("edit", seed, injection_scale, change, variation, model_id, document, background)


def paint_to_image(
    layer: str | None = None,
    seed: int = 0,
    injection_scale: int = 0,
    model_id: str | None = None,
    document: Document | None = None,
    background: bool = False,
    change: str = "default",
    variation: float = 1.0,
) -> Outcome | Task:
    """The painted ``layer`` (default: active) through the model (trained on another layer); new layer
    ``Paint to image``."""
    args = (seed, injection_scale, change, variation, model_id, document, background)
    return _inject("paint_to_image", *args, layer=layer)


def estimate_training(
    preset: str | None = None,
    layer: str | None = None,
    use_selection: bool = True,
    overrides: dict[str, str] | None = None,
    document: Document | None = None,
) -> TrainingEstimate:
    """What :func:`train` with these arguments would take on the server (nothing is started); blocks
    for one call (the docker asks from a worker thread: :func:`training_plan` then :func:`estimate`)."""
    return estimate(training_plan(preset, layer, use_selection, overrides, document))


def training_plan(
    preset: str | None = None,
    layer: str | None = None,
    use_selection: bool = True,
    overrides: dict[str, str] | None = None,
    document: Document | None = None,
) -> flows.TrainPlan:
    """The pixels and options :func:`train` would send (reads the document: Krita's UI thread)."""
    doc = _session.document(document)
    preset = preset or _session.settings.default_preset
    return flows.plan_train(doc, preset, layer, use_selection, False, overrides)


def estimate(plan: flows.TrainPlan) -> TrainingEstimate:
    """The server's estimate for a :func:`training_plan` (network only: any thread)."""
    return _session.client().estimate_training(plan.image, preset=plan.preset, overrides=plan.overrides)


def super_resolve_selection(
    factor: int = 2,
    seed: int = 0,
    model_id: str | None = None,
    preset: str = "fast",
    document: Document | None = None,
    background: bool = False,
) -> Outcome | Task:
    """Upscale the selection (or the active layer) of the visible image by 2, 4 or 8: a new layer centred
    on it, or a new document when the result is larger than the canvas (``outcome.layers[0].new_document``).
    The model is trained on the selection itself first (``preset``), as in GIMP (see
    :func:`flows.plan_super_resolve`); ``model_id`` uses that model instead (one trained for this)."""
    doc = _session.document(document)
    model = _session.model(doc, model_id) if model_id else None
    plan = flows.plan_super_resolve(doc, STYLE, factor, seed, model, preset)
    return _session.execute(plan, doc, background)


def animate(
    frames: int = 24,
    start_scale: int = 1,
    alpha: float = 0.1,
    beta: float = 0.9,
    seed: int = 0,
    model_id: str | None = None,
    document: Document | None = None,
    background: bool = False,
) -> Outcome | Task:
    """A random walk in the model's noise space: frames as layers ``Frame 001..`` of a new document."""
    doc = _session.document(document)
    model = _session.model(doc, model_id)
    plan = flows.plan_animate(doc, STYLE, model, frames, start_scale, alpha, beta, seed)
    return _session.execute(plan, doc, background)


def cancel_all() -> None:
    """Cancel every running task (training jobs stop on the server at the next safe point)."""
    for task in list(_session.runner.tasks):
        task.cancel()
