#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, lint, unit + integration + host tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup-dev.sh
bash installers/setup-hosts.sh
PY=${PYTHON:-python3}
echo "== ruff"
"$PY" -m ruff check .
"$PY" -m ruff format --check .
echo "== pytest"
"$PY" -m pytest -q -ra tests "$@"
