#!/usr/bin/env bash
# Smoke test of pyds on one Python, as a new user installs it:
#
#   scripts/smoke.sh PYTHON [WORK_DIR]
#
# 1. a clean clone of this repository's HEAD, installed into a fresh venv of PYTHON (pip's cache is used; the
#    build runs with CMAKE_BUILD_PARALLEL_LEVEL=2 unless set);
# 2. the shipped test model (the Coqui Armenian .tflite), fetched through pyds.models as tests/conftest.py
#    does (into $PYDS_TEST_CACHE, default ~/.cache/pyds-tests), converted with pyds-convert;
# 3. examples/hy-sample.wav transcribed with the pyds command;
# 4. the C and C++ examples (src/cpp/examples) built with CMake against the installed package, and the C
#    client run on the same bundle and sample: its transcript must be the pyds command's.
#
# Prints each step's wall time, then `transcript: TEXT` as its last line. Exits non-zero on any failure.
# WORK_DIR (default: a new temporary directory, removed at the end) holds the clone, venv and builds.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 PYTHON [WORK_DIR]" >&2
  exit 2
fi
PYTHON=$1
REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ge 2 ]; then
  WORK=$2
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/pyds-smoke.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
export PIP_DISABLE_PIP_VERSION_CHECK=1
# The interpreter must run pyds's own code, not anything from the caller's environment.
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV

version=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
step_start=0
step() {
  step_start=$EPOCHREALTIME
  printf '[smoke %s] %s\n' "$version" "$1" >&2
}
done_step() {
  awk -v v="$version" -v a="$step_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "[smoke %s]   %.1f s\n", v, b - a }' >&2
}

step "clean clone of $REPO"
rm -rf "$WORK/src"
git clone --quiet --no-local "$REPO" "$WORK/src"
done_step

step "fresh venv and pip install (builds the C++ core)"
rm -rf "$WORK/venv"
"$PYTHON" -m venv "$WORK/venv"
VENV_PY="$WORK/venv/bin/python"
"$VENV_PY" -m pip install -q "$WORK/src"
done_step

step "fetch the test model through pyds.models and convert it"
MODEL=$(cd "$WORK" && "$VENV_PY" -c '
import os, sys
from pathlib import Path
from pyds import models
cache = Path(os.environ.get("PYDS_TEST_CACHE", Path.home() / ".cache" / "pyds-tests"))
print(models.fetch("armspeech-hy", scorer=False, cache=cache / "registry", progress=False)["acoustic"])
')
rm -rf "$WORK/bundle"
"$WORK/venv/bin/pyds-convert" "$MODEL" -o "$WORK/bundle" >&2
done_step

step "transcribe examples/hy-sample.wav"
text=$(cd "$WORK" && "$WORK/venv/bin/pyds" transcribe "$WORK/src/examples/hy-sample.wav" --model "$WORK/bundle")
if [ -z "$text" ]; then
  echo "smoke: empty transcript from the pyds command" >&2
  exit 1
fi
done_step

step "build the C/C++ examples against the installed package and run the C client"
CMAKE=$(command -v cmake || true)
if [ -z "$CMAKE" ]; then
  "$VENV_PY" -m pip install -q cmake
  CMAKE="$WORK/venv/bin/cmake"
fi
CMAKE_DIR=$("$VENV_PY" -c 'import pyds; print(pyds.get_cmake_dir())')
rm -rf "$WORK/examples"
"$CMAKE" -S "$WORK/src/src/cpp/examples" -B "$WORK/examples" -DCMAKE_BUILD_TYPE=Release -Dpyds_DIR="$CMAKE_DIR" >/dev/null
"$CMAKE" --build "$WORK/examples" >/dev/null
c_text=$("$WORK/examples/deepspeech_client" --model "$WORK/bundle" --audio "$WORK/src/examples/hy-sample.wav" | tail -n 1)
if [ "$c_text" != "$text" ]; then
  printf 'smoke: the C client says %q, the pyds command %q\n' "$c_text" "$text" >&2
  exit 1
fi
done_step

echo "python: $version"
echo "transcript: $text"
