"""Client library for ``singan-server`` (gRPC API ``singan.v1.SinGAN``, see ``proto/singan/v1/singan.proto``).

Pure Python: grpclib + h2/hpack/hyperframe + multidict + protobuf (its pure implementation works); it
never imports grpcio, torch or numpy, so it runs inside GIMP's and Krita's own Python with the
dependencies the installer vendors next to the plugin (``installers/vendor.py``). Works the same when
grpcio happens to be installed.

Quick start (blocking facade; call it from a worker thread, never the UI thread)::

    from host_plugin.client import Client, RawImage, CancelToken, ClientError

    with Client(address="127.0.0.1:50051", token=None) as client:
        info = client.server_info()                 # .version, .device.name, .capabilities, .limits
        image = RawImage(width=w, height=h, channels=4, pixels=rgba_bytes)   # bit_depth=8 (or 16, LE)
        done = client.train(image, preset="fast", name="doc.kra / Layer 1",
                            on_update=lambda u: print(u.state, u.scale, u.num_scales, u.eta_s))
        if done.state == "SUCCEEDED":
            samples = client.generate(done.model_id, n=4, seed=1)          # list[RawImage]
            sr = client.super_resolve(done.model_id, image, factor=2)

Public interface
----------------
``Client(address=..., token=None, tls=False, ca_file=None, server_name=None, timeout=30.0)``
    Blocking; owns an I/O thread. Methods mirror the API:
    ``server_info()``, ``train(image, preset, overrides, name, super_resolution_factor, retrain,
    on_update, cancel) -> JobUpdate`` (last update), ``watch_job(job_id_or_model_id, on_update, cancel)``,
    ``cancel_job(job_id)``, ``list_jobs(active_only)``, ``list_models(include_thumbnails, image_hash)``,
    ``get_model(model_id)``, ``delete_model``, ``rename_model``, ``export_model(model_id, path)``,
    ``import_model(path, name, replace=False)``, ``generate(model_id, n, seed, scale_h, scale_v, size=(w, h),
    start_scale)``, ``harmonize(model_id, composite_with_mask, injection_scale, seed, fine_tune)``,
    ``edit(model_id, image_with_mask, injection_scale, seed)``, ``paint_to_image(model_id, paint,
    injection_scale, quantize, seed)``, ``super_resolve(model_id, image=None, factor, seed)``,
    ``animate(model_id, frames, start_scale, alpha, beta, seed, on_frame) -> list[RawImage]``.
    No model (the instant engine): ``instant_variations(image, n, seed, size=(w, h)) -> list[RawImage]``,
    ``instant_fill(image_with_mask, source=None, seed, region_only)``, ``instant_edit(original,
    edited, seed, region_only)``, ``extend_canvas(image, left, top, right, bottom, seed)``.
    Every method accepts ``cancel=CancelToken()``; ``token.cancel()`` from any thread makes the call
    raise :class:`Cancelled`. Callbacks run on the client's I/O thread. A request bigger than the
    server's message limit (``limits.max_message_bytes``, asked once) sends its largest images ahead
    in pieces (``UploadImage``) and names them by ``upload_id``; nothing to do for the caller.
``AsyncClient(...)``
    The same calls as coroutines; ``train``, ``watch_job`` and ``animate`` are async iterators.
    Cancel by cancelling the task or leaving the ``async for``.
``RawImage(width, height, channels, pixels, bit_depth=8, mask=None, offset_x=0, offset_y=0)``
    Row-major interleaved pixels (RGBA straight alpha; 16-bit little-endian) + optional 8-bit
    ``width*height`` mask (the selection) + document offset. Results carry the input's offset.
``JobUpdate``
    ``job_id, model_id, state`` (a :class:`JobState`, which is a string: "QUEUED", "RUNNING",
    "SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED"; ``.final``, ``.ends_stream``), ``scale``
    (0 = coarsest), ``num_scales, iteration, iterations, losses, elapsed_s,
    eta_s, fraction, scales_done, error, preview`` (RawImage when a scale finished), ``model``
    (ModelInfo when done), ``reused``, ``finished``.
Errors: :class:`ClientError` (``.code``, ``.message``) and subclasses ``InvalidArgument``,
    ``NotFound``, ``ResourceExhausted``, ``Unauthenticated``, ``Unimplemented``, ``FailedPrecondition``,
    ``Unavailable`` (server not running / unreachable), ``DeadlineExceeded``, ``Cancelled``.
Protobuf messages (``ServerInfo``, ``ModelInfo``, ``Job``) come from ``host_plugin.client.pb``.
"""

from __future__ import annotations

from singan_api import singan_pb2 as pb
from singan_api.job_state import JobState

from .aio import AsyncClient
from .connection import DEFAULT_ADDRESS, ConnectionSettings, parse_address, read_token_file
from .errors import (
    Cancelled,
    ClientError,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)
from .images import RawImage
from .sync import CancelToken, Client
from .updates import AnimationFrame, JobUpdate

__all__ = [
    "DEFAULT_ADDRESS",
    "AnimationFrame",
    "AsyncClient",
    "CancelToken",
    "Cancelled",
    "Client",
    "ClientError",
    "ConnectionSettings",
    "DeadlineExceeded",
    "FailedPrecondition",
    "InvalidArgument",
    "JobState",
    "JobUpdate",
    "NotFound",
    "RawImage",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "parse_address",
    "pb",
    "read_token_file",
]
