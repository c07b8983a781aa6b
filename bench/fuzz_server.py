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
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from fuzz_requests import QUICK, Fuzzer  # bench/ is this script's folder: sys.path[0]
from google.protobuf import message, text_format

from singan_api import singan_pb2 as pb
from singan_api import singan_pb2_grpc

BAD_CODES = ("INTERNAL", "UNKNOWN", "UNAVAILABLE", "UNIMPLEMENTED", "DATA_LOSS")


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
