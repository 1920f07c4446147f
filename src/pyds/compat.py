"""DeepSpeech 0.9 / Coqui STT 1.4 Python module API over ``pyds.Model``: ``import pyds.compat as deepspeech``.

A script written for the ``deepspeech`` (or ``stt``) package runs unchanged after changing its import::

    import pyds.compat as deepspeech
    ds = deepspeech.Model("model.tflite")          # or .pb/.pbmm, or a pyds bundle directory
    ds.enableExternalScorer("kenlm.scorer")
    text = ds.stt(int16_samples)
    stream = ds.createStream()
    stream.feedAudioContent(chunk)
    print(stream.intermediateDecode())
    meta = stream.finishStreamWithMetadata(3)       # the stream is finished (and unusable) afterwards
    print(meta.transcripts[0].tokens[0].start_time)

Kept from the originals: the camelCase names and arguments, methods that returned a status code still return
one (``setBeamWidth``, ``disableExternalScorer``, ``setScorerAlphaBeta``: 0 on success), methods that raised
still raise, a finished stream raises on reuse, and a model has no scorer until ``enableExternalScorer``
(a bundle's own scorer is not enabled implicitly). Errors are ``DeepSpeechError`` (a ``RuntimeError``) with
the original message format and the numeric ``code`` of the C API (``ERROR_CODES``).
Not kept: explicit ``setScorerAlphaBeta(0.0, 0.0)`` sets zero weights (DeepSpeech's client dropped zeros);
audio may also be float32 in [-1, 1] or raw little-endian int16 ``bytes``; ``freeStream`` may be called twice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__ as _pyds_version
from . import _core
from . import errors as _errors
from .decoder import Transcript as _Transcript
from .model import Model as _Model
from .model import Stream as _Stream

__all__ = [
    "Model",
    "Stream",
    "Metadata",
    "CandidateTranscript",
    "TokenMetadata",
    "DeepSpeechError",
    "ERROR_CODES",
    "version",
    "errorCodeToErrorMessage",
]

#: API level this module reproduces (Coqui STT 1.4 = DeepSpeech 0.9 + the FlushBuffers calls).
API_VERSION = "1.4.0"

#: Error codes of the C API (DeepSpeech 0.9.3 ``DS_ERR_*`` = Coqui STT 1.4 ``STT_ERR_*``):
#: name -> (value, message). Generated from the C headers' one table (``PYDS_FOR_EACH_ERROR`` in stt_types.h).
ERROR_CODES: dict[str, tuple[int, str]] = {name: (value, message) for name, value, message in _core.C_ERROR_CODES}
_MESSAGES = {value: message for value, message in ERROR_CODES.values()}
_CODE = {name: value for name, (value, _) in ERROR_CODES.items()}
_UNKNOWN = _core.C_UNKNOWN_ERROR_MESSAGE

AudioLike = np.ndarray | bytes | bytearray | memoryview


def version() -> str:
    """``"1.4.0+pyds.<pyds version>"``: the API level, with pyds's version as SemVer build metadata."""
    return f"{API_VERSION}+pyds.{_pyds_version}"


def errorCodeToErrorMessage(code: int) -> str:  # noqa: N802 - the original API's name
    """The message of a C API error code."""
    return _MESSAGES.get(code, _UNKNOWN)


class DeepSpeechError(RuntimeError):
    """A failure with the C API's numeric error ``code``; the message reads as DeepSpeech's:
    ``"<Operation> failed with '<message>' (0x<code>)"``, followed by pyds's reason."""

    def __init__(self, operation: str, code: int, reason: str = "") -> None:
        self.code = code
        self.operation = operation
        self.reason = reason
        text = f"{operation} failed with '{errorCodeToErrorMessage(code)}' (0x{code:X})"
        super().__init__(f"{text}: {reason}" if reason else text)


