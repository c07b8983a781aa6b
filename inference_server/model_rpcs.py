"""The model and transfer RPCs: list, get, delete, rename, export and import checkpoints; upload images."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from singan_api import singan_pb2 as pb
from singan_core.errors import CheckpointError

from .convert import RequestError, invalid, model_to_proto
from .rpc import streaming, unary
from .rpc_base import RpcBase
from .store import check_id

EXPORT_CHUNK = 1 << 20
#: Largest checkpoint ImportModel accepts (the file is written to disk as it arrives, then loaded): it
#: bounds the disk one import may fill; loading it is then bounded by the file's checks.
MAX_IMPORT_BYTES = 2 << 30


class ModelRpcs(RpcBase):
    def _model_proto(self, model_id: str, thumbnail: bool) -> pb.ModelInfo:
        record = self.store.get(model_id)
        return model_to_proto(record, self.store.thumbnail(model_id) if thumbnail else None)

    @unary
    async def ListModels(
        self, request: pb.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListModelsResponse:
        records = self.store.list()
        if request.image_hash:
            records = [r for r in records if r.image_hash == request.image_hash]
        thumbs = request.include_thumbnails
        return pb.ListModelsResponse(
            models=[model_to_proto(r, self.store.thumbnail(r.model_id) if thumbs else None) for r in records]
        )

    @unary
    async def GetModel(self, request: pb.GetModelRequest, context: grpc.aio.ServicerContext) -> pb.ModelInfo:
        return self._model_proto(request.model_id, request.include_thumbnail)

    @unary
    async def DeleteModel(
        self, request: pb.DeleteModelRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteModelResponse:
        check_id(request.model_id)
        self._check_not_training(request.model_id, "deleting it")
        self.store.delete(request.model_id)
        self.cache.evict(request.model_id)
        return pb.DeleteModelResponse()

    @unary
    async def RenameModel(
        self, request: pb.RenameModelRequest, context: grpc.aio.ServicerContext
    ) -> pb.ModelInfo:
        return model_to_proto(self.store.rename(request.model_id, request.name))

    @streaming
    async def ExportModel(
        self, request: pb.ExportModelRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.FileChunk]:
        record = self.store.get(request.model_id)
        if record.problem:
            raise RequestError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"model {request.model_id} is damaged and is not exported: {record.problem}",
            )
        path = self.store.checkpoint_path(request.model_id)
        data = await self._in_pool(path.read_bytes)
        for start in range(0, max(1, len(data)), EXPORT_CHUNK):
            chunk = pb.FileChunk(data=data[start : start + EXPORT_CHUNK])
            if start == 0:
                chunk.total_size = len(data)
            yield chunk

    def _check_not_training(self, model_id: str, doing: str) -> None:
        for snap in self.jobs.list(active_only=True):
            if snap.record.model_id == model_id:
                raise RequestError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"model {model_id} is being trained by job {snap.record.job_id}; cancel it before {doing}",
                )

    @unary
    async def ImportModel(
        self, request_iterator: AsyncIterator[pb.FileChunk], context: grpc.aio.ServicerContext
    ) -> pb.ModelInfo:
        upload = self.store.new_upload_path()
        name, replace, first = "", False, True
        try:
            size = 0
            with open(upload, "wb") as fh:
                async for chunk in request_iterator:
                    if first:  # the first chunk carries the name and replace
                        name, replace, first = chunk.name, chunk.replace, False
                    size += len(chunk.data)
                    if size > MAX_IMPORT_BYTES:
                        raise RequestError(
                            grpc.StatusCode.RESOURCE_EXHAUSTED,
                            f"checkpoint upload is over {MAX_IMPORT_BYTES >> 20} MiB, the most this server imports",
                        )
                    fh.write(chunk.data)
            if size == 0:
                raise invalid("empty upload: send the checkpoint file's bytes in FileChunk.data")
            try:
                record = await self._in_pool(
                    self.store.import_file,
                    upload,
                    name=name,
                    overwrite=replace,
                    before_write=lambda model_id: self._check_not_training(model_id, "importing it"),
                )
            except CheckpointError as exc:  # its message names the upload's temporary path: drop it
                raise invalid(
                    f"the uploaded file is not a usable model: {str(exc).removeprefix(f'{upload}: ')}"
                ) from None
        finally:
            upload.unlink(missing_ok=True)
        self.cache.evict(record.model_id)
        return model_to_proto(record)

    @unary
    async def UploadImage(
        self, request_iterator: AsyncIterator[pb.ImageChunk], context: grpc.aio.ServicerContext
    ) -> pb.UploadedImage:
        return await self.uploads.receive(request_iterator)
