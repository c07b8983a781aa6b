#!/usr/bin/env bash
# The README's main command: install, then train the bundled sample with the fast preset and write samples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup-dev.sh
PY=${PYTHON:-python3}
OUT=${OUT_DIR:-out/demo}
mkdir -p "$OUT"
"$PY" -m singan_core.cli train singan_core/assets/balloons.png --preset fast --out "$OUT/balloons.fast.singan"
"$PY" -m singan_core.cli sample "$OUT/balloons.fast.singan" --n 8 --seed 1 --out "$OUT/samples"
"$PY" -m singan_core.cli sample "$OUT/balloons.fast.singan" --n 4 --seed 1 --scale-h 2 --out "$OUT/wide"
echo "outputs: $OUT/samples and $OUT/wide (model: $OUT/balloons.fast.singan)"
