"""pyds: speech-to-text for Mozilla DeepSpeech and Coqui STT models on the OpenVINO runtime."""

from __future__ import annotations

from pathlib import Path

from .errors import (
    ConversionError,
    InvalidAlphabetError,
    InvalidArgumentError,
    InvalidAudioError,
    InvalidModelError,
    InvalidScorerError,
    ModelNotFoundError,
    PydsError,
    PydsRuntimeError,
)


def _preload_openvino() -> None:
    """Load the openvino wheel's runtime library by path when the RPATH does not reach it.

    The core's RPATH points at ``site-packages/openvino/libs`` beside pyds. When openvino lives in another
    site-packages (a venv with --system-site-packages, a user site), find it without importing it and load its
    libraries globally so the core's dependencies resolve.
    """
    import ctypes
    import importlib.util

    spec = importlib.util.find_spec("openvino")
    if spec is None or not spec.submodule_search_locations:
        return
    libs = Path(next(iter(spec.submodule_search_locations))) / "libs"
    for pattern in ("libtbb.so.*", "libopenvino.so.*"):
        for lib in sorted(libs.glob(pattern)):
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)


try:
    try:
        from . import _core
    except ImportError as first:
        if "libopenvino" not in str(first) and "libtbb" not in str(first):
            raise
        _preload_openvino()
        from . import _core
except ImportError as exc:  # a broken build must say where it looked, not fail later with AttributeError
    raise ImportError(
        f"pyds: cannot load its C++ core from {Path(__file__).parent} ({exc}). "
        "Reinstall with `pip install .`; the core needs the exact openvino release it was built against."
    ) from exc

from . import audio, decoder, features, formats, models, reference, vad
from .decoder import Token, Transcript
from .model import Model, Stream, load_wav, transcribe

__version__: str = _core.__version__

__all__ = [
    "__version__",
    "audio",
    "decoder",
    "features",
    "formats",
    "models",
    "vad",
    "reference",
    "Model",
    "Stream",
    "Token",
    "Transcript",
    "transcribe",
    "load_wav",
    "get_include",
    "get_lib_dir",
    "get_cmake_dir",
    "PydsError",
    "InvalidArgumentError",
    "InvalidAudioError",
    "InvalidModelError",
    "InvalidScorerError",
    "InvalidAlphabetError",
    "ConversionError",
    "ModelNotFoundError",
    "PydsRuntimeError",
]


def get_include() -> str:
    """Directory holding the public C/C++ headers (``pyds/...``) for apps that embed the core."""
    return str(Path(__file__).parent / "include")


def get_lib_dir() -> str:
    """Directory holding ``libpyds.so`` and the DeepSpeech/Coqui drop-ins ``libdeepspeech.so``/``libstt.so``
    (put it on ``LD_LIBRARY_PATH`` to run an app built against the original libraries)."""
    return str(Path(__file__).parent)


def get_cmake_dir() -> str:
    """Directory holding ``pydsConfig.cmake`` for ``find_package(pyds CONFIG)``."""
    return str(Path(__file__).parent / "cmake")
