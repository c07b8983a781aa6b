"""The prepared GPU check (issue 19) in ``--smoke`` mode: ``bench/gpu.sh`` and ``bench/gpu_results.py``
run end to end on the CPU at tiny sizes, so that the script cannot fail on the GPU machine for a typo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from singan_core.checkpoint import save_checkpoint
from singan_core.imageio import decode_image

REPO = Path(__file__).resolve().parents[2]
ROWS = (
    "paper, fp32",
    "paper, bf16 autocast (the preset",
    "paper, bf16 autocast, timed",
    "paper, bf16 + torch.compile",
    "paper, bf16 + compile + CUDA graphs",
    "fast (160 px, bf16)",
)
SAMPLES = 6


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("gpu")
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", "bench/gpu.sh", "--smoke", "--samples", str(SAMPLES)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return out, proc.stdout


def _table(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_smoke_prints_one_table_with_every_row_measured(smoke_run):
    out, stdout = smoke_run
    assert "4 tests collected" in stdout  # the CUDA unit tests exist and import (they need CUDA to run)
    table = _table(stdout)
    assert table[0].startswith("| row | how |") and len(table) == 2 + len(ROWS)
    for name, line in zip(ROWS, table[2:], strict=True):
        assert line.startswith(f"| {name}"), line
        assert "failed" not in line and "not run" not in line and "did not finish" not in line, line
        cells = [c.strip() for c in line.strip("|").split("|")]
        per_it = [float(v) for v in cells[3].split(" / ") if v != "-"]
        assert len(per_it) >= 2 and all(v > 0 for v in per_it), line
        assert "min" in cells[4] and "MiB" in cells[6], line
    assert "**" in table[3] and "measured" in table[3]  # the paper preset trained end to end
    assert (out / "table.md").read_text().strip() == "\n".join(table)
    assert "bench/gpu.sh: unit tests rc 0, bench/gpu.py rc 0" in (out / "gpu.log").read_text()


def test_smoke_results_file_unpacks_to_samples_from_n_and_n_minus_1(smoke_run):
    sys.path.insert(0, str(REPO / "bench"))
    from gpu_pack import read_results

    out, _ = smoke_run
    assert zipfile.is_zipfile(out / "gpu-results.zip") and (out / "paper-gpu.singan").is_file()
    meta, real_png, samples = read_results(out / "gpu-results.zip")
    real = decode_image(real_png)
    assert sorted(samples) == ["N", "N-1"] and all(len(v) == SAMPLES for v in samples.values())
    first = [decode_image(b) for b in samples["N"]]
    assert all(s.shape == real.shape for s in first)
    assert np.stack(first).astype(float).std(axis=0).mean() > 1.0  # different samples, not copies
    assert meta["smoke"] and meta["model_id"] and meta["config"]["preset"] == "paper"
    assert len(meta["rows"]) == len(ROWS) and _table(meta["table"]) == _table((out / "table.md").read_text())


def test_second_half_measures_gpu_samples_against_a_cpu_model(smoke_run, tmp_path):
    out, _ = smoke_run
    report = tmp_path / "quality.json"
    proc = subprocess.run(
        [
            sys.executable,
            "bench/gpu_results.py",
            str(out / "gpu-results.zip"),
            "--smoke",
            "--json",
            str(report),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = json.loads(report.read_text())["rows"]
    assert [r["model"].split(" ")[0] for r in rows] == ["GPU-trained", "CPU-trained"]
    for r in rows:
        assert set(r["sifid"]) == {"N", "N-1"} and all(v["n"] == SAMPLES for v in r["sifid"].values())
        assert all(np.isfinite(v["mean"]) and v["mean"] >= 0 for v in r["sifid"].values())
        assert all(0 < d < 5 for d in r["diversity"].values())
    # both halves ran on this CPU with one config and seed: the "GPU" model is the CPU model
    assert rows[0]["sifid"] == rows[1]["sifid"]
    assert "| GPU-trained" in proc.stdout and "SIFID N, GPU over CPU: 1.00" in proc.stdout
    assert (out / "paper-cpu.singan").is_file()  # saved beside the results for the next run


def test_second_half_refuses_a_cpu_model_of_other_settings(smoke_run, tiny_model, tmp_path):
    out, _ = smoke_run
    other = tmp_path / "other.singan"
    save_checkpoint(tiny_model, other)
    cmd = [sys.executable, "bench/gpu_results.py", str(out / "gpu-results.zip"), "--cpu-model", str(other)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "other settings than the GPU run" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    missing = subprocess.run(
        [sys.executable, "bench/gpu_results.py", str(tmp_path / "none.zip")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2 and "no such results file" in missing.stderr


def test_without_cuda_the_real_run_stops_at_once_with_one_line(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": sys.executable, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        ["bash", "bench/gpu.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stdout
    assert "bench/gpu.sh: CUDA is not available" in proc.stdout and "Traceback" not in proc.stdout
    assert "pytest" not in proc.stdout and not (tmp_path / "gpu-results.zip").exists()
    direct = subprocess.run(
        [sys.executable, "bench/gpu.py", "--out", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert direct.returncode == 2 and "CUDA is not available" in direct.stderr
    assert len(direct.stderr.strip().splitlines()) == 1
