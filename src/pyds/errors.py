"""pyds exceptions. The C++ core raises these too: each C++ error kind maps onto one class here."""

from __future__ import annotations

__all__ = [
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


class PydsError(Exception):
    """Base class of every error pyds raises on purpose."""


class InvalidArgumentError(PydsError, ValueError):
    """A parameter is out of range or inconsistent with the others."""


class InvalidAudioError(PydsError, ValueError):
    """Audio the model cannot take: NaN/Inf samples, a wrong sample rate, an undecodable file."""


class InvalidModelError(PydsError, ValueError):
    """A model file or bundle that is corrupt, inconsistent with its IR, or of an unknown kind."""


class InvalidScorerError(PydsError, ValueError):
    """A .scorer, KenLM, ARPA or vocabulary file that is corrupt or does not fit the model."""


class InvalidAlphabetError(PydsError, ValueError):
    """An alphabet file or serialized alphabet that cannot be parsed, or text it cannot encode."""


class ConversionError(PydsError, ValueError):
    """pyds-convert could not turn a source model into a bundle."""


class ModelNotFoundError(PydsError, FileNotFoundError):
    """A model, scorer or alphabet path that does not exist, or a registry name that is unknown."""


class PydsRuntimeError(PydsError, RuntimeError):
    """Inference or an internal step failed."""
