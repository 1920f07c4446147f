"""Shared fixtures: the read-only ../shared data, the real Armenian model (fetched once, cached), tmp data.

Tests that need ../shared skip with a reason when it is absent, except under CI=true, where a missing file is
a failure: CI must never go green by skipping the parity tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYDS_SHARED", REPO.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The test model cache outlives a run (the model is 47 MB and fetched with pip).
TEST_CACHE = Path(os.environ.get("PYDS_TEST_CACHE", Path.home() / ".cache" / "pyds-tests"))

ARMSPEECH_SDIST = "armspeech==0.1.4"
ARMSPEECH_MODEL_SHA256 = "3b834da11f2d0a1a5079b44dd5d5da2b1955dec56474ba11b4c3793e934787bc"


def missing(reason: str) -> None:
    """Skip, or fail under CI=true, because test data or a test prerequisite is not there (also at module level)."""
    if IN_CI:
        pytest.fail(f"required test data missing in CI: {reason}")
    pytest.skip(reason, allow_module_level=True)


def import_or_missing(module: str, hint: str) -> Any:
    """``import module``, or ``missing()`` (skip; fail under CI=true) naming how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing(f"the {module} module is needed ({hint}): {exc}")


def levenshtein(a: str, b: str) -> int:
    """Edit distance between two sequences (characters of transcripts): the CER numerator."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def shared_path(relative: str) -> Path:
    """A file or folder under ../shared, or skip/fail with the path in the reason."""
    path = SHARED / relative
    if not path.exists():
        missing(f"{path} not found (../shared is the team's read-only data; set PYDS_SHARED)")
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_path("")


def fetch_armenian_model() -> Path:
    """The Coqui STT Armenian model.tflite from the PyPI sdist armspeech==0.1.4, fetched once with pip.

    Goes through pyds's own model registry (pip download, sha256 check, atomic rename), into the test cache.
    """
    from pyds import models
    from pyds.errors import ModelNotFoundError

    try:
        files = models.fetch("armspeech-hy", scorer=False, cache=TEST_CACHE / "registry", progress=False)
    except ModelNotFoundError as exc:
        missing(f"cannot fetch {ARMSPEECH_SDIST} with pip: {exc}")
    path = files["acoustic"]
    assert models.REGISTRY["armspeech-hy"].acoustic.sha256 == ARMSPEECH_MODEL_SHA256
    return path


@pytest.fixture(scope="session")
def armenian_tflite() -> Path:
    """Path of the real Armenian model.tflite (hybrid int8, 41 classes)."""
    return fetch_armenian_model()


def _converter_fingerprint() -> str:
    """A hash of the installed converter's sources: a cached bundle is reused only by the same converter."""
    import hashlib

    import pyds

    h = hashlib.sha256(pyds.__version__.encode())
    root = Path(pyds.__file__).parent
    for path in sorted([root / "bundle.py", *(root / "convert").rglob("*.py")]):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def armenian_bundle(armenian_tflite: Path) -> Path:
    """The Armenian model converted by pyds-convert (default settings), cached across runs per converter."""
    from pyds.convert import convert_model

    target = TEST_CACHE / "bundles" / f"armspeech-{_converter_fingerprint()}"
    if not (target / "pyds.json").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            built = convert_model(armenian_tflite, Path(tmp) / "bundle")
            try:
                os.replace(built, target)
            except OSError:
                if not (target / "pyds.json").is_file():  # not a concurrent run that won the race
                    raise
    return target


def run_in_threads(work, items) -> None:
    """Runs work(item) for every item, each on its own thread, all at once; re-raises the first exception (a
    thread's exception would otherwise be lost)."""
    import threading

    errors: list[BaseException] = []

    def guarded(item) -> None:
        try:
            work(item)
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]

@pytest.fixture(scope="session")
def cc() -> str:
    """The C compiler the C ABI tests build their programs with."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        missing("no C compiler (cc) on PATH")
    return compiler


# A locale whose decimal point is a comma: C's strtod/printf follow it once a process calls setlocale.
DECIMAL_COMMA_LOCALE = "de_DE.UTF-8"


def _locale_works(name: str) -> bool:
    """True when a process can switch to locale ``name`` and its decimal point is then a comma.

    Asked in a new process: glibc reads its locale archive once, so this one would not see a locale generated
    after its first look-up."""
    probe = (
        "import locale, sys; locale.setlocale(locale.LC_ALL, sys.argv[1]); "
        "assert locale.localeconv()['decimal_point'] == ','"
    )
    return subprocess.run([sys.executable, "-c", probe, name], capture_output=True).returncode == 0


def _generate_locale(name: str) -> str:
    """Generate ``name`` as Debian does (needs root): the locales package, its line in /etc/locale.gen, locale-gen.

    Returns what failed ("" when every step ran)."""
    if os.geteuid() != 0:
        return "not root"
    quiet = {"capture_output": True, "text": True, "timeout": 600}
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if shutil.which("locale-gen") is None:
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "locales"]):
            done = subprocess.run(cmd, env=env, **quiet)
            if done.returncode != 0:
                return f"{' '.join(cmd)}: {done.stderr.strip()[-300:]}"
    gen = Path("/etc/locale.gen")
    line = f"{name} {name.split('.')[-1]}"
    text = gen.read_text() if gen.is_file() else ""
    lines = [line if raw.lstrip("# ").strip() == line else raw for raw in text.splitlines()]
    if line not in lines:
        lines.append(line)
    gen.write_text("\n".join(lines) + "\n")
    done = subprocess.run(["locale-gen"], **quiet)
    return "" if done.returncode == 0 else f"locale-gen: {done.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def decimal_comma_locale() -> str:
    """The name of an installed decimal-comma locale (de_DE.UTF-8), generated first when it is missing."""
    if not _locale_works(DECIMAL_COMMA_LOCALE):
        failed = _generate_locale(DECIMAL_COMMA_LOCALE)
        if not _locale_works(DECIMAL_COMMA_LOCALE):
            missing(f"locale {DECIMAL_COMMA_LOCALE} is not installed and cannot be generated ({failed or 'no effect'})")
    return DECIMAL_COMMA_LOCALE
