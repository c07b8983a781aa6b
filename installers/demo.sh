#!/usr/bin/env bash
# The README's main command: install, start singan-server on loopback, train the bundled sample with the
# fast preset through the pure-Python client, fetch samples, stop the server, print where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup-dev.sh
PY=${PYTHON:-python3}
exec "$PY" -m inference_server.demo --preset fast "$@"
