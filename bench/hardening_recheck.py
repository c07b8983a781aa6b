"""Recheck each numbered finding of issue 18 against a real singan-server (a child process on loopback).

    python bench/hardening_recheck.py            # one line per finding: what was sent, what came back

Each line names the finding (1a ... 5b), what the probe found then, and what the server answers now
(status and message, or the figure: RSS growth, seconds to stop). The exit status is 1 when a finding
came back (a line marked FAIL).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
from fuzz_server import QUICK, rss
from safetensors import safe_open
from safetensors.torch import save_file

from host_plugin.client import Client, ClientError, ConnectionSettings
from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc

TOKEN = "recheck-token-0123456789abcdef"
MIB = 2**20
RESULTS: list[bool] = []


def line(key: str, finding: str, outcome: str, ok: bool) -> None:
    RESULTS.append(ok)
    print(f"{key:3} {'ok  ' if ok else 'FAIL'} {finding:58} -> {outcome}", flush=True)


def status(fn: Callable[[], Any]) -> tuple[str, str]:
    try:
        result = fn()
        if hasattr(result, "__next__"):
            list(result)
    except grpc.RpcError as exc:
        return exc.code().name, (exc.details() or "")[:110]
    return "OK", ""


def start(models: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "inference_server", "--port", "0", "--models", str(models), "--quiet",
               "--device", "cpu", "--max-memory-gb", "2", *extra]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    if "ready on" not in ready:
        proc.kill()
        raise SystemExit(f"singan-server did not start: {ready}{proc.stderr.read() if proc.stderr else ''}")
    return proc, ready.rsplit(" ", 1)[1].strip()


@contextmanager
def server(models: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], str, Any]]:
    proc, address = start(models, *extra)
    md = (("authorization", f"Bearer {TOKEN}"),) if "--token" in extra else ()
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 1 << 30)])
    try:
        yield proc, address, (singan_pb2_grpc.SinGANStub(channel), md)
    finally:
        channel.close()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def rgb(w: int, h: int, seed: int = 0, **fields: Any) -> pb.Image:
    data = bytes((i * 31 + seed * 7) % 251 for i in range(w * h * 3))
    return pb.Image(width=w, height=h, channels=3, bit_depth=8, pixels=data, **fields)


def rewrite(data: bytes, tmp: Path, edit: Callable[[dict[str, Any]], None], tensors_edit=None) -> bytes:  # noqa: ANN001
    src, dst = tmp / "src.singan", tmp / "dst.singan"
    src.write_bytes(data)
    with safe_open(str(src), framework="pt") as f:
        meta = json.loads(f.metadata()["singan"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    edit(meta)
    if tensors_edit is not None:
        tensors_edit(tensors)
    save_file(tensors, str(dst), metadata={"singan": json.dumps(meta)})
    return dst.read_bytes()


def chunks(data: bytes, **first: Any) -> Iterator[pb.FileChunk]:
    for i in range(0, max(1, len(data)), 1 << 20):
        yield pb.FileChunk(data=data[i : i + (1 << 20)], **(first if i == 0 else {}))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, limit: float = 60.0) -> float:
    """Seconds until the process uses under 10% of a core over a 0.5 s window (``limit`` at most)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        cpu0 = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - cpu0 < 0.05:
            return time.monotonic() - started - 0.5
    return limit


