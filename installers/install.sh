#!/usr/bin/env bash
# One install for artists (Linux, macOS): finds a Python 3.10+ and runs installers/install.py with it.
#   bash installers/install.sh [install|uninstall|plan] [--krita-dir DIR] [--gimp-dir DIR] [--cpu|--cuda]
set -u
here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
for candidate in "${SINGAN_PYTHON:-}" python3.13 python3.12 python3.11 python3.10 python3 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
        exec "$candidate" "$here/install.py" "$@"
    fi
done
echo "install.sh: error: no Python 3.10 or newer (with its venv module) found: install Python from" \
    "python.org or your package manager (Debian/Ubuntu: sudo apt install python3 python3-venv)," \
    "or name one with SINGAN_PYTHON=/path/to/python3" >&2
exit 1
