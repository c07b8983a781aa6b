#!/usr/bin/env bash
# Installs what the host tests drive: Debian's Krita (with kritarunner and PyQt5) and GIMP 3 in a cached
# Debian trixie chroot (GIMP 2.10 on bookworm has no Python). Needs root and apt; says so loudly otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-${SINGAN_VENV:-.venv}/bin/python}
banner() { printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! %s\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' "$1" >&2; }

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  banner "host tests need root and apt-get to install Krita and build the GIMP 3 chroot; they will fail"
  exit 0
fi
if ! command -v kritarunner >/dev/null 2>&1 || ! command -v Xvfb >/dev/null 2>&1 \
    || ! /usr/bin/python3 -c "import PyQt5.QtCore" 2>/dev/null; then
  echo "== installing Krita and Xvfb (Debian packages; the window tests run Krita under Xvfb)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends krita python3-pyqt5 python3-sip xvfb >/dev/null \
    || banner "installing Krita failed: the Krita host tests will fail"
fi
echo "== GIMP 3 chroot" >&2
"$PY" tests/hosts/gimp_chroot.py build || banner "building the GIMP 3 chroot failed: the GIMP host tests will fail"
