"""Fuzz every RPC of a real singan-server (a child process on a loopback port) with seeded random requests.

    python bench/fuzz_server.py --cases 5000 --seed 1          # the long run: a table by RPC and status
    python bench/fuzz_server.py --cases 300 --seed 7 --json    # what the suite runs (one JSON line last)

Requests mix valid values with extremes (NaN/inf/1e308 scales, int32 limits, ids that are not ids, images
whose sizes and byte counts disagree, crafted or damaged model files, out-of-range config overrides). A
status our code must never answer is INTERNAL or UNKNOWN (a bug), and UNAVAILABLE means the server died.
The exit status is 1 when any such status occurred, the server is gone at the end, or its peak RSS went
over its start RSS plus its memory budget (--max-memory-gb).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import message, text_format

from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc

BAD_CODES = ("INTERNAL", "UNKNOWN", "UNAVAILABLE", "UNIMPLEMENTED", "DATA_LOSS")
QUICK = {"train.iterations": "3", "train.lr_decay_iteration": "2", "train.d_steps": "1", "train.g_steps": "1"}


class Recording:
    """A stub that keeps the last request of each call (a streamed request's messages as a list), for --dump."""

    def __init__(self, stub: singan_pb2_grpc.SinGANStub) -> None:
        self._stub, self.requests = stub, []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(request: Any, **kwargs: Any) -> Any:
            if not isinstance(request, message.Message):
                request = list(request)
            self.requests.append((name, request))
            return getattr(self._stub, name)(
                iter(request) if isinstance(request, list) else request, **kwargs
            )

        return call


def dump_case(folder: Path, index: int, name: str, requests: list[tuple[str, Any]]) -> None:
    """Write a failing case's requests as protobuf text (read back with text_format.Parse)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(
        f"# {method}\n"
        + "".join(text_format.MessageToString(m) + "---\n" for m in (r if isinstance(r, list) else [r]))
        for method, r in requests
    )
    (folder / f"case{index}_{name}.txt").write_text(text)


def rss(pid: int) -> tuple[int, int]:
    """(current, peak) resident memory of ``pid`` in bytes (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


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

        def call(t: float) -> Any:
            for event in stub.Train(request, timeout=t):  # the first event, then cancel the job
                stub.CancelJob(pb.CancelJobRequest(job_id=event.job.job_id), timeout=t)
                return event
            return None

        return call

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

        def call(t: float) -> Any:
            for event in stub.FineTune(request, timeout=t):  # the first event, then cancel the job
                stub.CancelJob(pb.CancelJobRequest(job_id=event.job.job_id), timeout=t)
                return event
            return None

        return call

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


def start_server(models: Path, memory_gb: float) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "inference_server", "--port", "0", "--models", str(models), "--quiet",
               "--max-memory-gb", str(memory_gb), "--device", "cpu"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "ready on" not in line:
        proc.kill()
        raise SystemExit(f"singan-server did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    return proc, line.rsplit(" ", 1)[1].strip()


def fuzz(
    cases: int, seed: int, memory_gb: float, deadline: float, log: Callable[[str], None],
    dump: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="singan-fuzz-") as tmp:
        proc, address = start_server(Path(tmp), memory_gb)
        try:
            channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 64 << 20)])
            stub = singan_pb2_grpc.SinGANStub(channel)
            image = pb.Image(
                width=32, height=24, channels=3, bit_depth=8, pixels=random.Random(0).randbytes(32 * 24 * 3)
            )
            final = list(
                stub.Train(pb.TrainRequest(image=image, preset="tiny", overrides=QUICK), timeout=300)
            )[-1]
            model_id = final.job.model_id
            exported = b"".join(c.data for c in stub.ExportModel(pb.ExportModelRequest(model_id=model_id)))
            start_rss = rss(proc.pid)[0]
            fuzzer, recording = Fuzzer(rng, model_id, exported), Recording(stub)
            counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
            bad: list[str] = []
            started = time.monotonic()
            for index in range(cases):
                name, call = fuzzer.case(recording)
                recording.requests = []
                try:
                    result = call(deadline)
                    code = "OK"
                    if (
                        name == "ImportModel"
                        and isinstance(result, pb.ModelInfo)
                        and result.model_id != model_id
                    ):
                        fuzzer.other_ids.append(result.model_id)
                except grpc.RpcError as exc:
                    code = exc.code().name
                    if code in BAD_CODES:
                        bad.append(f"case {index} {name}: {code} {exc.details()}")
                        if dump is not None:
                            dump_case(dump, index, name, recording.requests)
                counts[name][code] += 1
                if index and index % 500 == 0:
                    log(f"{index} cases, {time.monotonic() - started:.0f} s, {len(bad)} bad")
            for job in stub.ListJobs(pb.ListJobsRequest(active_only=True), timeout=30).jobs:
                stub.CancelJob(pb.CancelJobRequest(job_id=job.job_id), timeout=30)
            alive = stub.GetServerInfo(pb.GetServerInfoRequest(), timeout=30).api_version == "v1"
            now_rss, peak_rss = rss(proc.pid)
            elapsed = time.monotonic() - started
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    budget = int(memory_gb * 2**30)
    return {
        "cases": cases,
        "seed": seed,
        "seconds": round(elapsed, 1),
        "by_rpc": {name: dict(c) for name, c in sorted(counts.items())},
        "by_code": dict(sum(counts.values(), collections.Counter())),
        "internal": sum(c["INTERNAL"] + c["UNKNOWN"] for c in counts.values()),
        "bad": bad[:20],
        "alive": alive,
        "start_rss": start_rss,
        "end_rss": now_rss,
        "peak_rss": peak_rss,
        "budget": budget,
        "ok": not bad and alive and peak_rss <= start_rss + budget,
    }


