"""The C++ beam search under ASan + UBSan: tests/cpp/decoder_fuzz.cpp, compiled from the sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import missing

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "src" / "cpp"


@pytest.mark.slow
def test_decoder_fuzz_under_asan_ubsan(tmp_path: Path) -> None:
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        missing("no C++ compiler (g++ or c++) on PATH; building pyds needs one too")
    exe = tmp_path / "decoder_fuzz"
    cmd = [
        compiler, "-std=c++17", "-O1", "-g", "-fno-omit-frame-pointer",
        "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
        f"-I{SOURCES / 'include'}", f"-I{SOURCES}",
        str(REPO / "tests" / "cpp" / "decoder_fuzz.cpp"),
        *sorted(str(p) for p in (SOURCES / "decoder").glob("*.cpp")),
        str(SOURCES / "common" / "alphabet.cpp"),
        "-o", str(exe),
    ]  # fmt: skip
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert run.stdout.startswith("ok,"), run.stdout