def finding_1(tmp: Path) -> tuple[str, bytes]:
    with server(tmp / "s1") as (proc, address, (stub, _)):
        final = list(
            stub.Train(pb.TrainRequest(image=rgb(32, 24), preset="tiny", overrides=QUICK), timeout=300)
        )
        model_id = final[-1].job.model_id
        exported = b"".join(c.data for c in stub.ExportModel(pb.ExportModelRequest(model_id=model_id)))
        before = rss(proc.pid)[0]
        huge = {**QUICK, "network.base_channels": "16384", "network.max_channels": "16384"}
        code, message = status(
            lambda: stub.Train(pb.TrainRequest(image=rgb(32, 32), preset="tiny", overrides=huge))
        )
        grown = (rss(proc.pid)[0] - before) / MIB
        jobs = len(stub.ListJobs(pb.ListJobsRequest(active_only=True)).jobs)
        line("1a", "Train 32x32 with 16384 channels (was: >4 GiB in 4 s, resumed)",
             f"{code} '{message[:60]}'; RSS +{grown:.0f} MiB; {jobs} active jobs (nothing to resume)",
             code in ("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED") and jobs == 0 and grown < 200)  # fmt: skip
        for key, what, edit in (
            ("1b", "ImportModel: 52 KB file saying 16384 channels (was: 9.6 GB)",
             lambda m: m["config"]["network"].update(base_channels=16384, max_channels=16384)),
            ("1b", "ImportModel: shapes[0] = [30000, 30000] (was: accepted)",
             lambda m: m["shapes"].__setitem__(0, [30000, 30000])),
        ):  # fmt: skip
            before = rss(proc.pid)[0]
            code, message = status(lambda e=edit: stub.ImportModel(chunks(rewrite(exported, tmp, e))))
            grown = (rss(proc.pid)[0] - before) / MIB
            line(key, what, f"{code} '{message[:60]}'; RSS +{grown:.0f} MiB", code == "INVALID_ARGUMENT")
        n64 = pb.GenerateRequest(model_id=model_id, n=64, size=pb.Size(width=4000, height=4000))
        code, message = status(lambda: stub.Generate(n64, timeout=60))
        line("1c", "Generate n=64 at 4000x4000 (was: accepted)", f"{code} '{message[:70]}'",
             code == "RESOURCE_EXHAUSTED")  # fmt: skip
        for side in (4000, 3000, 2400, 2000, 1600):  # the largest the 2 GiB budget admits
            one = pb.GenerateRequest(model_id=model_id, n=1, size=pb.Size(width=side, height=side))
            started = time.monotonic()
            code, message = status(lambda r=one: stub.Generate(r, timeout=2))
            waited = time.monotonic() - started
            if code != "RESOURCE_EXHAUSTED":
                break
            line("1c", f"Generate {side}x{side} n=1 (was: 120 s, 4.5 GiB at 4000)", f"{code} '{message[:70]}'",
                 "memory" in message)  # fmt: skip
        idle_after = settle(proc.pid)
        line("1c", f"Generate {side}x{side} n=1, client deadline 2 s (was: went on)",
             f"{code} after {waited:.1f} s; the server's CPU idle {idle_after:.1f} s after that",
             code in ("DEADLINE_EXCEEDED", "OK") and idle_after < 5)  # fmt: skip
    return model_id, exported


def finding_1d(tmp: Path) -> None:
    with server(tmp / "s1d", "--token", TOKEN) as (proc, _, (stub, md)):
        before = rss(proc.pid)[0]
        big = pb.HarmonizeRequest(model_id="0123456789abcdef", composite=rgb(16, 16))
        big.composite.pixels = bytes(256 * MIB)
        codes = {status(lambda: stub.Harmonize(big, timeout=60))[0] for _ in range(4)}
        peak = (rss(proc.pid)[1] - before) / MIB
        line("1d", "4 x 256 MiB without a token (was: +2 GiB, 1.9 GiB kept)",
             f"{'/'.join(sorted(codes))}; RSS peak +{peak:.0f} MiB",
             codes == {"UNAUTHENTICATED"} and peak < 100)  # fmt: skip
        code, message = status(lambda: stub.Harmonize(big, metadata=md, timeout=60))
        line("1d", "the same with the token: over the 64 MiB default limit", f"{code} '{message[:60]}'",
             code == "RESOURCE_EXHAUSTED")  # fmt: skip


