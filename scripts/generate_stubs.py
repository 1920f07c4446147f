"""Regenerate src/pyds/_core.pyi from the installed extension with pybind11-stubgen.

    python scripts/generate_stubs.py            # writes src/pyds/_core.pyi
    python scripts/generate_stubs.py --check    # exits 1 and prints a diff when the committed stub is stale

The docstrings live in the C++ bindings, so the stubs carry them. tests/test_stubs.py runs --check.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

STUB = Path(__file__).resolve().parents[1] / "src" / "pyds" / "_core.pyi"


def generate() -> str:
    """The stub text pybind11-stubgen produces for the installed pyds._core."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pybind11_stubgen", "pyds._core", "-o", tmp, "--exit-code"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"pybind11-stubgen failed:\n{done.stdout}\n{done.stderr}")
        return (Path(tmp) / "pyds" / "_core.pyi").read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed stub instead of writing")
    args = parser.parse_args()
    text = generate()
    if args.check:
        committed = STUB.read_text(encoding="utf-8") if STUB.exists() else ""
        if committed != text:
            sys.stdout.writelines(
                difflib.unified_diff(
                    committed.splitlines(True),
                    text.splitlines(True),
                    "committed _core.pyi",
                    "generated _core.pyi",
                )
            )
            return 1
        return 0
    tmp = STUB.with_suffix(".pyi.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(STUB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
