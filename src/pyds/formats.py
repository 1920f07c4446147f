"""Output writers: plain text, JSON (all metadata), SRT and WebVTT subtitles, TSV; atomic file writes.

A transcription result is a ``FileResult``: the source, its duration and a list of ``SegmentResult`` (one per
stretch the recognizer ran on, with words and tokens in absolute seconds). Subtitle cues are built from the
word timestamps: at most ``MAX_LINE_CHARS`` characters a line, ``MAX_LINES`` lines and ``MAX_CUE_SECONDS``
a cue, split only between words (a single word longer than a line is the one exception: it is cut).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import _files
from .decoder import words_from_tokens
from .errors import InvalidArgumentError
from .features import FRAME_SECONDS

__all__ = [
    "FORMATS",
    "Cue",
    "FileResult",
    "SegmentResult",
    "TokenResult",
    "WordResult",
    "build_cues",
    "format_result",
    "segment_from_transcript",
    "to_json",
    "to_srt",
    "to_text",
    "to_tsv",
    "to_vtt",
    "write_atomic",
]

MAX_LINE_CHARS = 42
MAX_LINES = 2
MAX_CUE_SECONDS = 7.0
# A pause this long between two words starts a new cue even when the text would still fit.
CUE_GAP_SECONDS = 1.0


@dataclass
class TokenResult:
    """One output character: text, frame index and start time (seconds) in the whole file."""

    text: str
    timestep: int
    start_time: float


@dataclass
class WordResult:
    """One word with its start and end (seconds) in the whole file."""

    text: str
    start: float
    end: float


@dataclass
class SegmentResult:
    """The transcript of one stretch of audio [start, end) (seconds in the whole file)."""

    start: float
    end: float
    text: str
    confidence: float
    words: list[WordResult] = field(default_factory=list)
    tokens: list[TokenResult] = field(default_factory=list)


@dataclass
class FileResult:
    """Everything pyds knows about one transcribed input."""

    source: str
    duration: float
    sample_rate: int
    segments: list[SegmentResult] = field(default_factory=list)
    model: str | None = None

    @property
    def text(self) -> str:
        """The whole transcript: segment texts joined by single spaces."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def words(self) -> list[WordResult]:
        """All words of all segments, in time order."""
        return [w for s in self.segments for w in s.words]

    @property
    def tokens(self) -> list[TokenResult]:
        """All tokens of all segments, on the file's timeline (``timestep`` counts frames from the file's start)."""
        return [t for s in self.segments for t in s.tokens]

    @property
    def confidence(self) -> float:
        """The sum of the segments' confidences (each one utterance's DeepSpeech confidence)."""
        return float(sum(s.confidence for s in self.segments))


def _attr(obj: Any, *names: str) -> Any:
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def segment_from_transcript(
    transcript: Any, offset: float, end: float, *, frame_seconds: float = FRAME_SECONDS
) -> SegmentResult:
    """A ``SegmentResult`` in absolute time from a recognizer ``Transcript`` of audio starting at ``offset``.

    ``transcript`` has ``text``, ``confidence`` and ``tokens`` (each ``text``, ``timestep``, ``start_time``
    relative to its audio), and optionally ``words`` (each ``text`` and ``start``/``end`` or
    ``start_time``/``end_time``) and ``frame_step_seconds`` (the model's step, which then replaces
    ``frame_seconds``). Words come from the tokens by ``pyds.decoder.words_from_tokens`` when it has none; no word
    runs past ``end``.
    """
    frame_seconds = float(_attr(transcript, "frame_step_seconds") or frame_seconds)
    frame_offset = int(round(offset / frame_seconds))
    tokens = [
        TokenResult(str(t.text), int(t.timestep) + frame_offset, float(t.start_time) + offset)
        for t in (_attr(transcript, "tokens") or [])
    ]
    raw_words = _attr(transcript, "words")
    if raw_words is None:
        raw_words = words_from_tokens(_attr(transcript, "tokens") or [], frame_seconds)
    words = []
    for w in raw_words:
        start = min(float(_attr(w, "start", "start_time")) + offset, end)
        words.append(WordResult(str(w.text), start, max(start, min(float(_attr(w, "end", "end_time")) + offset, end))))
    return SegmentResult(offset, end, str(transcript.text), float(transcript.confidence), words, tokens)


# -- cues -------------------------------------------------------------------------------------------------
@dataclass
class Cue:
    """One subtitle: start, end (seconds) and its lines."""

    start: float
    end: float
    lines: list[str]


def _wrap(words: Sequence[str], width: int = MAX_LINE_CHARS) -> list[str] | None:
    """Lay words out on at most MAX_LINES lines of ``width``, balanced; None when they do not fit."""
    text = " ".join(words)
    if len(text) <= width:
        return [text]
    if MAX_LINES < 2:
        return None
    best: list[str] | None = None
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        if (
            len(a) <= width
            and len(b) <= width
            and (best is None or abs(len(a) - len(b)) < abs(len(best[0]) - len(best[1])))
        ):
            best = [a, b]
    return best