def large_layer(tmp: Path) -> None:
    """An 8000x8000 RGBA layer with its mask (320 MB): uploaded in pieces, then named by a request."""
    with server(tmp / "s1e") as (proc, address, (stub, _)), Client(address=address) as client:
        side = 8000
        image = pb.Image(width=side, height=side, channels=4, bit_depth=8, pixels=bytes(side * side * 4))
        image.mask = b"\xff" * (side * side)
        size = (len(image.pixels) + len(image.mask)) / MIB
        start_rss = rss(proc.pid)[0]
        started = time.monotonic()
        upload_id = client._run(client._aio.upload_image(image))  # what the client does past the limit
        took = time.monotonic() - started
        upload_peak = (rss(proc.pid)[1] - start_rss) / MIB
        named = pb.Image(width=side, height=side, channels=4, bit_depth=8, upload_id=upload_id)
        code, message = status(lambda: stub.Edit(pb.EditRequest(model_id="0123456789abcdef", image=named)))
        use_peak = (rss(proc.pid)[1] - start_rss) / MIB
        left = list((tmp / "s1e" / "models").glob(".upload-img-*"))
    with server(tmp / "s1f", "--max-message-mb", "1024") as (proc, address, (stub, _)):
        start_rss = rss(proc.pid)[0]
        status(lambda: stub.Edit(pb.EditRequest(model_id="0123456789abcdef", image=image), timeout=120))
        one_message = (rss(proc.pid)[1] - start_rss) / MIB
        line("1d", f"a {side}x{side} RGBA layer + mask ({size:.0f} MiB) in pieces",
             f"uploaded in {took:.1f} s ({size / took:.0f} MiB/s), server RSS peak +{upload_peak:.0f} MiB; "
             f"used by Edit ({code}): peak +{use_peak:.0f} MiB (in one message, at --max-message-mb 1024: "
             f"+{one_message:.0f} MiB); {len(left)} files left",
             upload_peak < 100 and not left and code == "NOT_FOUND" and "0123456789abcdef" in message)  # fmt: skip


def finding_2(tmp: Path, model_id: str, exported: bytes) -> None:
    with server(tmp / "s2") as (proc, _, (stub, _)):
        stub.ImportModel(chunks(exported, name="original"))
        other = rgb(32, 24, seed=5)
        second = list(stub.Train(pb.TrainRequest(image=other, preset="tiny", overrides=QUICK), timeout=300))
        second_id = second[-1].job.model_id
        second_file = b"".join(c.data for c in stub.ExportModel(pb.ExportModelRequest(model_id=second_id)))
        claims = rewrite(second_file, tmp, lambda m: m.update(model_id=model_id))
        stub.DeleteModel(pb.DeleteModelRequest(model_id=second_id))
        landed = stub.ImportModel(chunks(claims)).model_id
        name = stub.GetModel(pb.GetModelRequest(model_id=model_id)).name
        line("2a", "a file claiming another model's id (was: replaced it)",
             f"OK as {landed[:8]} (its contents' id); {model_id[:8]} still '{name}'",
             name == "original" and landed == second_id)  # fmt: skip
        code, message = status(lambda: stub.ImportModel(chunks(exported)))
        line(
            "2a",
            "the same model again, without replace",
            f"{code} '{message[:60]}'",
            code == "ALREADY_EXISTS",
        )
        code, _ = status(lambda: stub.ImportModel(chunks(exported, name="replaced", replace=True)))
        name = stub.GetModel(pb.GetModelRequest(model_id=model_id)).name
        line("2a", "the same model with FileChunk.replace", f"{code}; now '{name}'", code == "OK")
        flipped = exported[:-64] + bytes(b ^ 0x55 for b in exported[-64:])
        code, message = status(lambda: stub.ImportModel(chunks(flipped)))
        line("2b", "flipped tensor bytes (was: listed complete, served)", f"{code} '{message[:60]}'",
             code == "INVALID_ARGUMENT")  # fmt: skip

        def nan(tensors: dict) -> None:
            for key in tensors:
                if key.startswith("g0.") and tensors[key].is_floating_point():
                    tensors[key].fill_(float("nan"))

        code, message = status(lambda: stub.ImportModel(chunks(rewrite(exported, tmp, lambda m: None, nan))))
        line("2b", "all-NaN weights (was: listed complete, served)", f"{code} '{message[:60]}'",
             code == "INVALID_ARGUMENT")  # fmt: skip
        folder = tmp / "s2" / "models"
        (folder / f"{model_id}.singan").write_bytes(b"")
        (folder / f"{second_id}.json").write_bytes(b"\xff not json")
        listed = {m.model_id: m.problem for m in stub.ListModels(pb.ListModelsRequest()).models}
        code, message = status(lambda: stub.ExportModel(pb.ExportModelRequest(model_id=model_id)))
        line("2c", "0-byte model file (was: exported as OK)", f"Export {code}; listed '{listed[model_id][:50]}'",
             code == "FAILED_PRECONDITION" and bool(listed[model_id]))  # fmt: skip
        line("2d", "one damaged sidecar (was: ListModels failed for all)",
             f"ListModels OK, {len(listed)} models, damaged: '{listed[second_id][:50]}'",
             len(listed) == 2 and bool(listed[second_id]))  # fmt: skip
        proc.kill()
        proc.wait()
    stray = [tmp / "s2" / "models" / ".upload-x.tmp", tmp / "s2" / "jobs" / "y.npy.tmp"]
    for path in stray:
        path.write_bytes(b"partial")
    with server(tmp / "s2"):
        left = sum(path.exists() for path in stray)
    line("2e", ".tmp files after kill -9 (was: left in 2 of 4 runs)", f"{len(stray)} planted, {left} after start",
         left == 0)  # fmt: skip


