#!/usr/bin/env bash
# The README's main command: set up the project-local .venv/, start singan-server on loopback, train the
# bundled sample with the fast preset through the pure-Python client, fetch samples, stop the server,
# print where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup-dev.sh
"${SINGAN_VENV:-.venv}/bin/python" -m singan_demo --preset fast "$@"
echo "Run the commands yourself with ${SINGAN_VENV:-.venv}/bin/singan and ${SINGAN_VENV:-.venv}/bin/singan-server, or after 'source ${SINGAN_VENV:-.venv}/bin/activate'." >&2
