"""The committed type stubs of the extension match what pybind11-stubgen makes of the installed build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "generate_stubs.py"


def test_core_stub_is_up_to_date():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, (
        "src/pyds/_core.pyi is stale: run `python scripts/generate_stubs.py` after `pip install .`\n"
        + done.stdout[-4000:]
        + done.stderr[-2000:]
    )


def test_stub_ships_with_the_package():
    import pyds

    package = Path(pyds.__file__).parent
    assert (package / "_core.pyi").is_file() and (package / "py.typed").is_file()