def finding_3(tmp: Path) -> None:
    cert, key = tmp / "c.pem", tmp / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    for key_, what, args, words in (
        ("3a", "0.0.0.0 with TLS, no token (was: anyone in)",
         ["--host", "0.0.0.0", "--tls-cert", str(cert), "--tls-key", str(key)], "--tls-client-ca"),
        ("3b", "a token of one space (was: accepted)", ["--token", " "], "token"),
        ("3b", "a one-character token (was: accepted)", ["--token", "x"], "at least 16"),
    ):  # fmt: skip
        proc = subprocess.run([sys.executable, "-m", "inference_server", "--port", "0", "--models", str(tmp / "s3"),
                               *args], capture_output=True, text=True, timeout=120)  # fmt: skip
        said = proc.stderr.strip().splitlines()
        line(key_, what, f"exit {proc.returncode}: '{said[-1][:80] if said else ''}'",
             proc.returncode == 2 and words in proc.stderr and len(said) == 1)  # fmt: skip
    token_file = tmp / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)
    proc, _ = start(tmp / "s3", "--token-file", str(token_file))
    proc.terminate()
    proc.wait(30)
    warned = [x for x in (proc.stderr.read() if proc.stderr else "").splitlines() if "chmod" in x]
    line("3c", "world-readable token file (was: no warning)", f"'{warned[0][-70:] if warned else 'none'}'",
         bool(warned))  # fmt: skip