def _model_code(exc: BaseException) -> int:
    """The C API's code for a model-loading failure (the same table as libpyds's C ABI)."""
    if isinstance(exc, (_errors.ModelNotFoundError, FileNotFoundError)):
        return _CODE["ERR_FAIL_INIT_MMAP"]
    if isinstance(exc, _errors.ConversionError):
        return _CODE["ERR_FAIL_READ_PROTOBUF"]
    if isinstance(exc, _errors.InvalidAlphabetError):
        return _CODE["ERR_INVALID_ALPHABET"]
    if isinstance(exc, _errors.InvalidModelError):
        return _CODE["ERR_MODEL_INCOMPATIBLE"]
    if isinstance(exc, _errors.PydsRuntimeError):
        return _CODE["ERR_FAIL_INIT_SESS"]
    return _CODE["ERR_FAIL_CREATE_MODEL"]


def _bundle_for(model_path: str) -> Path:
    """A bundle directory for what DeepSpeech's ``Model()`` accepts: a bundle, or a raw model file converted
    once into the model cache by ``pyds.models`` (whose layout and locks the C ABI shares)."""
    from .models import resolve

    path = Path(model_path).expanduser()
    if path.is_dir():
        if (path / "pyds.json").is_file():
            return path
        raise _errors.InvalidModelError(f"{path}: a directory without pyds.json is not a pyds model bundle")
    if not path.is_file():
        raise _errors.ModelNotFoundError(f"{path}: no such model file or directory")
    return Path(resolve(path))


def _samples(audio: AudioLike) -> np.ndarray:
    """int16 (or float32) mono samples: numpy arrays as they are, raw bytes as little-endian int16."""
    if isinstance(audio, (bytes, bytearray, memoryview)):
        return np.frombuffer(audio, dtype="<i2")
    array = np.asarray(audio)
    if array.dtype != np.int16 and array.dtype != np.float32:
        raise TypeError(f"audio must be int16 (or float32) samples, got dtype {array.dtype}")
    return np.ascontiguousarray(array.reshape(-1))


class TokenMetadata:
    """One output token: ``text`` (an alphabet label), ``timestep`` (20 ms frames), ``start_time`` (s)."""

    __slots__ = ("text", "timestep", "start_time")

    def __init__(self, text: str, timestep: int, start_time: float) -> None:
        self.text = text
        self.timestep = timestep
        self.start_time = start_time

    def __repr__(self) -> str:
        return f"TokenMetadata(text={self.text!r}, timestep={self.timestep}, start_time={self.start_time:.2f})"


class CandidateTranscript:
    """One candidate: ``tokens`` (a tuple of TokenMetadata) and ``confidence`` (the beam's log score)."""

    __slots__ = ("tokens", "confidence")

    def __init__(self, tokens: tuple[TokenMetadata, ...], confidence: float) -> None:
        self.tokens = tokens
        self.confidence = confidence

    def __repr__(self) -> str:
        text = "".join(t.text for t in self.tokens)
        return f"CandidateTranscript({text!r}, confidence={self.confidence:.4f})"


class Metadata:
    """The result of the ``*WithMetadata`` calls: ``transcripts``, best first."""

    __slots__ = ("transcripts",)

    def __init__(self, transcripts: tuple[CandidateTranscript, ...]) -> None:
        self.transcripts = transcripts

    def __repr__(self) -> str:
        return f"Metadata(transcripts={list(self.transcripts)!r})"


def _metadata(results: list[_Transcript]) -> Metadata:
    if not results:  # no live prefix: one empty candidate, as the originals give
        results = [_Transcript(text="", confidence=0.0, tokens=[])]
    return Metadata(
        tuple(
            CandidateTranscript(tuple(TokenMetadata(t.text, t.timestep, t.start_time) for t in r.tokens), r.confidence)
            for r in results
        )
    )


def _best_text(results: list[_Transcript]) -> str:
    return results[0].text if results else ""


