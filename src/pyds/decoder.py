"""CTC decoding of acoustic-model posteriors: DeepSpeech's prefix beam search and greedy decoding.

``ctc_beam_search`` gives the results of DeepSpeech's native decoder (``ds_ctcdecoder`` 0.9/0.10,
Coqui STT 1.x) for the same softmax probabilities: the same labels, timesteps and confidence. With a
``Scorer`` it fuses the n-gram language model, constrains words to the scorer's vocabulary and applies
hot-word boosts. ``CtcBeamSearch`` is the streaming form: feed chunks of frames, decode at any time.

Probabilities are float32 arrays ``[frames, alphabet.num_classes]``: one softmax row per frame, the blank
last. Frame ``t`` starts at ``t * frame_step_seconds`` (20 ms for DeepSpeech models).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._core import Alphabet, DecoderOptions
from .scorer import Scorer  # the native .scorer reader, documented in pyds.scorer

__all__ = [
    "Alphabet",
    "CtcBeamSearch",
    "DecoderOptions",
    "Scorer",
    "Token",
    "Transcript",
    "Word",
    "ctc_beam_search",
    "ctc_greedy",
    "decoder_options",
    "words_from_tokens",
]

_DEFAULTS = DecoderOptions()


@dataclass(frozen=True)
class Token:
    """One decoded label.

    ``text`` is the label's text; in UTF-8 bytes mode it is the single byte as a latin-1 character (the
    same convention as ``Alphabet.labels``) and ``text_bytes`` holds the byte itself.
    """

    text: str
    timestep: int
    start_time: float
    label: int = -1
    text_bytes: bytes = b""


@dataclass(frozen=True)
class Word:
    """A run of tokens between spaces, timed from its tokens: it ends one frame after its last token."""

    text: str
    start_time: float
    end_time: float


def words_from_tokens(tokens: Sequence[Any], frame_step_seconds: float) -> list[Word]:
    """The one word rule of pyds (``Transcript.words``, the CLI's outputs): tokens grouped at space tokens.

    A word's text is its tokens' bytes decoded as UTF-8 (so bytes-mode models give whole characters); it starts at
    its first token's ``start_time`` and ends one frame (``frame_step_seconds``) after its last token's. Tokens
    need ``start_time`` and ``text_bytes`` (pyds tokens) or ``text``.
    """
    words: list[Word] = []
    current: list[tuple[bytes, float]] = []

    def flush() -> None:
        if current:
            words.append(
                Word(
                    text=b"".join(raw for raw, _ in current).decode("utf-8", errors="replace"),
                    start_time=current[0][1],
                    end_time=current[-1][1] + frame_step_seconds,
                )
            )
            current.clear()

    for token in tokens:
        raw = getattr(token, "text_bytes", b"") or str(token.text).encode("utf-8")
        if not raw or raw.isspace():
            flush()
        else:
            current.append((raw, float(token.start_time)))
    flush()
    return words


@dataclass(frozen=True)
class Transcript:
    """One decoded beam: its text, its confidence (the beam's final natural-log score, DeepSpeech's
    ``confidence``; not normalised) and one token per label."""

    text: str
    confidence: float
    tokens: list[Token] = field(default_factory=list)
    text_bytes: bytes = b""
    frame_step_seconds: float = _DEFAULTS.frame_step_seconds

    @property
    def labels(self) -> list[int]:
        """Label ids of the tokens."""
        return [t.label for t in self.tokens]

    @property
    def timesteps(self) -> list[int]:
        """Frame index of each token."""
        return [t.timestep for t in self.tokens]

    @property
    def words(self) -> list[Word]:
        """Words split at space tokens (``words_from_tokens``): start = first token's start_time, end = last
        token's + one frame."""
        return words_from_tokens(self.tokens, self.frame_step_seconds)

    @classmethod
    def _from_core(cls, core: Any, alphabet: Alphabet, frame_step_seconds: float) -> Transcript:
        utf8 = alphabet.is_utf8
        tokens = []
        for t in core.tokens:
            raw = t.text_bytes
            text = raw.decode("latin-1") if utf8 else raw.decode("utf-8", errors="replace")
            tokens.append(Token(text, t.timestep, t.start_time, t.label, raw))
        raw_text = core.text_bytes
        return cls(
            text=raw_text.decode("utf-8", errors="replace"),
            confidence=core.confidence,
            tokens=tokens,
            text_bytes=raw_text,
            frame_step_seconds=frame_step_seconds,
        )


#: The fields of ``DecoderOptions`` (the C++ struct's, read from the binding: nothing here repeats them).
_OPTION_FIELDS = tuple(name for name in dir(DecoderOptions) if not name.startswith("_"))


def _settings(options: DecoderOptions | None, scorer: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """``DecoderOptions`` fields by name: ``settings`` (None = unset), else ``options``'s, else the core's defaults;
    alpha/beta still unset come from the scorer object (if it carries any). Unknown names raise TypeError."""
    unknown = sorted(set(settings) - set(_OPTION_FIELDS))
    if unknown:
        raise TypeError(
            f"unknown decoder setting(s) {', '.join(unknown)} (DecoderOptions has {', '.join(_OPTION_FIELDS)})"
        )
    base = options if options is not None else _DEFAULTS
    resolved = {}
    for name in _OPTION_FIELDS:
        value = settings.get(name)
        resolved[name] = value if value is not None else getattr(base, name)
    if scorer is not None:
        for name in ("alpha", "beta"):
            if resolved[name] is None:
                resolved[name] = getattr(scorer, name, None)
    return resolved


def decoder_options(options: DecoderOptions | None = None, **settings: Any) -> DecoderOptions:
    """A new ``DecoderOptions``: a copy of ``options`` (default: the core's, i.e. DeepSpeech's defaults) with
    ``settings`` applied. Settings are its fields (``beam_width``, ``cutoff_prob``, ``cutoff_top_n``,
    ``num_results``, ``alpha``, ``beta``, ``frame_step_seconds``); a None value keeps the field as it is.
    Unknown names raise TypeError; values are range-checked by the core when the options are used."""
    result = DecoderOptions()
    for name, value in _settings(options, None, settings).items():
        setattr(result, name, value)
    return result


def ctc_beam_search(
    probs: np.ndarray,
    alphabet: Alphabet,
    beam_width: int | None = None,
    *,
    scorer: Any = None,
    hot_words: Mapping[str, float] | None = None,
    options: DecoderOptions | None = None,
    **settings: Any,
) -> list[Transcript]:
    """Decode softmax posteriors with DeepSpeech's CTC prefix beam search.

    Args:
        probs: float32 ``[frames, alphabet.num_classes]`` softmax rows (C-contiguous).
        alphabet: the model's labels; the blank is the last class.
        beam_width: prefixes kept per frame (DeepSpeech models use 500, the default).
        scorer: an optional ``Scorer`` (KenLM + vocabulary) fused into the search.
        hot_words: ``{word: boost}`` added to the LM log-probability of those words (needs a scorer).
        options: a ``DecoderOptions`` (default: DeepSpeech's settings, defined once in the core).
        settings: ``DecoderOptions`` fields replacing those of ``options`` (see ``decoder_options``):
            ``cutoff_prob`` (keep the most probable classes up to this cumulative probability, in (0, 1]),
            ``cutoff_top_n`` (at most this many classes per frame), ``num_results`` (transcripts returned at
            most, best first), ``alpha``/``beta`` (LM weight and word bonus; None = the scorer's),
            ``frame_step_seconds`` (time between frames, for ``start_time``).

    Returns:
        Up to ``num_results`` transcripts, best first (fewer when fewer beams are alive).

    Raises:
        TypeError: probs is not float32, or an unknown setting.
        pyds.errors.InvalidArgumentError: wrong shape or class count, NaN/negative values, bad settings.
    """
    resolved = _settings(options, scorer, {**settings, "beam_width": beam_width})
    results = _core.ctc_beam_search(probs, alphabet, scorer=scorer, hot_words=dict(hot_words or {}), **resolved)
    return [Transcript._from_core(r, alphabet, resolved["frame_step_seconds"]) for r in results]


def ctc_greedy(
    probs: np.ndarray, alphabet: Alphabet, *, frame_step_seconds: float = _DEFAULTS.frame_step_seconds
) -> Transcript:
    """Best-path decoding: the most probable class of each frame, repeats merged, blanks removed.

    A token's timestep is the first frame of its run; ``confidence`` is the sum of the chosen classes'
    natural-log probabilities (the best path's log-probability).
    """
    core = _core.ctc_greedy(probs, alphabet, frame_step_seconds=frame_step_seconds)
    return Transcript._from_core(core, alphabet, frame_step_seconds)


class CtcBeamSearch:
    """Streaming beam search: ``next(chunk)`` as frames arrive, ``decode()`` at any time, ``reset()``.

    Feeding an utterance in any chunking gives the same result as ``ctc_beam_search`` on all of it.
    ``decode`` does not change the state, so intermediate results cost no accuracy. The GIL is released
    while it computes. Threads may share one search: its calls run one at a time, each waiting for the
    other's to finish (with the GIL released); what the search sees is the chunks in the order they got in.
    """

    def __init__(
        self,
        alphabet: Alphabet,
        beam_width: int | None = None,
        *,
        scorer: Any = None,
        hot_words: Mapping[str, float] | None = None,
        options: DecoderOptions | None = None,
        **settings: Any,
    ) -> None:
        """Set up a search; the arguments mean what they mean in ``ctc_beam_search``."""
        resolved = _settings(options, scorer, {**settings, "beam_width": beam_width})
        self._alphabet = alphabet
        self._step = resolved["frame_step_seconds"]
        self._core = _core.CtcBeamSearch(alphabet, scorer=scorer, hot_words=dict(hot_words or {}), **resolved)

    def next(self, probs: np.ndarray) -> None:
        """Feed float32 softmax rows ``[frames, num_classes]``; a bad chunk raises and changes nothing."""
        self._core.next(probs)

    def decode(self, num_results: int | None = None) -> list[Transcript]:
        """The best transcripts so far, best first (``num_results`` defaults to the constructor's)."""
        return [Transcript._from_core(r, self._alphabet, self._step) for r in self._core.decode(num_results)]

    def reset(self) -> None:
        """Forget the utterance; keep the settings."""
        self._core.reset()

    @property
    def frames(self) -> int:
        """Frames fed since construction or the last reset."""
        return self._core.frames

    @property
    def alpha(self) -> float:
        """The LM weight in use (0 without a scorer)."""
        return self._core.alpha

    @property
    def beta(self) -> float:
        """The word bonus in use (0 without a scorer)."""
        return self._core.beta
