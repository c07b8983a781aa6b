#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up (the project-local .venv/), lint, unit + integration +
# host tests. Extra arguments go to pytest, e.g. `bash tests/run.sh tests/unit -k pyramid`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup-dev.sh
PY=${SINGAN_VENV:-.venv}/bin/python
PY=$PY bash installers/setup-hosts.sh
echo "== ruff"
"$PY" -m ruff check .
"$PY" -m ruff format --check .
echo "== pytest"
"$PY" -m pytest -q -ra tests "$@"
