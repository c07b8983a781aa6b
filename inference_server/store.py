"""Models and job records on disk, written atomically. The only server module that touches files.

Layout under the models directory::

    models/<model_id>.singan       one-file checkpoint (singan_core.checkpoint)
    models/<model_id>.json         sidecar: name, preset, sizes, scales done (cheap listing)
    models/<model_id>.thumb.png    small preview of the training image
    jobs/<job_id>.json             job record (resumed on restart while unfinished)
    jobs/<job_id>.npy              the job's training image, exactly as received

Ids are validated against ``[0-9a-f]{8,64}`` before any path is built, and names are only stored inside
JSON, so no request can address a file outside the directory.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from singan_api.job_state import JobState
from singan_core.checkpoint import checkpoint_problems, content_model_id, load_checkpoint, save_checkpoint
from singan_core.config import config_to_json
from singan_core.errors import CheckpointError
from singan_core.finite import summary
from singan_core.imageio import decode_image, encode_png, to_uint8
from singan_core.model import SinGANModel

ID_PATTERN = re.compile(r"^[0-9a-f]{8,64}$")
THUMBNAIL_SIDE = 128
MAX_NAME_CHARS = 200
CHECKPOINT_SUFFIX = ".singan"


class StoreError(Exception):
    """Base for store failures; ``str()`` is a message for the user."""


class InvalidId(StoreError):
    pass


class UnknownModel(StoreError):
    pass


class ModelExists(StoreError):
    """An import would replace a usable model of the same id."""


@dataclass(frozen=True)
class ModelRecord:
    model_id: str
    name: str
    preset: str
    created: float
    width: int
    height: int
    channels: int
    bit_depth: int
    num_scales: int
    scales_done: int
    shapes: list[list[int]]  # [H, W] per scale, coarsest first
    config_json: str
    image_hash: str
    sr_factor: int = 0
    size_bytes: int = 0
    problem: str = ""  # non-empty: the checkpoint is damaged (why); checked when read, not trusted from JSON

    @property
    def complete(self) -> bool:
        return self.scales_done >= self.num_scales


@dataclass
class JobRecord:
    job_id: str
    model_id: str
    name: str
    preset: str
    config: dict[str, Any]
    sr_factor: int
    created: float
    state: JobState = JobState.QUEUED
    finished: float = 0.0
    error: str = ""
    scales_done: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = JobState(self.state)  # records on disk hold the state's name


_INT_FIELDS = (
    "width",
    "height",
    "channels",
    "bit_depth",
    "num_scales",
    "scales_done",
    "sr_factor",
    "size_bytes",
)
_STR_FIELDS = ("model_id", "name", "preset", "config_json", "image_hash", "problem")


def _record_from_json(data: Any) -> ModelRecord:
    """A sidecar's record, its fields' types and ranges checked (TypeError/ValueError when damaged)."""
    record = ModelRecord(**data)
    for name in _INT_FIELDS:
        value = getattr(record, name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
            raise ValueError(f"{name} is {value!r}")
    if any(not isinstance(getattr(record, name), str) for name in _STR_FIELDS):
        raise TypeError("a text field is not text")
    if not isinstance(record.created, (int, float)) or not isinstance(record.shapes, list):
        raise TypeError("created or shapes has the wrong type")
    for shape in record.shapes:
        if not (
            isinstance(shape, list)
            and len(shape) == 2
            and all(isinstance(v, int) and 0 < v < 2**32 for v in shape)
        ):
            raise ValueError(f"a scale's shape is {shape!r}")
    return record


def check_id(value: str, what: str = "model id") -> str:
    """Return ``value`` if it is a well-formed id, else raise :class:`InvalidId`."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InvalidId(f"{what} {value!r} is not valid: expected 8-64 lower-case hex digits")
    return value


