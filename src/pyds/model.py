"""The recognizer: ``pyds.Model`` (a compiled model plus decoder settings), its streams, and ``pyds.transcribe``.

The work happens in the C++ core (``pyds._core.Model``/``Stream``); this module resolves what the user names
(a registry name, a bundle directory or a raw DeepSpeech/Coqui model file) into a bundle, loads audio files,
and keeps the DeepSpeech-style API.
"""

from __future__ import annotations

import os
import threading
import wave
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from . import _core, formats
from .audio import as_samples
from .decoder import Transcript
from .errors import InvalidAudioError, ModelNotFoundError

if TYPE_CHECKING:
    from .bundle import Bundle

__all__ = ["Model", "Stream", "transcribe", "load_wav"]

PathLike = Union[str, "os.PathLike[str]"]


class Stream:
    """One utterance fed incrementally (DeepSpeech's streaming API). Create with ``Model.create_stream()``.

    ``feed_audio_content`` takes mono chunks of any size at the model's rate (any real dtype, see
    ``pyds.audio.as_samples``);
    ``intermediate_decode`` reads the current best result without changing anything; ``finish_stream``
    flushes the buffered audio and returns the final result, after which the stream is finished (``reset``
    starts a new utterance). One thread at a time per stream; streams of one model run in parallel.
    """

    def __init__(self, core: _core.Stream, model: Model) -> None:
        self._core = core
        self._model = model

    def feed_audio_content(self, chunk: np.ndarray) -> None:
        """Feed mono samples at the model's sample rate (int16, float32 in [-1, 1], or any real dtype converted
        by ``pyds.audio.as_samples``)."""
        self._core.feed_audio_content(as_samples(chunk, "chunk"))

    def intermediate_decode(self) -> str:
        """The best transcript of the audio decoded so far (audio still buffered is not included)."""
        return self._core.intermediate_decode()

    def intermediate_decode_with_metadata(self, num_results: int = 1) -> list[Transcript]:
        """The ``num_results`` best transcripts so far, with tokens and timings."""
        return self._model._transcripts(self._core.intermediate_decode_with_metadata(num_results))

    def intermediate_decode_flush_buffers(self, num_results: int = 1) -> list[Transcript]:
        """Coqui STT's flushing intermediate decode: the buffered audio is run through the model first.

        One feature frame is computed from the partial window (its samples stay buffered) and the pending
        windows run as a zero-padded chunk, so the result covers everything fed so far except the trailing
        context. As in Coqui, that frame stays in the stream and the LSTM state advances: calling this often
        costs accuracy. Returns the ``num_results`` best transcripts.
        """
        return self._model._transcripts(self._core.intermediate_decode_flush_buffers(num_results))

    def finish_stream(self) -> str:
        """Flush the buffered audio and return the final best transcript."""
        return self._core.finish_stream()

    def finish_stream_with_metadata(self, num_results: int = 1) -> list[Transcript]:
        """Flush the buffered audio and return the ``num_results`` best final transcripts."""
        return self._model._transcripts(self._core.finish_stream_with_metadata(num_results))

    def reset(self) -> None:
        """Start a new utterance: zero state, empty buffers, the same decoder settings."""
        self._core.reset()

    @property
    def finished(self) -> bool:
        """True after ``finish_stream`` until ``reset``."""
        return self._core.finished

    @property
    def timesteps(self) -> int:
        """Timesteps (20 ms frames) decoded so far."""
        return self._core.timesteps


def _resolve_bundle(model: PathLike | None, cache_dir: PathLike | None) -> Path:
    """A bundle directory for `model`: itself when it is one, else through the model registry/converter."""
    if model is not None:
        path = Path(model)
        if (path / "pyds.json").is_file():
            return path
    try:
        from .models import resolve
    except ImportError as exc:  # pragma: no cover - the registry ships with the package
        raise ModelNotFoundError(
            f"{model!r} is not a pyds bundle directory, and the model registry is missing"
        ) from exc
    return Path(resolve(model, cache=cache_dir))


