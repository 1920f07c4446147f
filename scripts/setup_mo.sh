#!/usr/bin/env bash
# OpenVINO's legacy Model Optimizer (`mo`) for `pyds-convert --backend mo`, in a venv of its own:
#
#   scripts/setup_mo.sh VENV        then: export PYDS_MO=VENV/bin/mo
#
# `mo` left OpenVINO in 2025: openvino-dev 2024.6.0 with its tensorflow2 extra is the last release that has it,
# and it cannot share a venv with pyds's openvino 2026. Python: $MO_PYTHON, else python3.11 (PATH or pyenv),
# which its TensorFlow supports. A VENV whose mo already runs is kept (CI reuses it between runs); pip's cache
# makes a rebuild cheap.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 VENV" >&2
  exit 2
fi
VENV=$1
REQUIREMENT="openvino-dev[tensorflow2]==2024.6.0"

if [ -x "$VENV/bin/mo" ] && "$VENV/bin/python" -c 'import openvino.tools.mo, tensorflow' >/dev/null 2>&1; then
  echo "mo: $VENV/bin/mo (kept)" >&2
  exit 0
fi
PY=${MO_PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in "$(command -v python3.11 || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11.*/bin/python3; do
    # a pyenv shim of an inactive version is on PATH but does not start
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
      PY=$candidate
      break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "setup_mo: no Python 3.11 found (set MO_PYTHON)" >&2
  exit 1
fi
rm -rf "$VENV"
"$PY" -m venv "$VENV"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q "$REQUIREMENT"
"$VENV/bin/mo" --version >&2
echo "mo: $VENV/bin/mo" >&2
