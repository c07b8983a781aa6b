#!/usr/bin/env bash
# The GPU check (issue 19) as one prepared script; see bench/README.md, section "GPU".
#
#   bash bench/gpu.sh                  on a machine with an NVIDIA GPU, from anywhere; results go to
#                                      $OUT (the device tool brings back what is written there), else
#                                      out/gpu: gpu-results.zip, paper-gpu.singan, table.md, gpu.log
#   bash bench/gpu.sh --smoke          the whole script on a CPU at tiny sizes (CI runs this)
#   bash bench/gpu.sh [--smoke] ARGS   ARGS go to bench/gpu.py (e.g. --samples 8, --iters 50)
#
# Needs python3 with torch (CUDA build), numpy, pillow, safetensors and pytest, nothing else: it
# installs nothing and reads nothing from the network. It fails in its first seconds when CUDA is
# missing. Wall-time budget: GPU_BUDGET_S seconds from its start (default 540), the unit tests
# included; bench/gpu.py fits its rows into what is left and says which it had to shorten or drop.
# Exit status: 0 when the CUDA unit tests passed and the paper preset's samples were written.
set -uo pipefail
T0=$(date +%s)
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SMOKE=()
BUDGET=${GPU_BUDGET_S:-540}
if [[ "${1:-}" == "--smoke" ]]; then
    SMOKE=(--smoke)
    BUDGET=${GPU_BUDGET_S:-3600}  # a busy CI machine must not squeeze rows out
    shift
fi
OUT_DIR=${OUT:-out/gpu}
mkdir -p "$OUT_DIR" || exit 2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

main() {
echo "== bench/gpu.sh ${SMOKE[*]} $(date -u +%FT%TZ) in $PWD"
"$PY" - "${SMOKE[@]}" <<'EOF'
import sys
missing = []
for name in ("torch", "numpy", "PIL", "safetensors", "pytest"):
    try:
        __import__(name)
    except ImportError:
        missing.append(name)
if missing:
    sys.exit(f"bench/gpu.sh: this python lacks {', '.join(missing)}; the script installs nothing")
import torch

if "--smoke" in sys.argv[1:]:
    print(f"smoke run on the CPU: torch {torch.__version__}")
elif not torch.cuda.is_available():
    sys.exit(
        f"bench/gpu.sh: CUDA is not available (torch {torch.__version__}, CUDA build {torch.version.cuda}); "
        "run it on a machine with an NVIDIA GPU, or check the script on a CPU with --smoke"
    )
else:
    print(
        f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"bf16 {torch.cuda.is_bf16_supported()}, {torch.cuda.device_count()} device(s)"
    )
EOF
[[ $? -eq 0 ]] || return 2

echo "== unit tests that apply on CUDA (pytest -m gpu)"
if [[ ${#SMOKE[@]} -gt 0 ]]; then
    # they need CUDA: here only check that they are collected
    "$PY" -m pytest -q -p no:cacheprovider --collect-only -m gpu tests/unit/test_gpu_cuda.py
else
    timeout 240 "$PY" -m pytest -q -p no:cacheprovider -m gpu -ra tests/unit/test_gpu_cuda.py
fi
TESTS_RC=$?

echo "== training and timing (bench/gpu.py)"
"$PY" bench/gpu.py "${SMOKE[@]}" --out "$OUT_DIR" --t0 "$T0" --budget-s "$BUDGET" "$@"
BENCH_RC=$?
echo "bench/gpu.sh: unit tests rc $TESTS_RC, bench/gpu.py rc $BENCH_RC, $(($(date +%s) - T0)) s; files in $OUT_DIR"
[[ $TESTS_RC -eq 0 && $BENCH_RC -eq 0 ]]
}

main "$@" 2>&1 | tee "$OUT_DIR/gpu.log"
exit "${PIPESTATUS[0]}"