class Model:
    """A DeepSpeech/Coqui STT acoustic model compiled on OpenVINO, with its decoder settings.

    ``model`` is a registry name (``pyds models list``), a bundle directory made by ``pyds-convert``, or a raw
    ``.tflite``/``.pb``/``.pbmm`` file (converted once and cached, keyed by its sha256). ``scorer`` is a
    ``.scorer`` path (or a ``pyds.decoder.Scorer``); when ``scorer`` is None the bundle's own scorer is
    enabled with its alpha/beta (if it has one), and ``scorer=False`` starts without any.

    Thread safety: one model may be used from any number of threads (create one stream per utterance and
    thread). Its network, alphabet and bundle never change, but it is not immutable as a whole: the decoder
    settings (``beam_width``, the scorer and its alpha/beta, hot words) are defaults that any thread may change
    at any time. Every stream, and every ``stt``/``transcribe_batch`` call, copies them when it starts: a change
    reaches what starts afterwards, never what is running. Threads that share a model share its settings, so set
    them before sharing it (or use one ``Model`` per set of settings).

    With ``batch_streams`` (the default), streams fed at the same time from different threads share batched
    inference: the model's scheduler runs their ready chunks as the rows of one request, and each stream's
    results are identical to running it alone. ``batch_streams=False`` runs every stream on its own batch-1
    requests in the feeding thread.

    ``device``, ``numerics``, ``threads``, ``beam_width`` and ``batch_streams`` left None take the core's defaults, defined once in
    ``ModelOptions`` (pyds/model.hpp): device "CPU", numerics "fidelity" (the bundle's arithmetic; "fast" = the
    bundle's graph built for speed), OpenVINO's choice of threads, the bundle's beam width, batched live streams on.
    """

    def __init__(
        self,
        model: PathLike | None = None,
        *,
        device: str | None = None,
        beam_width: int | None = None,
        scorer: Any = None,
        cache_dir: PathLike | None = None,
        numerics: str | None = None,
        threads: int | None = None,
        batch_streams: bool | None = None,
    ) -> None:
        bundle_dir = _resolve_bundle(model, cache_dir)
        compiled_cache = Path(cache_dir) / "compiled" if cache_dir is not None else None
        if compiled_cache is not None:
            compiled_cache.mkdir(parents=True, exist_ok=True)
        options = {
            "device": device,
            "threads": threads,
            "numerics": numerics,
            "beam_width": beam_width,
            "batch_streams": batch_streams,
        }
        self._core = _core.Model(
            str(bundle_dir),
            cache_dir=str(compiled_cache) if compiled_cache else "",
            bundled_scorer=scorer is None,  # the core enables the bundle's own scorer (with its alpha/beta)
            **{name: value for name, value in options.items() if value is not None},  # None: the core's default
        )
        self._bundle_dir = bundle_dir
        manifest = self.bundle
        self._dynamic_batch = self._core.batchable
        self._engines: dict[int | None, _core.BatchEngine] = {}
        self._engines_lock = threading.Lock()
        self._frame_step = manifest.feature_win_step_ms / 1000.0
        if scorer is not None and scorer is not False:
            self.enable_scorer(scorer)

    # --- facts -------------------------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        """The audio sample rate the model takes (Hz)."""
        return self._core.sample_rate

    @property
    def alphabet(self) -> _core.Alphabet:
        """The model's label set (blank last)."""
        return self._core.alphabet

    @property
    def beam_width(self) -> int:
        """Beam width used by streams created from now on."""
        return self._core.beam_width

    @beam_width.setter
    def beam_width(self, value: int) -> None:
        self._core.beam_width = value

    @property
    def bundle(self) -> Bundle:
        """The model bundle's manifest (``pyds.json``)."""
        from .bundle import Bundle

        return Bundle.read(self._bundle_dir)

    @property
    def bundle_dir(self) -> Path:
        """The bundle directory the model was loaded from."""
        return self._bundle_dir

    @property
    def batch_streams(self) -> bool:
        """True when streams share batched inference (false when turned off or the bundle has a fixed batch of 1)."""
        return self._core.batch_streams

    @property
    def numerics(self) -> str:
        """The arithmetic in use: the bundle's (``hybrid_int8`` / ``f32``) or ``fast``."""
        return self._core.numerics

    # --- recognition ---------------------------------------------------------------------------------------
    def stt(self, audio: np.ndarray) -> str:
        """Transcribe mono samples at ``sample_rate``; returns the best transcript.

        ``audio`` is int16 (DeepSpeech's format), float32/float64 in [-1, 1], or any real dtype: see
        ``pyds.audio.as_samples`` for the one conversion rule and its errors.
        """
        return self._core.stt(as_samples(audio))

    def stt_with_metadata(self, audio: np.ndarray, num_results: int = 1) -> list[Transcript]:
        """The ``num_results`` best transcripts (``pyds.decoder.Transcript``: text, confidence, tokens).

        ``audio`` as for ``stt``."""
        return self._transcripts(self._core.stt_with_metadata(as_samples(audio), num_results))

    def create_stream(self) -> Stream:
        """A new streaming recognizer: ``feed_audio_content``, ``intermediate_decode``, ``finish_stream``."""
        return Stream(self._core.create_stream(), self)

    def _transcripts(self, results: list) -> list[Transcript]:
        return [Transcript._from_core(r, self.alphabet, self._frame_step) for r in results]

    def compute_probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Per-timestep class probabilities [T, classes] of the acoustic model (what the decoder sees)."""
        return self._core.compute_probabilities(as_samples(audio))

    def transcribe_batch(
        self, audios: Sequence[np.ndarray], num_results: int = 1, *, batch_size: int | None = None
    ) -> list:
        """Transcribe many utterances at once: the throughput path.

        The utterances run in lockstep as the rows of one batched inference (``batch_size`` rows, 16 by
        default; a row is refilled as soon as its utterance ends) while decoder threads run each row's beam
        search, so the results are identical to ``stt_with_metadata`` one at a time. Each item is mono at
        ``sample_rate``, converted as for ``stt`` (``pyds.audio.as_samples``). Returns, in input order, one
        ``Transcript`` per item when ``num_results`` is 1, else the list of its ``num_results`` best
        transcripts. Bundles converted with a fixed batch of 1 fall back to one stream at a time.
        """
        items = [as_samples(a, f"audios[{i}]") for i, a in enumerate(audios)]
        if not self._dynamic_batch:
            results = [self._core.stt_with_metadata(a, num_results) for a in items]
        else:
            results = self._batch_engine(batch_size).run(items, num_results)
        transcripts = [self._transcripts(r) for r in results]
        return [t[0] for t in transcripts] if num_results == 1 else transcripts

    def _batch_engine(self, batch_size: int | None) -> _core.BatchEngine:
        """The batch engine for ``batch_size`` rows, compiled on first use and kept."""
        with self._engines_lock:
            engine = self._engines.get(batch_size)
            if engine is None:
                if batch_size is None:
                    engine = _core.BatchEngine(self._core)
                else:
                    engine = _core.BatchEngine(self._core, batch_size=batch_size)
                self._engines[batch_size] = engine
            return engine

    # --- decoder settings -----------------------------------------------------------------------------------
    def enable_scorer(self, scorer: Any, alpha: float | None = None, beta: float | None = None) -> None:
        """Use an external scorer (a ``.scorer`` path or a ``pyds.decoder.Scorer``) in new streams."""
        from .decoder import Scorer

        if not isinstance(scorer, Scorer):
            scorer = Scorer(os.fspath(scorer), self.alphabet)
        self._core.enable_scorer(scorer, alpha, beta)

    def disable_scorer(self) -> None:
        """Decode without a language model in new streams."""
        self._core.disable_scorer()

    def set_scorer_alpha_beta(self, alpha: float, beta: float) -> None:
        """Language-model weight and word-insertion bonus for new streams (a scorer must be enabled)."""
        self._core.set_scorer_alpha_beta(alpha, beta)

    def add_hot_word(self, word: str, boost: float) -> None:
        """Boost (or, negative, suppress) ``word`` in new streams; acts through the scorer only."""
        self._core.add_hot_word(word, boost)

    def erase_hot_word(self, word: str) -> None:
        """Remove a hot word."""
        self._core.erase_hot_word(word)

    def clear_hot_words(self) -> None:
        """Remove every hot word."""
        self._core.clear_hot_words()

    def __repr__(self) -> str:
        return f"pyds.Model({str(self._bundle_dir)!r}, numerics={self.numerics!r}, beam_width={self.beam_width})"


def load_wav(path: PathLike, sample_rate: int) -> np.ndarray:
    """int16 mono samples of a PCM WAV file at ``sample_rate`` (the standard library's reader)."""
    try:
        with wave.open(os.fspath(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            data = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InvalidAudioError(f"{path}: not a readable PCM WAV file ({exc})") from exc
    if width != 2:
        raise InvalidAudioError(
            f"{path}: {8 * width}-bit samples; pyds reads 16-bit PCM WAV here (convert with: sox in.wav -b 16 out.wav)"
        )
    samples = np.frombuffer(data, dtype="<i2")
    if channels != 1:
        raise InvalidAudioError(
            f"{path}: {channels} channels; the model takes mono (convert with: sox in.wav -c 1 out.wav)"
        )
    if rate != sample_rate:
        raise InvalidAudioError(
            f"{path}: {rate} Hz audio; the model takes {sample_rate} Hz "
            f"(convert with: sox in.wav -r {sample_rate} out.wav)"
        )
    return samples


_MODELS: OrderedDict[tuple, Model] = OrderedDict()
_MODELS_LOCK = threading.Lock()


def _cached_model(model: PathLike | None, beam_width: int | None, scorer: Any) -> Model:
    key = (
        os.fspath(model) if model is not None else None,
        beam_width,
        os.fspath(scorer) if isinstance(scorer, (str, os.PathLike)) else id(scorer),
    )
    with _MODELS_LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            return _MODELS[key]
    loaded = Model(model, beam_width=beam_width, scorer=scorer)
    with _MODELS_LOCK:
        _MODELS[key] = loaded
        while len(_MODELS) > 2:  # compiled models are large: keep the last two
            _MODELS.popitem(last=False)
    return loaded


def transcribe(
    path_or_array: PathLike | np.ndarray,
    model: PathLike | None = None,
    *,
    scorer: Any = None,
    beam_width: int | None = None,
    details: bool = False,
) -> str | formats.FileResult:
    """Transcribe an audio file or an array of samples (mono, at the model's rate).

    Runs the library's one long-audio pipeline (``pyds.pipeline``), as ``pyds transcribe`` does: audio longer
    than the detector's maximum segment (20 s) is cut at pauses and its segments recognized as independent
    utterances. Returns the text (segment texts joined by spaces), or with ``details`` the
    ``pyds.formats.FileResult``: ``text``, ``confidence``, ``tokens`` and ``words`` on the file's timeline, and
    ``segments``. The model is loaded once and reused by later calls with the same arguments.
    """
    from . import pipeline

    recognizer = _cached_model(model, beam_width, scorer)
    source = path_or_array if isinstance(path_or_array, np.ndarray) else os.fspath(path_or_array)
    result = pipeline.transcribe_source(recognizer, source, progress=False)
    return result if details else result.text