class Stream:
    """A streaming recognition (DeepSpeech's ``Stream``); create it with ``Model.createStream()``."""

    def __init__(self, stream: _Stream) -> None:
        self._impl: _Stream | None = stream

    def _live(self) -> _Stream:
        if self._impl is None:
            raise DeepSpeechError(
                "Stream",
                _CODE["ERR_FAIL_CREATE_STREAM"],
                "Stream object is not valid. Trying to feed an already finished stream?",
            )
        return self._impl

    def _run(self, operation: str, call: Any) -> Any:
        try:
            return call()
        except _errors.PydsError as exc:
            raise DeepSpeechError(operation, _CODE["ERR_FAIL_RUN_SESS"], str(exc)) from exc

    def feedAudioContent(self, audio_buffer: AudioLike) -> None:  # noqa: N802
        """Feed 16-bit mono samples at the model's sample rate."""
        stream = self._live()
        samples = _samples(audio_buffer)
        self._run("FeedAudioContent", lambda: stream.feed_audio_content(samples))

    def intermediateDecode(self) -> str:  # noqa: N802
        """The current best transcript (audio still buffered is not included). The stream stays open."""
        stream = self._live()
        return self._run("IntermediateDecode", lambda: _best_text(stream.intermediate_decode_with_metadata(1)))

    def intermediateDecodeWithMetadata(self, num_results: int = 1) -> Metadata:  # noqa: N802
        """The ``num_results`` best transcripts so far, with token timing."""
        stream = self._live()
        return self._run(
            "IntermediateDecodeWithMetadata",
            lambda: _metadata(stream.intermediate_decode_with_metadata(num_results)),
        )

    def intermediateDecodeFlushBuffers(self) -> str:  # noqa: N802
        """Coqui 1.2+: like ``intermediateDecode`` but the buffered audio is run through the model first."""
        stream = self._live()
        return self._run(
            "IntermediateDecodeFlushBuffers", lambda: _best_text(stream.intermediate_decode_flush_buffers(1))
        )

    def intermediateDecodeWithMetadataFlushBuffers(self, num_results: int = 1) -> Metadata:  # noqa: N802
        """Coqui 1.2+: ``intermediateDecodeWithMetadata`` after flushing the buffered audio."""
        stream = self._live()
        return self._run(
            "IntermediateDecodeWithMetadataFlushBuffers",
            lambda: _metadata(stream.intermediate_decode_flush_buffers(num_results)),
        )

    def finishStream(self) -> str:  # noqa: N802
        """Flush, decode and close the stream; returns the final best transcript."""
        stream = self._live()
        self._impl = None
        return self._run("FinishStream", lambda: _best_text(stream.finish_stream_with_metadata(1)))

    def finishStreamWithMetadata(self, num_results: int = 1) -> Metadata:  # noqa: N802
        """Flush, decode and close the stream; returns the ``num_results`` best transcripts."""
        stream = self._live()
        self._impl = None
        return self._run("FinishStreamWithMetadata", lambda: _metadata(stream.finish_stream_with_metadata(num_results)))

    def freeStream(self) -> None:  # noqa: N802
        """Abandon the stream without decoding."""
        self._impl = None


