#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up (the project-local .venv/), lint, unit + integration +
# host tests. Extra arguments go to pytest, e.g. `bash tests/run.sh tests/unit -k pyramid`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup-dev.sh
PY=${SINGAN_VENV:-.venv}/bin/python
# As `source .venv/bin/activate` would: the console scripts (singan, singan-server) come first on PATH.
export VIRTUAL_ENV="$(cd "$(dirname "$PY")/.." && pwd)" && export PATH="$VIRTUAL_ENV/bin:$PATH"
PY=$PY bash installers/setup-hosts.sh
echo "== ruff"
"$PY" -m ruff check .
"$PY" -m ruff format --check .
echo "== pytest"
"$PY" -m pytest -q -ra tests "$@"
