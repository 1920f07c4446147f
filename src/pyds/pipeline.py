"""The one long-audio pipeline: what ``pyds transcribe``, ``pyds.transcribe``, the server's file endpoint and the
Ray actor all call, so every path gives the same text, segments and timestamps.

- Audio up to ``VadOptions.max_segment`` seconds is one utterance, recognized whole (fresh recognizer state).
- Longer audio is decoded block by block (flat memory), cut at pauses by ``pyds.vad``, and each segment is an
  independent utterance moved onto the file's timeline; silent segments are dropped.
- Independent utterances run together as rows of the batch engine (``Model.transcribe_batch``): the segments of
  a long file, and consecutive short inputs of ``transcribe_sources``, in groups of ``GROUP_SIZE``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import audio, formats, vad
from .errors import PydsError

__all__ = ["GROUP_SIZE", "Source", "transcribe_source", "transcribe_sources"]

#: Independent utterances recognized together as the rows of one batch-engine run.
GROUP_SIZE = 16

#: What the pipeline reads: an audio file (path, ``-``, encoded bytes, binary file object) or samples that are
#: already mono at the model's rate (a 1-D array; see ``pyds.Model.stt`` for the dtypes).
Source = audio.AudioSource | np.ndarray

#: The errors one input can raise without affecting the others.
INPUT_ERRORS = (PydsError, OSError, RuntimeError, ValueError)

K = TypeVar("K")

_ARRAY_BLOCK_SECONDS = 10.0


def _prepared(source: Source) -> Source:
    """Arrays converted once, by the one rule (``audio.as_samples``: int16 or float32); files as they are."""
    return audio.as_samples(source) if isinstance(source, np.ndarray) else source


def _duration(source: Source, rate: int) -> float:
    return source.shape[0] / rate if isinstance(source, np.ndarray) else audio.info(source).duration


def _samples(source: Source, rate: int) -> np.ndarray:
    return source if isinstance(source, np.ndarray) else audio.load(source, rate)


def _blocks(source: Source, rate: int) -> Iterator[np.ndarray]:
    if isinstance(source, np.ndarray):
        # The detector works on float samples in [-1, 1]; int16 is scaled as the front end scales it (exactly).
        scale = np.float32(1.0 / 32768.0) if source.dtype == np.int16 else np.float32(1.0)
        step = int(_ARRAY_BLOCK_SECONDS * rate)
        for start in range(0, source.shape[0], step):
            yield source[start : start + step].astype(np.float32) * scale
        return
    yield from audio.iter_blocks(source, rate)


def _name(source: Source, name: str | None) -> str:
    if name is not None:
        return name
    return "<array>" if isinstance(source, np.ndarray) else audio.source_name(source)


def progress_bar(progress: bool | None, **kwargs: Any):
    """A tqdm bar on stderr: shown when ``progress`` is true, hidden when false, on a terminal only when None."""
    import sys

    from tqdm import tqdm

    return tqdm(file=sys.stderr, disable=(not progress) if progress is not None else None, **kwargs)


def _recognize_group(model: Any, utterances: list[np.ndarray]) -> list[Any]:
    """Best transcript of each independent utterance, as rows of one batch-engine run (a lone utterance runs as
    one stream: the same result, without starting the batch engine)."""
    if len(utterances) == 1:
        return [model.stt_with_metadata(utterances[0])[0]]
    return list(model.transcribe_batch(utterances)) if utterances else []


def transcribe_source(
    model: Any,
    source: Source,
    *,
    name: str | None = None,
    model_name: str | None = None,
    vad_options: vad.VadOptions | None = None,
    progress: bool | None = None,
) -> formats.FileResult:
    """Transcribe one input with a loaded ``pyds.Model``; long audio is cut at pauses (see the module note).

    ``progress`` shows a bar over seconds on stderr for long audio (``None``: only on a terminal).
    Raises ``InvalidAudioError`` (a ``PydsError``) for audio that cannot be read.
    """
    options = vad_options or vad.VadOptions()
    rate = int(model.sample_rate)
    source = _prepared(source)
    label = _name(source, name)
    duration = _duration(source, rate)
    if duration <= options.max_segment:
        samples = _samples(source, rate)
        result = formats.FileResult(label, samples.shape[0] / rate, rate, [], model_name)
        transcript = _recognize_group(model, [samples])[0]
        result.segments.append(formats.segment_from_transcript(transcript, 0.0, result.duration))
        return result
    result = formats.FileResult(label, duration, rate, [], model_name)
    with progress_bar(progress, total=round(duration, 1), unit="s", desc=Path(label).name, leave=False) as bar:
        done = 0.0
        pending: list[vad.Segment] = []

        def recognize_pending() -> None:
            # Segments are independent utterances (fresh state each), so a group of them runs as the rows of one
            # batched inference; memory stays bounded by the group (at most GROUP_SIZE x max_segment of audio).
            nonlocal done
            transcripts = _recognize_group(model, [s.audio for s in pending])
            for segment, transcript in zip(pending, transcripts):
                seg = formats.segment_from_transcript(transcript, segment.start / rate, segment.end / rate)
                if seg.text.strip():
                    result.segments.append(seg)
                bar.update(max(0.0, round(segment.end / rate - done, 1)))
                done = max(done, round(segment.end / rate, 1))
            pending.clear()

        for segment in vad.segments(_blocks(source, rate), rate, options):
            pending.append(segment)
            if len(pending) == GROUP_SIZE:
                recognize_pending()
        recognize_pending()
        bar.update(max(0.0, bar.total - bar.n))  # the trailing silence
    return result


def transcribe_sources(
    model: Any,
    sources: Iterable[tuple[K, Source]],
    *,
    names: Callable[[K], str] = str,
    model_name: str | None = None,
    vad_options: vad.VadOptions | None = None,
    progress: bool | None = None,
) -> Iterator[tuple[K, formats.FileResult | BaseException]]:
    """Transcribe many inputs, yielding ``(key, FileResult)`` in input order, or ``(key, exception)`` for an input
    that failed (the others go on). ``names(key)`` labels each result.

    Consecutive short inputs wait in a group and are recognized together as rows of the batch engine; a long
    input first flushes the group (so results keep input order), then runs as ``transcribe_source``.
    """
    options = vad_options or vad.VadOptions()
    rate = int(model.sample_rate)
    group: list[tuple[K, formats.FileResult, np.ndarray]] = []

    def flush() -> Iterator[tuple[K, formats.FileResult | BaseException]]:
        if not group:
            return
        try:
            transcripts: list[Any] = _recognize_group(model, [samples for *_, samples in group])
        except INPUT_ERRORS:  # find the culprit: one at a time
            transcripts = [None] * len(group)
        for (key, result, samples), transcript in zip(group, transcripts):
            try:
                if transcript is None:
                    transcript = _recognize_group(model, [samples])[0]
                result.segments.append(formats.segment_from_transcript(transcript, 0.0, result.duration))
            except INPUT_ERRORS as exc:
                yield key, exc
                continue
            yield key, result
        group.clear()

    for key, source in sources:
        try:
            source = _prepared(source)
            if _duration(source, rate) <= options.max_segment:
                samples = _samples(source, rate)
                result = formats.FileResult(names(key), samples.shape[0] / rate, rate, [], model_name)
                group.append((key, result, samples))
                if len(group) == GROUP_SIZE:
                    yield from flush()
                continue
            yield from flush()
            long_result = transcribe_source(
                model, source, name=names(key), model_name=model_name, vad_options=options, progress=progress
            )
        except INPUT_ERRORS as exc:
            yield key, exc
            continue
        yield key, long_result
    yield from flush()
