"""Release checks: pyds on every supported Python, and the manylinux wheel.

* ``scripts/smoke.sh PYTHON`` on each supported CPython other than the one running the suite (the classifiers of
  pyproject.toml list them; interpreters are found on PATH as ``python3.X`` or under pyenv): a clean clone of HEAD
  installed into a fresh venv, the Armenian test model fetched through pyds.models and converted, the sample
  transcribed by the ``pyds`` command and by the C example built against the installed package. The transcript
  must be the one this Python's pyds gives for the same model and sample.
* ``scripts/build_wheel.sh`` builds the auditwheel-repaired manylinux wheel, which is installed with
  ``--only-binary :all:`` into a fresh venv and transcribes the sample.

Each builds the C++ core from scratch (minutes): marked slow; CI runs them. They test committed code (a clone of
HEAD): commit before running them on a change.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib
from conftest import REPO, TEST_CACHE, missing

SAMPLE = REPO / "examples" / "hy-sample.wav"
BUILD_TIMEOUT_S = 1800


def supported_pythons() -> list[tuple[int, int]]:
    """The CPython versions pyproject.toml's classifiers declare (requires-python is their floor)."""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    versions = []
    for classifier in meta["classifiers"]:
        match = re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", classifier)
        if match:
            versions.append((3, int(match.group(1))))
    return sorted(versions)


def _runs_as(python: str, version: tuple[int, int]) -> bool:
    """``python`` starts and is CPython ``version`` (a pyenv shim of an inactive version does not start)."""
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == f"{version[0]}.{version[1]}"


def find_python(version: tuple[int, int]) -> str | None:
    """An interpreter of ``version``: ``python3.X`` on PATH, else the newest pyenv build of it."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    builds = sorted(
        glob.glob(str(root / "versions" / f"{version[0]}.{version[1]}.*" / "bin" / "python3")),
        key=lambda p: [int(x) for x in re.findall(r"\d+", Path(p).parents[1].name)],
    )
    candidates = [shutil.which(f"python{version[0]}.{version[1]}"), *reversed(builds)]
    return next((c for c in candidates if c and _runs_as(c, version)), None)


# The CPythons the pinned openvino wheel (2026.4.1) is published for: those present are smoke-tested too, so a
# newer one (3.14) is tried wherever it is installed before the classifiers claim it.
OPENVINO_WHEEL_PYTHONS = [(3, minor) for minor in range(10, 15)]
# Smoke-tested: every declared version (missing ones fail under CI) and every other present one of the above.
OTHER_PYTHONS = {
    f"{v[0]}.{v[1]}": python
    for v in sorted(set(supported_pythons()) | set(OPENVINO_WHEEL_PYTHONS))
    if v != tuple(sys.version_info[:2])
    for python in [find_python(v)]
    if python is not None or v in supported_pythons()
}


def _run(cmd: list[str], *, cwd: Path | None = None, **env_vars: str) -> subprocess.CompletedProcess:
    """Run ``cmd`` outside this venv (no PYTHONPATH/VIRTUAL_ENV), with ``env_vars`` added to the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    env["PYDS_TEST_CACHE"] = str(TEST_CACHE)
    env.update(env_vars)
    return subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL
    )


def _tail(done: subprocess.CompletedProcess, n: int = 40) -> str:
    return "\n".join((done.stdout + done.stderr).strip().splitlines()[-n:])


@pytest.fixture(scope="module")
def expected_transcript(armenian_bundle: Path) -> str:
    """The sample's transcript by this interpreter's pyds command on the test model."""
    done = _run([sys.executable, "-m", "pyds", "transcribe", str(SAMPLE), "--model", str(armenian_bundle)])
    assert done.returncode == 0, _tail(done)
    text = done.stdout.strip()
    assert text, "empty transcript of the sample"
    return text