def finding_4(tmp: Path, model_id: str, exported: bytes) -> None:
    with server(tmp / "s4") as (proc, address, (stub, _)):
        stub.ImportModel(chunks(exported))
        for scale in (float("nan"), float("inf"), 1e308):
            code, message = status(
                lambda s=scale: stub.Generate(pb.GenerateRequest(model_id=model_id, scale_h=s))
            )
            line("4a", f"Generate scale_h={scale} (was: INTERNAL)", f"{code} '{message[:60]}'",
                 code in ("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED"))  # fmt: skip
        request = pb.SuperResolveRequest(model_id=model_id, factor=2, image=rgb(8, 8, offset_x=2**31 - 2))
        code, message = status(lambda: stub.SuperResolve(request))
        line("4b", "SuperResolve, offset near the int32 limit (was: INTERNAL)", f"{code} '{message[:60]}'",
             code in ("INVALID_ARGUMENT", "OK"))  # fmt: skip
        comp = rgb(3000, 1, mask=b"\xff" * 3000)
        code, message = status(lambda: stub.Harmonize(pb.HarmonizeRequest(model_id=model_id, composite=comp,
                                                                          fine_tune=True)))  # fmt: skip
        line("4c", "Harmonize + fine-tuning on 3000x1 (was: INTERNAL)", f"{code} '{message[:60]}'",
             code == "INVALID_ARGUMENT")  # fmt: skip
        codes = {status(lambda d=d: stub.ImportModel(chunks(d)))[0]
                 for d in (b"hello" * 30, exported[: len(exported) // 2], exported[:8] + b"\xff" * 64)}  # fmt: skip
        line("4d", "malformed ImportModel files (was: INTERNAL)", "/".join(sorted(codes)),
             codes == {"INVALID_ARGUMENT"})  # fmt: skip
        slow = {**QUICK, "train.iterations": "3000", "train.lr_decay_iteration": "2400"}
        results: dict[int, str] = {}

        def follow(seed: int) -> None:
            try:
                events = list(stub.Train(pb.TrainRequest(image=rgb(32, 24, seed=seed), preset="tiny",
                                                         overrides=slow), timeout=120))  # fmt: skip
                results[seed] = pb.JobState.Name(events[-1].job.state)
            except grpc.RpcError as exc:
                results[seed] = f"{exc.code().name}: {exc.details()}"

        threads = [threading.Thread(target=follow, args=(seed,)) for seed in (11, 12, 13)]
        for thread in threads:
            thread.start()
            time.sleep(0.5)
        time.sleep(2)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        stopped = time.monotonic() - started
        for thread in threads:
            thread.join(30)
        states = sorted(set(results.values()))
        line("4e", "SIGTERM: running + 2 queued watchers (was: Connection lost)", f"{'/'.join(states)}",
             states == ["JOB_STATE_INTERRUPTED"])  # fmt: skip
        line("4f", "SIGTERM during a training (was: > 5 s, SIGKILL)", f"stopped in {stopped:.1f} s, exit "
             f"{proc.returncode}", stopped < 5)  # fmt: skip


def finding_5(tmp: Path) -> None:
    with socket.socket() as frozen:  # accepts connections, never answers: a frozen server
        frozen.bind(("127.0.0.1", 0))
        frozen.listen()
        port = frozen.getsockname()[1]
        with Client(address=f"127.0.0.1:{port}", inference_timeout=3.0) as client:
            started = time.monotonic()
            try:
                client.generate("0123456789abcdef")
                outcome = "answered?"
            except ClientError as exc:
                outcome = f"{exc.code} after {time.monotonic() - started:.1f} s: '{exc.message[:60]}'"
        line(
            "5a", "Generate on a frozen server (was: waits forever)", outcome, "DEADLINE_EXCEEDED" in outcome
        )
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with Client(address=f"127.0.0.1:{port}") as client:
        try:
            client.server_info()
            outcome = "answered?"
        except ClientError as exc:
            outcome = f"{exc.code}: '{exc.message[:70]}'"
    line("5b", "nothing listening: told apart from a deadline", outcome, outcome.startswith("UNAVAILABLE"))
    s = ConnectionSettings()
    line("5a", "default deadlines (info / inference / transfer / training)",
         f"{s.timeout:g} s / {s.inference_timeout:g} s / {s.transfer_timeout:g} s / {s.training_timeout:g} s",
         all(x is not None for x in (s.timeout, s.inference_timeout, s.transfer_timeout)))  # fmt: skip


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="singan-recheck-") as name:
        tmp = Path(name)
        model_id, exported = finding_1(tmp)
        finding_1d(tmp)
        large_layer(tmp)
        finding_2(tmp, model_id, exported)
        finding_3(tmp)
        finding_4(tmp, model_id, exported)
        finding_5(tmp)
    print(f"{sum(RESULTS)} of {len(RESULTS)} checks as intended")
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
