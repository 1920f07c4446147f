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

try:
    from . import _core
except ImportError as exc:  # a broken build must say where it looked, not fail later with AttributeError
    raise ImportError(
        f"pyds: cannot load its C++ core from {Path(__file__).parent} ({exc}). "
        "Reinstall with `pip install .`; the core needs the exact openvino release it was built against."
    ) from exc

from . import decoder, features
from .decoder import Token, Transcript

__version__: str = _core.__version__

__all__ = [
    "__version__",
    "decoder",
    "features",
    "Token",
    "Transcript",
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
    """Directory holding ``libpyds.so`` (and the OpenVINO libraries it links are found from there)."""
    return str(Path(__file__).parent)


def get_cmake_dir() -> str:
    """Directory holding ``pydsConfig.cmake`` for ``find_package(pyds CONFIG)``."""
    return str(Path(__file__).parent / "cmake")
