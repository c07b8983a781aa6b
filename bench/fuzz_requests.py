"""The seeded random requests of bench/fuzz_server.py: one case per RPC, valid values mixed with extremes."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc

QUICK = {"train.iterations": "3", "train.lr_decay_iteration": "2", "train.d_steps": "1", "train.g_steps": "1"}


class Fuzzer:
    """Seeded random requests; ``model_id`` is a trained model, ``exported`` its file."""

    def __init__(self, rng: random.Random, model_id: str, exported: bytes) -> None:
        self.rng, self.model_id, self.exported = rng, model_id, exported
        self.other_ids: list[str] = []

    # -- values --------------------------------------------------------------------------------------
    def integer(self, low: int = -(2**31), high: int = 2**31 - 1) -> int:
        r = self.rng
        value = r.choice([0, 1, 2, 3, -1, 7, 64, 1000, 2**31 - 1, -(2**31), 2**30, r.randint(-100, 100)])
        return min(max(value, low), high)

    def unsigned(self) -> int:
        return self.integer(0, 2**32 - 1) if self.rng.random() < 0.9 else 2**32 - 1

    def real(self) -> float:
        return self.rng.choice(
            [0.0, -0.0, 0.5, 1.0, 2.0, 1.7, -1.0, 1e-300, 1e308, math.inf, -math.inf, math.nan]
        )

    def text(self) -> str:
        r = self.rng
        return r.choice(
            ["", "a", "../../etc/passwd", "x" * 5000, "ünïcødé ✓", "\x00\x01", "name\nline", "tiny"]
        )

    def model_ref(self) -> str:
        r = self.rng
        choices = [self.model_id, self.model_id, "0123456789abcdef", "", "ZZZZ", "../x", "a" * 65, "A" * 16]
        return r.choice(choices + self.other_ids)

    def image(self, mask: bool | None = None) -> pb.Image:
        r = self.rng
        w = r.choice([0, 1, 3, 16, 32, 33, 64, r.randint(1, 80), 3000])
        h = r.choice([0, 1, 3, 16, 24, 40, r.randint(1, 80), 1])
        c = r.choice([1, 2, 3, 3, 4, 4, 0, 5])
        depth = r.choice([8, 8, 16, 0, 7])
        size = w * h * c * (2 if depth == 16 else 1)
        if r.random() < 0.15:
            size = max(0, size + r.choice([-1, 1, -size, 100]))
        if size > 4_000_000:
            size = r.choice([0, 10, 1000])
        msg = pb.Image(width=w, height=h, channels=c, bit_depth=depth, pixels=r.randbytes(size))
        if mask if mask is not None else r.random() < 0.5:
            msg.mask = (
                bytes([255]) * (w * h if r.random() < 0.85 else max(0, w * h - 1))
                if w * h < 4_000_000
                else b""
            )
        if r.random() < 0.3:
            msg.offset_x, msg.offset_y = self.integer(), self.integer()
        return msg

    def overrides(self) -> dict[str, str]:
        r = self.rng
        out = dict(QUICK)
        for _ in range(r.randint(0, 3)):
            key = r.choice([
                "network.base_channels", "network.max_channels", "network.num_layers", "network.kernel_size",
                "pyramid.max_size", "pyramid.min_size", "pyramid.scale_factor", "train.lr_g", "train.seed",
                "train.iterations", "train.concurrent_stages", "nonsense.field", "train", "exec.threads",
            ])  # fmt: skip
            out[key] = r.choice(["16384", "0", "-1", "nan", "inf", "1e12", "abc", "", "8", "0.5", "2"])
        if "train.iterations" in out and out["train.iterations"] not in (
            "0",
            "-1",
            "nan",
            "inf",
            "1e12",
            "abc",
            "",
        ):
            out["train.iterations"] = "3"  # a valid training stays short
        return out

    def model_file(self) -> bytes:
        r = self.rng
        data = self.exported
        kind = r.choice(["random", "truncated", "flipped", "empty", "header", "valid"])
        if kind == "random":
            return r.randbytes(r.randint(1, 5000))
        if kind == "truncated":
            return data[: r.randint(0, len(data) - 1)]
        if kind == "flipped":
            buf = bytearray(data)
            for _ in range(r.randint(1, 8)):
                buf[r.randrange(len(buf))] ^= 1 << r.randrange(8)
            return bytes(buf)
        if kind == "header":
            return data[:8] + r.randbytes(200)
        return b"" if kind == "empty" else data

    # -- one case per RPC ------------------------------------------------------------------------------
    def case(self, stub: singan_pb2_grpc.SinGANStub) -> tuple[str, Callable[[float], Any]]:
        while True:
            name = self.rng.choice(RPCS)
            try:
                return name, getattr(self, f"_{name}")(stub)
            except ValueError:  # a value the field's type cannot carry (a negative uint32): draw again
                continue

    def _GetServerInfo(self, stub):  # noqa: N802, ANN001, ANN202
        return lambda t: stub.GetServerInfo(pb.GetServerInfoRequest(), timeout=t)

    def _Train(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.TrainRequest(
            image=self.image(mask=False),
            preset=r.choice(["tiny", "tiny", "fast", "paper", "", "nope"]),
            overrides=self.overrides() if r.random() < 0.9 else {},
            name=self.text(),
            super_resolution_factor=r.choice([0, 0, 2, 4, 1, 17, 2**31 - 1]),
            retrain=r.random() < 0.2,
        )

        return _first_event_then_cancel(stub, stub.Train, request)

    def _WatchJob(self, stub):  # noqa: N802, ANN001, ANN202
        request = pb.WatchJobRequest(job_id=self.model_ref())
        return lambda t: next(iter(stub.WatchJob(request, timeout=t)), None)

    def _CancelJob(self, stub):  # noqa: N802, ANN001, ANN202
        return lambda t: stub.CancelJob(pb.CancelJobRequest(job_id=self.model_ref()), timeout=t)

    def _ListJobs(self, stub):  # noqa: N802, ANN001, ANN202
        return lambda t: stub.ListJobs(pb.ListJobsRequest(active_only=self.rng.random() < 0.5), timeout=t)

    def _ListModels(self, stub):  # noqa: N802, ANN001, ANN202
        request = pb.ListModelsRequest(
            include_thumbnails=self.rng.random() < 0.5, image_hash=self.text()[:64]
        )
        return lambda t: stub.ListModels(request, timeout=t)

    def _GetModel(self, stub):  # noqa: N802, ANN001, ANN202
        request = pb.GetModelRequest(model_id=self.model_ref(), include_thumbnail=self.rng.random() < 0.5)
        return lambda t: stub.GetModel(request, timeout=t)

    def _DeleteModel(self, stub):  # noqa: N802, ANN001, ANN202
        ids = [i for i in [self.model_ref()] if i != self.model_id] or ["0123456789abcdef"]
        return lambda t: stub.DeleteModel(pb.DeleteModelRequest(model_id=ids[0]), timeout=t)

    def _RenameModel(self, stub):  # noqa: N802, ANN001, ANN202
        request = pb.RenameModelRequest(model_id=self.model_ref(), name=self.text())
        return lambda t: stub.RenameModel(request, timeout=t)

    def _ExportModel(self, stub):  # noqa: N802, ANN001, ANN202
        request = pb.ExportModelRequest(model_id=self.model_ref())
        return lambda t: sum(len(c.data) for c in stub.ExportModel(request, timeout=t))

    def _ImportModel(self, stub):  # noqa: N802, ANN001, ANN202
        data, step = self.model_file(), self.rng.choice([7, 1000, 1 << 20])
        chunks = [
            pb.FileChunk(data=data[i : i + step], name=self.text()[:50])
            for i in range(0, max(1, len(data)), step)
        ]
        if self.rng.random() < 0.1:
            chunks = []
        elif self.rng.random() < 0.3:
            chunks[0].replace = True
        return lambda t: stub.ImportModel(iter(chunks), timeout=t)

    def _Generate(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.GenerateRequest(
            model_id=self.model_ref(), n=r.choice([0, 1, 2, 3, 64, 65, 2**32 - 1]), seed=self.integer(),
            scale_h=self.real() if r.random() < 0.5 else 0.0, scale_v=self.real() if r.random() < 0.5 else 0.0,
            start_scale=r.choice([0, 0, 1, 2, 3, 2**32 - 1]),
        )  # fmt: skip
        if r.random() < 0.3:
            request.variation = self.real()
        if r.random() < 0.3:
            request.size.width, request.size.height = (
                r.choice([0, 1, 50, 300, 9000, 2**32 - 1]),
                r.choice([0, 1, 40, 300]),
            )
        if r.random() < 0.3:
            request.at_document_size = True
        if r.random() < 0.2:  # the trained region's pixels, for detail at document size
            request.exemplar.CopyFrom(self.image(mask=False))
        return lambda t: stub.Generate(request, timeout=t)

    def _inject(self, stub, method, cls, field, **extra):  # noqa: ANN001, ANN003, ANN202
        request = cls(
            model_id=self.model_ref(),
            injection_scale=self.rng.choice([0, 1, 2, 3, -1, 2**31 - 1]),
            seed=self.integer(),
            **extra,
        )
        getattr(request, field).CopyFrom(self.image())
        if self.rng.random() < 0.3:
            request.variation = self.real()
        return lambda t: method(request, timeout=t)

    def _Harmonize(self, stub):  # noqa: N802, ANN001, ANN202
        return self._inject(
            stub, stub.Harmonize, pb.HarmonizeRequest, "composite", fine_tune=self.rng.random() < 0.3
        )

    def _Edit(self, stub):  # noqa: N802, ANN001, ANN202
        return self._inject(stub, stub.Edit, pb.EditRequest, "image")

    def _PaintToImage(self, stub):  # noqa: N802, ANN001, ANN202
        return self._inject(
            stub, stub.PaintToImage, pb.PaintToImageRequest, "paint", quantize=self.rng.random() < 0.5
        )

    def _SuperResolve(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.SuperResolveRequest(
            model_id=self.model_ref(), factor=r.choice([0, 1, 2, 4, 16, 17, -3]), seed=self.integer()
        )
        if r.random() < 0.6:
            request.image.CopyFrom(self.image(mask=False))
        return lambda t: stub.SuperResolve(request, timeout=t)

    def _Animate(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.AnimateRequest(
            model_id=self.model_ref(), frames=r.choice([0, 1, 2, 3, 1001, 2**31 - 1]), seed=self.integer()
        )
        if r.random() < 0.5:
            request.alpha, request.beta = self.real(), self.real()
        if r.random() < 0.5:
            request.start_scale = r.choice([0, 1, 2, 5, 2**31 - 1])
        if r.random() < 0.3:
            request.variation = self.real()
        return lambda t: sum(1 for _ in stub.Animate(request, timeout=t))

    def _EstimateTraining(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.TrainRequest(
            image=self.image(mask=False),
            preset=r.choice(["tiny", "fast", "paper", "", "nope"]),
            overrides=self.overrides() if r.random() < 0.9 else {},
            super_resolution_factor=r.choice([0, 0, 2, 4, 1, 17]),
        )
        return lambda t: stub.EstimateTraining(request, timeout=t)

    def _FineTune(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.FineTuneRequest(
            model_id=self.model_ref(),
            iterations=r.choice([0, 1, 2, 3, 100000, 2**32 - 1]),
            name=self.text(),
            injection_scale=r.choice([0, 1, 2, 3, 2**32 - 1]),
        )
        request.composite.CopyFrom(self.image())

        return _first_event_then_cancel(stub, stub.FineTune, request)

    def _UploadImage(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        img = self.image()
        header = pb.Image(
            width=img.width, height=img.height, channels=img.channels, bit_depth=img.bit_depth,
            offset_x=img.offset_x, offset_y=img.offset_y,
        )  # fmt: skip
        data = img.pixels + img.mask
        pixel_bytes, mask_bytes = len(img.pixels), len(img.mask)
        if r.random() < 0.2:
            pixel_bytes = r.choice([0, pixel_bytes + 1, 2**40, 2**64 - 1])
        step = r.choice([1, 7, 1000, 1 << 20])
        chunks = [pb.ImageChunk(header=header, pixel_bytes=pixel_bytes, mask_bytes=mask_bytes)]
        chunks += [pb.ImageChunk(data=data[i : i + step]) for i in range(0, len(data), step)]
        if r.random() < 0.1:
            chunks = chunks[1:] if r.random() < 0.5 else []

        def call(t: float) -> Any:
            uploaded = stub.UploadImage(iter(chunks), timeout=t)
            if r.random() < 0.5:  # use it once (a second use is NOT_FOUND)
                request = pb.InstantFillRequest(seed=1)
                request.image.CopyFrom(header)
                request.image.upload_id = r.choice([uploaded.upload_id, uploaded.upload_id, "nope", ""])
                stub.InstantFill(request, timeout=t)
            return uploaded

        return call

    def _InstantVariations(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.InstantVariationsRequest(n=r.choice([0, 1, 2, 65, 2**32 - 1]), seed=self.integer(0))
        request.image.CopyFrom(self.image())
        if r.random() < 0.4:
            request.size.width, request.size.height = r.choice([0, 1, 50, 9000]), r.choice([0, 1, 40])
        return lambda t: stub.InstantVariations(request, timeout=t)

    def _InstantFill(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.InstantFillRequest(seed=self.integer(0), region_only=r.random() < 0.5)
        request.image.CopyFrom(self.image(mask=r.random() < 0.8))
        if r.random() < 0.3:
            request.source.CopyFrom(self.image(mask=False))
        return lambda t: stub.InstantFill(request, timeout=t)

    def _InstantEdit(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        request = pb.InstantEditRequest(seed=self.integer(0), region_only=r.random() < 0.5)
        request.original.CopyFrom(self.image(mask=False))
        request.edited.CopyFrom(self.image() if r.random() < 0.5 else request.original)
        return lambda t: stub.InstantEdit(request, timeout=t)

    def _ExtendCanvas(self, stub):  # noqa: N802, ANN001, ANN202
        r = self.rng
        sides = [r.choice([0, 0, 1, 8, 40, 5000, 2**32 - 1]) for _ in range(4)]
        request = pb.ExtendCanvasRequest(
            left=sides[0], top=sides[1], right=sides[2], bottom=sides[3], seed=self.integer(0)
        )
        request.image.CopyFrom(self.image(mask=False))
        return lambda t: stub.ExtendCanvas(request, timeout=t)


RPCS = [name for name in pb.DESCRIPTOR.services_by_name["SinGAN"].methods_by_name]


def _first_event_then_cancel(stub, rpc, request) -> Callable[[float], Any]:  # noqa: ANN001
    """A call of the job-streaming ``rpc`` (Train, FineTune) that takes its first event and cancels the job."""

    def call(t: float) -> Any:
        for event in rpc(request, timeout=t):
            stub.CancelJob(pb.CancelJobRequest(job_id=event.job.job_id), timeout=t)
            return event
        return None

    return call