def _pieces(words: Iterable[WordResult], width: int) -> list[WordResult]:
    """Words, with any word longer than a line cut into line-long pieces sharing its time span."""
    out: list[WordResult] = []
    for w in words:
        text = w.text.strip()
        if not text:
            continue
        if len(text) <= width:
            out.append(WordResult(text, w.start, w.end))
            continue
        parts = [text[i : i + width] for i in range(0, len(text), width)]
        span = (w.end - w.start) / len(parts)
        out.extend(WordResult(p, w.start + k * span, w.start + (k + 1) * span) for k, p in enumerate(parts))
    return out


def build_cues(
    result: FileResult,
    *,
    max_chars: int = MAX_LINE_CHARS,
    max_seconds: float = MAX_CUE_SECONDS,
    gap: float = CUE_GAP_SECONDS,
) -> list[Cue]:
    """Readable subtitle cues from the word timestamps; a cue never spans two segments or a long pause."""
    cues: list[Cue] = []
    for seg in result.segments:
        words = _pieces(seg.words, max_chars)
        if not words and seg.text.strip():
            # No timestamps: spread the text's words evenly over the segment.
            texts = seg.text.split()
            step = (seg.end - seg.start) / len(texts)
            words = _pieces(
                (WordResult(t, seg.start + i * step, seg.start + (i + 1) * step) for i, t in enumerate(texts)),
                max_chars,
            )
        group: list[WordResult] = []
        for w in words:
            if group:
                lines = _wrap([g.text for g in group] + [w.text], max_chars)
                too_long = max(w.end, w.start) - group[0].start > max_seconds
                if lines is None or too_long or w.start - group[-1].end > gap:
                    cues.append(_cue(group, max_chars))
                    group = []
            group.append(w)
        if group:
            cues.append(_cue(group, max_chars))
    # No overlaps, no zero-length cues, nothing longer than max_seconds.
    for i, cue in enumerate(cues):
        if i + 1 < len(cues):
            cue.end = min(cue.end, cues[i + 1].start)
        cue.end = min(max(cue.end, cue.start + FRAME_SECONDS), cue.start + max_seconds)
        if i + 1 < len(cues) and cue.end > cues[i + 1].start:
            cues[i + 1].start = cue.end
    return cues


def _cue(group: Sequence[WordResult], max_chars: int) -> Cue:
    lines = _wrap([g.text for g in group], max_chars)
    assert lines is not None
    return Cue(group[0].start, max(g.end for g in group), lines)


# -- writers ----------------------------------------------------------------------------------------------
def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_text(result: FileResult) -> str:
    """The transcript on one line."""
    return result.text + "\n"


def to_json(result: FileResult, *, indent: int | None = 2) -> str:
    """Every field: source, duration, text, and per segment its words (start/end) and tokens."""
    segments = [asdict(s) for s in result.segments]
    doc = {
        "source": result.source,
        "model": result.model,
        "duration": round(result.duration, 6),
        "sample_rate": result.sample_rate,
        "text": result.text,
        "segments": segments,
    }
    return json.dumps(doc, ensure_ascii=False, indent=indent) + "\n"


def to_srt(result: FileResult) -> str:
    """SubRip subtitles."""
    blocks = []
    for i, cue in enumerate(build_cues(result), start=1):
        times = f"{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}"
        blocks.append(f"{i}\n{times}\n" + "\n".join(cue.lines) + "\n")
    return "\n".join(blocks)


def to_vtt(result: FileResult) -> str:
    """WebVTT subtitles."""
    blocks = ["WEBVTT\n"]
    for cue in build_cues(result):
        times = f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}"
        blocks.append(f"{times}\n" + "\n".join(cue.lines) + "\n")
    return "\n".join(blocks)


def to_tsv(result: FileResult) -> str:
    """One row per segment: start and end in integer milliseconds, then the text (tabs/newlines removed)."""
    rows = ["start\tend\ttext"]
    for s in result.segments:
        text = " ".join(s.text.split())
        rows.append(f"{int(round(s.start * 1000))}\t{int(round(s.end * 1000))}\t{text}")
    return "\n".join(rows) + "\n"


FORMATS: dict[str, Callable[[FileResult], str]] = {
    "text": to_text,
    "json": to_json,
    "srt": to_srt,
    "vtt": to_vtt,
    "tsv": to_tsv,
}
EXTENSIONS = {"text": ".txt", "json": ".json", "srt": ".srt", "vtt": ".vtt", "tsv": ".tsv"}


def format_result(result: FileResult, fmt: str) -> str:
    """``result`` rendered in format ``fmt`` (one of ``FORMATS``)."""
    try:
        writer = FORMATS[fmt]
    except KeyError:
        raise InvalidArgumentError(f"unknown output format {fmt!r}; choose from {', '.join(FORMATS)}") from None
    return writer(result)


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file renamed over it: readers never see half."""
    if not isinstance(text, str):
        raise TypeError(f"write_atomic writes text, got {type(text).__name__}")
    return _files.write_atomic(path, text.encode("utf-8"))