def kill9(rounds: int, seed: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Start a training and kill -9 the server during it, ``rounds`` times; after each restart the job must
    be resumed (or done) and no temporary file left. Finally every training must finish."""
    rng = random.Random(seed)
    overrides = {**QUICK, "train.iterations": "100", "train.lr_decay_iteration": "80"}
    rows, jobs = [], []
    with tempfile.TemporaryDirectory(prefix="singan-kill9-") as tmp:
        root = Path(tmp)
        proc, address = start_server(root, 2.0)
        for index in range(rounds):
            stub = singan_pb2_grpc.SinGANStub(grpc.insecure_channel(address))
            pixels = random.Random(index).randbytes(32 * 24 * 3)
            image = pb.Image(width=32, height=24, channels=3, bit_depth=8, pixels=pixels)
            jobs.append(
                next(
                    iter(stub.Train(pb.TrainRequest(image=image, preset="tiny", overrides=overrides)))
                ).job.job_id
            )
            for _ in range(600):  # kill it during its own training: wait until it runs (earlier ones done)
                state = stub.WatchJob(pb.WatchJobRequest(job_id=jobs[-1]), timeout=60).next().job.state
                if state != pb.JOB_STATE_QUEUED:
                    break
                time.sleep(0.1)
            time.sleep(rng.uniform(0.2, 3.0))
            proc.kill()
            proc.wait()
            leftovers = list(root.glob("*/*.tmp"))  # writes the killed server never finished
            proc, address = start_server(root, 2.0)
            stub = singan_pb2_grpc.SinGANStub(grpc.insecure_channel(address))
            job = stub.WatchJob(pb.WatchJobRequest(job_id=jobs[-1]), timeout=60).next().job
            after = sum(path.exists() for path in leftovers)  # (the new server's own writes make new ones)
            rows.append({"round": index + 1, "tmp_before": len(leftovers), "tmp_after": after,
                         "state": pb.JobState.Name(job.state), "scales_done": job.scales_done})  # fmt: skip
            log(f"kill -9 #{index + 1}: {len(leftovers)} .tmp left, {after} after restart, {rows[-1]['state']}, "
                f"{job.scales_done} scales done")  # fmt: skip
        finals = [list(stub.WatchJob(pb.WatchJobRequest(job_id=j), timeout=900))[-1].job.state for j in jobs]
        proc.terminate()
        proc.wait(30)
    resumed = all(
        r["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED") for r in rows
    )
    return {
        "rounds": rows,
        "finals": [pb.JobState.Name(state) for state in finals],
        "ok": resumed and all(r["tmp_after"] == 0 for r in rows) and set(finals) == {pb.JOB_STATE_SUCCEEDED},
    }


def table(summary: dict[str, Any]) -> str:
    codes = sorted(summary["by_code"], key=lambda c: (c != "OK", c))
    rows = [["RPC", *codes, "total"]]
    for name, counts in summary["by_rpc"].items():
        rows.append([name, *(str(counts.get(c, 0)) for c in codes), str(sum(counts.values()))])
    rows.append(["all", *(str(summary["by_code"][c]) for c in codes), str(summary["cases"])])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    mib = 2**20
    lines.append(
        f"\n{summary['cases']} cases in {summary['seconds']} s (seed {summary['seed']}); INTERNAL/UNKNOWN: "
        f"{summary['internal']}; server alive: {summary['alive']}; RSS start {summary['start_rss'] // mib} MiB, "
        f"end {summary['end_rss'] // mib} MiB, peak {summary['peak_rss'] // mib} MiB (budget "
        f"{summary['budget'] // mib} MiB)"
    )
    lines += summary["bad"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-memory-gb", type=float, default=2.0, help="the server's budget (default 2)")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds per call")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    parser.add_argument("--dump", type=Path, help="write each bad case's requests (protobuf text) here")
    parser.add_argument(
        "--kill9", type=int, default=0, help="instead: kill -9 the server N times in a training"
    )
    args = parser.parse_args(argv)
    if args.kill9:
        result = kill9(args.kill9, args.seed, lambda s: print(s, file=sys.stderr))
        print(json.dumps(result))
        return 0 if result["ok"] else 1
    summary = fuzz(
        args.cases,
        args.seed,
        args.max_memory_gb,
        args.deadline,
        lambda s: print(s, file=sys.stderr),
        args.dump,
    )
    print(json.dumps(summary) if args.json else table(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
