"""Issue 18: a seeded fuzz run over every RPC of a real singan-server (bench/fuzz_server.py, about half a
minute here): only the expected statuses, never INTERNAL or UNKNOWN, the server alive afterwards and its
peak RSS within its start RSS plus its memory budget."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from singan_api import singan_pb2 as pb

FUZZ = Path(__file__).resolve().parents[2] / "bench" / "fuzz_server.py"
EXPECTED = {
    "OK",
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ALREADY_EXISTS",
}


def test_fuzzing_every_rpc_gives_only_expected_statuses() -> None:
    proc = subprocess.run(
        [sys.executable, str(FUZZ), "--cases", "1500", "--seed", "7", "--max-memory-gb", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["bad"] == [] and summary["internal"] == 0, summary["bad"]
    assert set(summary["by_code"]) <= EXPECTED, summary["by_code"]
    assert set(summary["by_rpc"]) == set(pb.DESCRIPTOR.services_by_name["SinGAN"].methods_by_name)
    assert summary["alive"] and summary["peak_rss"] <= summary["start_rss"] + summary["budget"]
    assert proc.returncode == 0, proc.stderr[-2000:]