def test_supported_pythons_match_requires_python():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    floor = tuple(int(x) for x in re.fullmatch(r">=(\d+)\.(\d+)", meta["requires-python"]).groups())
    versions = supported_pythons()
    assert versions[0] == floor and tuple(sys.version_info[:2]) in versions
    assert versions == [(3, m) for m in range(floor[1], versions[-1][1] + 1)]  # no gaps
    assert set(versions) <= set(OPENVINO_WHEEL_PYTHONS)  # each has the pinned openvino wheel
    # ruff checks the code for the oldest of them.
    ruff = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["target-version"] == f"py3{floor[1]}"


def test_ci_has_another_python_to_smoke():
    """The smoke set must cover something: under CI at least one other supported Python is present."""
    if not any(OTHER_PYTHONS.values()):
        missing(f"no other supported Python found (looked for {', '.join(OTHER_PYTHONS)})")


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(OTHER_PYTHONS))
def test_smoke_on_python(version, expected_transcript, tmp_path):
    python = OTHER_PYTHONS[version]
    if python is None:  # a version the classifiers declare: CI must have it
        missing(f"Python {version} is not installed (python{version} on PATH or under pyenv)")
    done = _run(["bash", str(REPO / "scripts" / "smoke.sh"), python, str(tmp_path / "smoke")])
    sys.stderr.write(done.stderr)  # the step timings, shown with -s or on failure
    assert done.returncode == 0, _tail(done)
    lines = done.stdout.strip().splitlines()
    assert lines[-2] == f"python: {version}." + lines[-2].rsplit(".", 1)[-1]
    assert lines[-1] == f"transcript: {expected_transcript}"
    shutil.rmtree(tmp_path / "smoke")  # the clone, venv and builds (~0.5 GB); kept when the test fails


@pytest.mark.slow
def test_manylinux_wheel_installs_binary_only_and_transcribes(expected_transcript, armenian_bundle, tmp_path):
    out = tmp_path / "dist"
    done = _run(["bash", str(REPO / "scripts" / "build_wheel.sh"), str(out)], PYTHON=sys.executable)
    assert done.returncode == 0, _tail(done)
    wheel = Path(done.stdout.strip().splitlines()[-1])
    assert wheel.parent == out and wheel.is_file()
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert re.fullmatch(rf"pyds-[0-9.]+-{tag}-{tag}-manylinux_2_\d+_x86_64(\.manylinux\w+)*\.whl", wheel.name)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "pyds/libpyds.so" in names and any(n.startswith("pyds/_core.") for n in names)
    assert not [n for n in names if "libopenvino" in n or "libtbb" in n]  # excluded: the openvino wheel's

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    py = venv / "bin" / "python"
    done = _run([str(py), "-m", "pip", "install", "-q", "--only-binary", ":all:", str(wheel)])
    assert done.returncode == 0, _tail(done)
    # The libraries resolve openvino from the venv's openvino wheel (RPATH $ORIGIN/../openvino/libs).
    site = Path(_run([str(py), "-c", "import pyds, os; print(os.path.dirname(pyds.__file__))"]).stdout.strip())
    assert site.parent == Path(
        _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    ldd = _run(["ldd", str(site / "libpyds.so")])
    ov = re.search(r"libopenvino\.so\S* => (\S+)", ldd.stdout)
    assert ov and Path(ov.group(1)).resolve().parent == (site.parent / "openvino" / "libs").resolve(), ldd.stdout
    code = "import sys, pyds; print(pyds.transcribe(sys.argv[1], model=sys.argv[2]))"
    done = _run([str(py), "-c", code, str(SAMPLE), str(armenian_bundle)], cwd=tmp_path)
    assert done.returncode == 0, _tail(done)
    assert done.stdout.strip() == expected_transcript
    shutil.rmtree(venv)


@pytest.mark.slow
def test_unsupported_python_is_refused_with_a_clear_message(tmp_path):
    """pip on a Python below requires-python says so (not: no openvino wheel for the build requirements)."""
    python = find_python((3, 9))
    if python is None:
        pytest.skip("no Python 3.9 here to try")
    done = _run([python, "-m", "pip", "install", "--dry-run", "--no-deps", str(REPO)], cwd=tmp_path)
    assert done.returncode != 0
    assert "requires a different Python" in done.stderr and ">=3.10" in done.stderr, _tail(done)
