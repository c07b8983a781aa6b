from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
    JOB_STATE_INTERRUPTED: _ClassVar[JobState]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
JOB_STATE_INTERRUPTED: JobState

class Image(_message.Message):
    __slots__ = ("width", "height", "channels", "bit_depth", "pixels", "mask", "offset_x", "offset_y", "upload_id")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PIXELS_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    OFFSET_X_FIELD_NUMBER: _ClassVar[int]
    OFFSET_Y_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    channels: int
    bit_depth: int
    pixels: bytes
    mask: bytes
    offset_x: int
    offset_y: int
    upload_id: str
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., channels: _Optional[int] = ..., bit_depth: _Optional[int] = ..., pixels: _Optional[bytes] = ..., mask: _Optional[bytes] = ..., offset_x: _Optional[int] = ..., offset_y: _Optional[int] = ..., upload_id: _Optional[str] = ...) -> None: ...

class Size(_message.Message):
    __slots__ = ("width", "height")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class GetServerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeviceInfo(_message.Message):
    __slots__ = ("kind", "name", "memory_bytes")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    kind: str
    name: str
    memory_bytes: int
    def __init__(self, kind: _Optional[str] = ..., name: _Optional[str] = ..., memory_bytes: _Optional[int] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_pixels", "max_message_bytes", "max_samples", "max_frames", "max_output_side", "max_upload_bytes")
    MAX_PIXELS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    MAX_FRAMES_FIELD_NUMBER: _ClassVar[int]
    MAX_OUTPUT_SIDE_FIELD_NUMBER: _ClassVar[int]
    MAX_UPLOAD_BYTES_FIELD_NUMBER: _ClassVar[int]
    max_pixels: int
    max_message_bytes: int
    max_samples: int
    max_frames: int
    max_output_side: int
    max_upload_bytes: int
    def __init__(self, max_pixels: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., max_samples: _Optional[int] = ..., max_frames: _Optional[int] = ..., max_output_side: _Optional[int] = ..., max_upload_bytes: _Optional[int] = ...) -> None: ...

class ServerInfo(_message.Message):
    __slots__ = ("version", "api_version", "device", "queue_length", "running_job_id", "limits", "presets", "capabilities", "auth_required", "tls")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    API_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    PRESETS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    AUTH_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    version: str
    api_version: str
    device: DeviceInfo
    queue_length: int
    running_job_id: str
    limits: Limits
    presets: _containers.RepeatedScalarFieldContainer[str]
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    auth_required: bool
    tls: bool
    def __init__(self, version: _Optional[str] = ..., api_version: _Optional[str] = ..., device: _Optional[_Union[DeviceInfo, _Mapping]] = ..., queue_length: _Optional[int] = ..., running_job_id: _Optional[str] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., presets: _Optional[_Iterable[str]] = ..., capabilities: _Optional[_Iterable[str]] = ..., auth_required: _Optional[bool] = ..., tls: _Optional[bool] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("scale", "num_scales", "iteration", "iterations", "losses", "elapsed_s", "eta_s", "fraction")
    class LossesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SCALE_FIELD_NUMBER: _ClassVar[int]
    NUM_SCALES_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    LOSSES_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_S_FIELD_NUMBER: _ClassVar[int]
    ETA_S_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    scale: int
    num_scales: int
    iteration: int
    iterations: int
    losses: _containers.ScalarMap[str, float]
    elapsed_s: float
    eta_s: float
    fraction: float
    def __init__(self, scale: _Optional[int] = ..., num_scales: _Optional[int] = ..., iteration: _Optional[int] = ..., iterations: _Optional[int] = ..., losses: _Optional[_Mapping[str, float]] = ..., elapsed_s: _Optional[float] = ..., eta_s: _Optional[float] = ..., fraction: _Optional[float] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "model_id", "state", "name", "preset", "created_unix", "finished_unix", "error", "progress", "queue_position", "scales_done")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_FIELD_NUMBER: _ClassVar[int]
    FINISHED_UNIX_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    SCALES_DONE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    model_id: str
    state: JobState
    name: str
    preset: str
    created_unix: int
    finished_unix: int
    error: str
    progress: Progress
    queue_position: int
    scales_done: int
    def __init__(self, job_id: _Optional[str] = ..., model_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., name: _Optional[str] = ..., preset: _Optional[str] = ..., created_unix: _Optional[int] = ..., finished_unix: _Optional[int] = ..., error: _Optional[str] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., queue_position: _Optional[int] = ..., scales_done: _Optional[int] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job", "preview", "model", "reused")
    JOB_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    job: Job
    preview: Image
    model: ModelInfo
    reused: bool
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., preview: _Optional[_Union[Image, _Mapping]] = ..., model: _Optional[_Union[ModelInfo, _Mapping]] = ..., reused: _Optional[bool] = ...) -> None: ...

class TrainRequest(_message.Message):
    __slots__ = ("image", "preset", "overrides", "name", "super_resolution_factor", "retrain")
    class OverridesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUPER_RESOLUTION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    RETRAIN_FIELD_NUMBER: _ClassVar[int]
    image: Image
    preset: str
    overrides: _containers.ScalarMap[str, str]
    name: str
    super_resolution_factor: int
    retrain: bool
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., preset: _Optional[str] = ..., overrides: _Optional[_Mapping[str, str]] = ..., name: _Optional[str] = ..., super_resolution_factor: _Optional[int] = ..., retrain: _Optional[bool] = ...) -> None: ...

class TrainingEstimate(_message.Message):
    __slots__ = ("seconds", "low_seconds", "high_seconds", "scale_sizes", "iterations", "peak_memory_bytes", "basis", "model_id", "already_trained")
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    LOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HIGH_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SCALE_SIZES_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    PEAK_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    ALREADY_TRAINED_FIELD_NUMBER: _ClassVar[int]
    seconds: float
    low_seconds: float
    high_seconds: float
    scale_sizes: _containers.RepeatedCompositeFieldContainer[Size]
    iterations: int
    peak_memory_bytes: int
    basis: str
    model_id: str
    already_trained: bool
    def __init__(self, seconds: _Optional[float] = ..., low_seconds: _Optional[float] = ..., high_seconds: _Optional[float] = ..., scale_sizes: _Optional[_Iterable[_Union[Size, _Mapping]]] = ..., iterations: _Optional[int] = ..., peak_memory_bytes: _Optional[int] = ..., basis: _Optional[str] = ..., model_id: _Optional[str] = ..., already_trained: _Optional[bool] = ...) -> None: ...

class FineTuneRequest(_message.Message):
    __slots__ = ("model_id", "composite", "iterations", "name", "injection_scale")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INJECTION_SCALE_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    composite: Image
    iterations: int
    name: str
    injection_scale: int
    def __init__(self, model_id: _Optional[str] = ..., composite: _Optional[_Union[Image, _Mapping]] = ..., iterations: _Optional[int] = ..., name: _Optional[str] = ..., injection_scale: _Optional[int] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("active_only",)
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    active_only: bool
    def __init__(self, active_only: _Optional[bool] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("model_id", "name", "preset", "created_unix", "width", "height", "channels", "bit_depth", "num_scales", "scales_done", "complete", "size_bytes", "thumbnail", "scale_sizes", "config_json", "image_hash", "super_resolution_factor", "problem")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    NUM_SCALES_FIELD_NUMBER: _ClassVar[int]
    SCALES_DONE_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    SCALE_SIZES_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HASH_FIELD_NUMBER: _ClassVar[int]
    SUPER_RESOLUTION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    name: str
    preset: str
    created_unix: int
    width: int
    height: int
    channels: int
    bit_depth: int
    num_scales: int
    scales_done: int
    complete: bool
    size_bytes: int
    thumbnail: Image
    scale_sizes: _containers.RepeatedCompositeFieldContainer[Size]
    config_json: str
    image_hash: str
    super_resolution_factor: int
    problem: str
    def __init__(self, model_id: _Optional[str] = ..., name: _Optional[str] = ..., preset: _Optional[str] = ..., created_unix: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., channels: _Optional[int] = ..., bit_depth: _Optional[int] = ..., num_scales: _Optional[int] = ..., scales_done: _Optional[int] = ..., complete: _Optional[bool] = ..., size_bytes: _Optional[int] = ..., thumbnail: _Optional[_Union[Image, _Mapping]] = ..., scale_sizes: _Optional[_Iterable[_Union[Size, _Mapping]]] = ..., config_json: _Optional[str] = ..., image_hash: _Optional[str] = ..., super_resolution_factor: _Optional[int] = ..., problem: _Optional[str] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("include_thumbnails", "image_hash")
    INCLUDE_THUMBNAILS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HASH_FIELD_NUMBER: _ClassVar[int]
    include_thumbnails: bool
    image_hash: str
    def __init__(self, include_thumbnails: _Optional[bool] = ..., image_hash: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("model_id", "include_thumbnail")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    include_thumbnail: bool
    def __init__(self, model_id: _Optional[str] = ..., include_thumbnail: _Optional[bool] = ...) -> None: ...

class DeleteModelRequest(_message.Message):
    __slots__ = ("model_id",)
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    def __init__(self, model_id: _Optional[str] = ...) -> None: ...

class DeleteModelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RenameModelRequest(_message.Message):
    __slots__ = ("model_id", "name")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    name: str
    def __init__(self, model_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ExportModelRequest(_message.Message):
    __slots__ = ("model_id",)
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    def __init__(self, model_id: _Optional[str] = ...) -> None: ...

class FileChunk(_message.Message):
    __slots__ = ("data", "total_size", "name", "replace")
    DATA_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    total_size: int
    name: str
    replace: bool
    def __init__(self, data: _Optional[bytes] = ..., total_size: _Optional[int] = ..., name: _Optional[str] = ..., replace: _Optional[bool] = ...) -> None: ...

class ImageChunk(_message.Message):
    __slots__ = ("header", "pixel_bytes", "mask_bytes", "data")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    PIXEL_BYTES_FIELD_NUMBER: _ClassVar[int]
    MASK_BYTES_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    header: Image
    pixel_bytes: int
    mask_bytes: int
    data: bytes
    def __init__(self, header: _Optional[_Union[Image, _Mapping]] = ..., pixel_bytes: _Optional[int] = ..., mask_bytes: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class UploadedImage(_message.Message):
    __slots__ = ("upload_id", "expires_in_s")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_S_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    expires_in_s: int
    def __init__(self, upload_id: _Optional[str] = ..., expires_in_s: _Optional[int] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("model_id", "n", "seed", "scale_h", "scale_v", "size", "start_scale", "at_document_size", "variation", "exemplar")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SCALE_H_FIELD_NUMBER: _ClassVar[int]
    SCALE_V_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    START_SCALE_FIELD_NUMBER: _ClassVar[int]
    AT_DOCUMENT_SIZE_FIELD_NUMBER: _ClassVar[int]
    VARIATION_FIELD_NUMBER: _ClassVar[int]
    EXEMPLAR_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    n: int
    seed: int
    scale_h: float
    scale_v: float
    size: Size
    start_scale: int
    at_document_size: bool
    variation: float
    exemplar: Image
    def __init__(self, model_id: _Optional[str] = ..., n: _Optional[int] = ..., seed: _Optional[int] = ..., scale_h: _Optional[float] = ..., scale_v: _Optional[float] = ..., size: _Optional[_Union[Size, _Mapping]] = ..., start_scale: _Optional[int] = ..., at_document_size: _Optional[bool] = ..., variation: _Optional[float] = ..., exemplar: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class ImagesResponse(_message.Message):
    __slots__ = ("images",)
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[Image]
    def __init__(self, images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ...) -> None: ...

class ImageResponse(_message.Message):
    __slots__ = ("image",)
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class HarmonizeRequest(_message.Message):
    __slots__ = ("model_id", "composite", "injection_scale", "seed", "fine_tune", "region_only", "variation")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_FIELD_NUMBER: _ClassVar[int]
    INJECTION_SCALE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FINE_TUNE_FIELD_NUMBER: _ClassVar[int]
    REGION_ONLY_FIELD_NUMBER: _ClassVar[int]
    VARIATION_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    composite: Image
    injection_scale: int
    seed: int
    fine_tune: bool
    region_only: bool
    variation: float
    def __init__(self, model_id: _Optional[str] = ..., composite: _Optional[_Union[Image, _Mapping]] = ..., injection_scale: _Optional[int] = ..., seed: _Optional[int] = ..., fine_tune: _Optional[bool] = ..., region_only: _Optional[bool] = ..., variation: _Optional[float] = ...) -> None: ...

class EditRequest(_message.Message):
    __slots__ = ("model_id", "image", "injection_scale", "seed", "region_only", "variation")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    INJECTION_SCALE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    REGION_ONLY_FIELD_NUMBER: _ClassVar[int]
    VARIATION_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    image: Image
    injection_scale: int
    seed: int
    region_only: bool
    variation: float
    def __init__(self, model_id: _Optional[str] = ..., image: _Optional[_Union[Image, _Mapping]] = ..., injection_scale: _Optional[int] = ..., seed: _Optional[int] = ..., region_only: _Optional[bool] = ..., variation: _Optional[float] = ...) -> None: ...

class PaintToImageRequest(_message.Message):
    __slots__ = ("model_id", "paint", "injection_scale", "quantize", "seed", "variation")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    PAINT_FIELD_NUMBER: _ClassVar[int]
    INJECTION_SCALE_FIELD_NUMBER: _ClassVar[int]
    QUANTIZE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    VARIATION_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    paint: Image
    injection_scale: int
    quantize: bool
    seed: int
    variation: float
    def __init__(self, model_id: _Optional[str] = ..., paint: _Optional[_Union[Image, _Mapping]] = ..., injection_scale: _Optional[int] = ..., quantize: _Optional[bool] = ..., seed: _Optional[int] = ..., variation: _Optional[float] = ...) -> None: ...

class SuperResolveRequest(_message.Message):
    __slots__ = ("model_id", "image", "factor", "seed")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    FACTOR_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    image: Image
    factor: int
    seed: int
    def __init__(self, model_id: _Optional[str] = ..., image: _Optional[_Union[Image, _Mapping]] = ..., factor: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class AnimateRequest(_message.Message):
    __slots__ = ("model_id", "frames", "start_scale", "alpha", "beta", "seed", "variation")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    START_SCALE_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    BETA_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    VARIATION_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    frames: int
    start_scale: int
    alpha: float
    beta: float
    seed: int
    variation: float
    def __init__(self, model_id: _Optional[str] = ..., frames: _Optional[int] = ..., start_scale: _Optional[int] = ..., alpha: _Optional[float] = ..., beta: _Optional[float] = ..., seed: _Optional[int] = ..., variation: _Optional[float] = ...) -> None: ...

class InstantVariationsRequest(_message.Message):
    __slots__ = ("image", "n", "seed", "size")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    n: int
    seed: int
    size: Size
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., n: _Optional[int] = ..., seed: _Optional[int] = ..., size: _Optional[_Union[Size, _Mapping]] = ...) -> None: ...

class InstantFillRequest(_message.Message):
    __slots__ = ("image", "source", "seed", "region_only")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    REGION_ONLY_FIELD_NUMBER: _ClassVar[int]
    image: Image
    source: Image
    seed: int
    region_only: bool
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., source: _Optional[_Union[Image, _Mapping]] = ..., seed: _Optional[int] = ..., region_only: _Optional[bool] = ...) -> None: ...

class InstantEditRequest(_message.Message):
    __slots__ = ("original", "edited", "seed", "region_only")
    ORIGINAL_FIELD_NUMBER: _ClassVar[int]
    EDITED_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    REGION_ONLY_FIELD_NUMBER: _ClassVar[int]
    original: Image
    edited: Image
    seed: int
    region_only: bool
    def __init__(self, original: _Optional[_Union[Image, _Mapping]] = ..., edited: _Optional[_Union[Image, _Mapping]] = ..., seed: _Optional[int] = ..., region_only: _Optional[bool] = ...) -> None: ...

class ExtendCanvasRequest(_message.Message):
    __slots__ = ("image", "left", "top", "right", "bottom", "seed")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    TOP_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    BOTTOM_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    image: Image
    left: int
    top: int
    right: int
    bottom: int
    seed: int
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., left: _Optional[int] = ..., top: _Optional[int] = ..., right: _Optional[int] = ..., bottom: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class AnimationFrame(_message.Message):
    __slots__ = ("index", "total", "image")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    index: int
    total: int
    image: Image
    def __init__(self, index: _Optional[int] = ..., total: _Optional[int] = ..., image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...