class Model:
    """A DeepSpeech/Coqui model (DeepSpeech's ``Model``): ``model_path`` is a ``.tflite``/``.pb``/``.pbmm``
    file (converted once and cached) or a pyds bundle directory. Raises ``DeepSpeechError`` on failure."""

    def __init__(self, model_path: str | os.PathLike[str]) -> None:
        try:
            self._impl = _Model(_bundle_for(os.fspath(model_path)), scorer=False)  # DeepSpeech: no scorer yet
        except (_errors.PydsError, OSError) as exc:
            raise DeepSpeechError("CreateModel", _model_code(exc), str(exc)) from exc

    def beamWidth(self) -> int:  # noqa: N802
        """Beam width used by streams created from now on."""
        return self._impl.beam_width

    def setBeamWidth(self, beam_width: int) -> int:  # noqa: N802
        """Set the beam width; returns 0 (or the error code for a beam width of 0, as a status)."""
        try:
            self._impl.beam_width = beam_width
        except (_errors.PydsError, ValueError, TypeError):
            return _CODE["ERR_INVALID_SHAPE"]
        return 0

    def sampleRate(self) -> int:  # noqa: N802
        """The sample rate the model takes."""
        return self._impl.sample_rate

    def enableExternalScorer(self, scorer_path: str | os.PathLike[str]) -> None:  # noqa: N802
        """Use a ``.scorer`` (KenLM + vocabulary) with its default alpha/beta. Raises on any failure."""
        try:
            self._impl.enable_scorer(os.fspath(scorer_path))
        except (_errors.PydsError, OSError, ImportError, TypeError, ValueError) as exc:
            raise DeepSpeechError("EnableExternalScorer", _CODE["ERR_INVALID_SCORER"], str(exc)) from exc

    def disableExternalScorer(self) -> int:  # noqa: N802
        """Decode without a scorer; returns 0, or ``ERR_SCORER_NOT_ENABLED`` when there was none."""
        if not self._has_scorer():
            return _CODE["ERR_SCORER_NOT_ENABLED"]
        self._impl.disable_scorer()
        return 0

    def _has_scorer(self) -> bool:
        return bool(self._impl._core.has_scorer)

    def setScorerAlphaBeta(self, alpha: float, beta: float) -> int:  # noqa: N802
        """Language-model weight and word-insertion bonus (0.0 is honoured). Returns 0, or the status code
        ``ERR_SCORER_NOT_ENABLED`` without a scorer (``ERR_INVALID_SCORER`` for NaN/inf), as DeepSpeech."""
        if not self._has_scorer():
            return _CODE["ERR_SCORER_NOT_ENABLED"]
        try:
            self._impl.set_scorer_alpha_beta(float(alpha), float(beta))
        except (_errors.PydsError, ValueError):
            return _CODE["ERR_INVALID_SCORER"]
        return 0

    def _hot_word(self, operation: str, failure: str, call: Any) -> None:
        if not self._has_scorer():
            raise DeepSpeechError(operation, _CODE["ERR_SCORER_NOT_ENABLED"])
        try:
            call()
        except (_errors.PydsError, ValueError) as exc:
            raise DeepSpeechError(operation, _CODE[failure], str(exc)) from exc

    def addHotWord(self, word: str, boost: float) -> None:  # noqa: N802
        """Boost (or, negative, suppress) ``word``; needs a scorer. Raises when the word is already there."""
        self._hot_word("AddHotWord", "ERR_FAIL_INSERT_HOTWORD", lambda: self._impl.add_hot_word(word, float(boost)))

    def eraseHotWord(self, word: str) -> None:  # noqa: N802
        """Remove a hot word; raises when it is not there."""
        self._hot_word("EraseHotWord", "ERR_FAIL_ERASE_HOTWORD", lambda: self._impl.erase_hot_word(word))

    def clearHotWords(self) -> None:  # noqa: N802
        """Remove every hot word."""
        self._hot_word("ClearHotWords", "ERR_FAIL_CLEAR_HOTWORD", self._impl.clear_hot_words)

    def stt(self, audio_buffer: AudioLike) -> str:
        """Transcribe 16-bit mono samples at ``sampleRate()``; the best transcript."""
        samples = _samples(audio_buffer)
        try:
            return _best_text(self._impl.stt_with_metadata(samples, 1))
        except _errors.PydsError as exc:
            raise DeepSpeechError("SpeechToText", _CODE["ERR_FAIL_RUN_SESS"], str(exc)) from exc

    def sttWithMetadata(self, audio_buffer: AudioLike, num_results: int = 1) -> Metadata:  # noqa: N802
        """The ``num_results`` best transcripts, with per-token timing."""
        samples = _samples(audio_buffer)
        try:
            return _metadata(self._impl.stt_with_metadata(samples, num_results))
        except _errors.PydsError as exc:
            raise DeepSpeechError("SpeechToTextWithMetadata", _CODE["ERR_FAIL_RUN_SESS"], str(exc)) from exc

    def createStream(self) -> Stream:  # noqa: N802
        """A new streaming recognition with the current decoder settings."""
        try:
            return Stream(self._impl.create_stream())
        except _errors.PydsError as exc:
            raise DeepSpeechError("CreateStream", _CODE["ERR_FAIL_CREATE_STREAM"], str(exc)) from exc