def clean_name(name: str) -> str:
    """A display name: printable, single line, at most 200 characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in name).strip()
    return text[:MAX_NAME_CHARS]


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _thumbnail_png(image: np.ndarray) -> bytes:
    arr = to_uint8(image)
    h, w = arr.shape[:2]
    scale = min(1.0, THUMBNAIL_SIDE / max(h, w))
    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
    pil = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr, modes[arr.shape[2]])
    pil = pil.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    small = np.asarray(pil)
    return encode_png(small if small.ndim == 3 else small[:, :, None])


class ModelStore:
    """Checkpoints + sidecars + job records under one directory. Thread-safe."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.models_dir = self.root / "models"
        self.jobs_dir = self.root / "jobs"
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._problems: dict[str, tuple[tuple[int, int], str]] = {}  # id -> (file mtime/size, problem)
        self.removed_leftovers = self._remove_leftovers()

    def _remove_leftovers(self) -> int:
        """Delete the temporary files of writes or uploads that never finished (a killed server): every
        write goes to a ``*.tmp`` file renamed over its target, so a ``*.tmp`` file is never needed."""
        removed = 0
        for folder in (self.models_dir, self.jobs_dir):
            for path in folder.glob("*.tmp"):
                try:
                    path.unlink()
                    removed += 1
                except OSError:
                    pass
        return removed

    # -- paths (ids validated first) ---------------------------------------------------------------
    def checkpoint_path(self, model_id: str) -> Path:
        return self.models_dir / f"{check_id(model_id)}{CHECKPOINT_SUFFIX}"

    def _sidecar(self, model_id: str) -> Path:
        return self.models_dir / f"{check_id(model_id)}.json"

    def _thumb(self, model_id: str) -> Path:
        return self.models_dir / f"{check_id(model_id)}.thumb.png"

    # -- models ------------------------------------------------------------------------------------
    def save_model(
        self, model: SinGANModel, *, name: str = "", sr_factor: int = 0, verify: bool = False
    ) -> ModelRecord:
        """Write the checkpoint (atomic) and its sidecar; keeps an existing name when ``name`` is empty.
        ``verify``: the written file is loaded back (checksum, finite values) before it replaces the old."""
        model_id = check_id(model.model_id)
        path = self.checkpoint_path(model_id)
        with self._lock:
            previous = self._read_sidecar(model_id)
            if verify:
                staged = self.models_dir / f".{model_id}.staged.tmp"
                try:
                    save_checkpoint(model, staged)
                    load_checkpoint(staged, device="cpu")
                    os.replace(staged, path)
                finally:
                    staged.unlink(missing_ok=True)
            else:
                save_checkpoint(model, path)
            h, w = model.image.shape[:2]
            record = ModelRecord(
                model_id=model_id,
                name=clean_name(name) or (previous.name if previous else "") or model_id[:12],
                preset=model.config.preset,
                created=previous.created if previous else (model.created or time.time()),
                width=w,
                height=h,
                channels=model.channels,
                bit_depth=model.bit_depth,
                num_scales=model.num_scales,
                scales_done=model.num_trained,
                shapes=[list(s) for s in model.shapes],
                config_json=config_to_json(model.config),
                image_hash=model.image_hash,
                sr_factor=sr_factor or (previous.sr_factor if previous else 0),
                size_bytes=path.stat().st_size,
            )
            _atomic_write(self._sidecar(model_id), json.dumps(asdict(record), indent=1).encode())
            if not self._thumb(model_id).exists():
                _atomic_write(self._thumb(model_id), _thumbnail_png(model.image))
        return record

    def _read_sidecar(self, model_id: str) -> ModelRecord | None:
        """The sidecar's record; None when there is none; a record marked damaged when it is unreadable."""
        path = self._sidecar(model_id)
        try:
            record = _record_from_json(json.loads(path.read_text(encoding="utf-8")))
            if record.model_id != model_id:
                raise ValueError(f"it describes model {record.model_id}")
            return record
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:  # JSON and Unicode errors are ValueErrors
            return self._damaged_record(model_id, f"its description file {path.name} is damaged ({exc})")

    def _damaged_record(self, model_id: str, problem: str) -> ModelRecord:
        try:
            st = self.checkpoint_path(model_id).stat()
            created, size = st.st_mtime, st.st_size
        except OSError:
            created, size = 0.0, 0
        return ModelRecord(
            model_id=model_id,
            name=model_id[:12],
            preset="",
            created=created,
            width=0,
            height=0,
            channels=0,
            bit_depth=0,
            num_scales=1,
            scales_done=0,
            shapes=[],
            config_json="",
            image_hash="",
            size_bytes=size,
            problem=f"{problem}; import the model file again, or delete the model",
        )

    def get(self, model_id: str) -> ModelRecord:
        with self._lock:
            record = self._read_sidecar(model_id)
            if record is None or not self.checkpoint_path(model_id).exists():
                raise UnknownModel(f"no model with id {model_id} on this server (see ListModels)")
            return replace(record, problem=record.problem or self._problem(model_id))

    def _problem(self, model_id: str) -> str:
        """Why the checkpoint cannot be used ("" when it can): non-finite values (an older version could
        write them) or an unreadable file. Checked once per version of the file."""
        path = self.checkpoint_path(model_id)
        try:
            st = path.stat()
        except FileNotFoundError:
            return "the model file is missing"
        key = (st.st_mtime_ns, st.st_size)
        known = self._problems.get(model_id)
        if known is None or known[0] != key:
            try:
                problem = summary(checkpoint_problems(path))
            except CheckpointError as exc:
                problem = str(exc).removeprefix(f"{path}: ")
            known = self._problems[model_id] = (key, problem)
        return known[1]

    def find(self, model_id: str) -> ModelRecord | None:
        try:
            return self.get(model_id)
        except UnknownModel:
            return None

    def list(self) -> list[ModelRecord]:
        records = []
        for path in sorted(self.models_dir.glob(f"*{CHECKPOINT_SUFFIX}")):
            model_id = path.name[: -len(CHECKPOINT_SUFFIX)]
            if ID_PATTERN.match(model_id):
                record = self._read_sidecar(model_id)
                if record is not None:
                    records.append(replace(record, problem=record.problem or self._problem(model_id)))
        return sorted(records, key=lambda r: r.created, reverse=True)

    def thumbnail(self, model_id: str) -> np.ndarray | None:
        try:
            return decode_image(self._thumb(model_id).read_bytes())
        except FileNotFoundError:
            return None

    def load(self, model_id: str, device: torch.device | str = "cpu") -> SinGANModel:
        self.get(model_id)
        return load_checkpoint(self.checkpoint_path(model_id), device=device)

    def delete(self, model_id: str) -> None:
        with self._lock:
            self.get(model_id)
            for path in (self.checkpoint_path(model_id), self._sidecar(model_id), self._thumb(model_id)):
                path.unlink(missing_ok=True)

    def rename(self, model_id: str, name: str) -> ModelRecord:
        with self._lock:
            record = self.get(model_id)
            data = asdict(record)
            data["name"] = clean_name(name) or record.name
            _atomic_write(self._sidecar(model_id), json.dumps(data, indent=1).encode())
            return ModelRecord(**data)

    def import_file(
        self,
        upload: Path,
        *,
        name: str = "",
        overwrite: bool = False,
        before_write: Callable[[str], None] | None = None,
    ) -> ModelRecord:
        """Verify an uploaded checkpoint by loading it (checksum, layout, finite values), then store it under
        the id its contents give (training image hash + config, as training computes it, then its tuning
        records for a fine-tuned model, as FineTune computes it; never the id written in the file). A
        usable model of that id is replaced only with ``overwrite`` (:class:`ModelExists` otherwise); a
        damaged or partly trained one is replaced. A replacement is written to a temporary file, loaded
        back, and only then renamed over the old one, so a failed import leaves the old model as it was.
        ``before_write(model_id)`` may raise to refuse the import (a job is training that model)."""
        try:
            model = load_checkpoint(upload, device="cpu")
        except CheckpointError:
            raise
        except Exception as exc:  # an untrusted file: whatever its damage trips over, it is not a model
            raise CheckpointError(
                f"{upload}: cannot be read as a model ({type(exc).__name__}: {exc})"
            ) from None
        model.model_id = content_model_id(model)
        with self._lock:
            existing = self.find(model.model_id)
            if existing is not None:
                usable = not existing.problem and existing.scales_done >= model.num_trained
                if usable and not overwrite:
                    raise ModelExists(
                        f"model {model.model_id} (same training image, config and fine-tuning) is already on "
                        f"this server as {existing.name!r}; import with replace to replace it, or delete it first"
                    )
            if before_write is not None:
                before_write(model.model_id)
            return self.save_model(model, name=name, verify=existing is not None)

    def new_upload_path(self) -> Path:
        fd, tmp = tempfile.mkstemp(dir=self.models_dir, prefix=".upload-", suffix=".tmp")
        os.close(fd)
        return Path(tmp)

    # -- jobs --------------------------------------------------------------------------------------
    def save_job(self, record: JobRecord) -> None:
        path = self.jobs_dir / f"{check_id(record.job_id, 'job id')}.json"
        _atomic_write(path, json.dumps(asdict(record), indent=1).encode())

    def save_job_image(self, job_id: str, image: np.ndarray) -> None:
        path = self.jobs_dir / f"{check_id(job_id, 'job id')}.npy"
        fd, tmp = tempfile.mkstemp(dir=self.jobs_dir, suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.ascontiguousarray(image), allow_pickle=False)
        os.replace(tmp, path)

    def load_job_image(self, job_id: str) -> np.ndarray:
        return np.load(self.jobs_dir / f"{check_id(job_id, 'job id')}.npy", allow_pickle=False)

    def drop_job_image(self, job_id: str) -> None:
        (self.jobs_dir / f"{check_id(job_id, 'job id')}.npy").unlink(missing_ok=True)

    def job_records(self) -> list[JobRecord]:
        records = []
        for path in self.jobs_dir.glob("*.json"):
            if not ID_PATTERN.match(path.stem):
                continue
            try:
                records.append(JobRecord(**json.loads(path.read_text(encoding="utf-8"))))
            except (json.JSONDecodeError, TypeError, ValueError, OSError):
                continue
        return sorted(records, key=lambda r: r.created)

    def prune_jobs(self, keep: int = 200) -> None:
        """Forget the oldest finished job records beyond ``keep``."""
        finished = [r for r in self.job_records() if r.state.final]
        for record in finished[: max(0, len(finished) - keep)]:
            (self.jobs_dir / f"{record.job_id}.json").unlink(missing_ok=True)
            self.drop_job_image(record.job_id)
