"""Split long audio at pauses: an energy-based voice-activity detector that streams with bounded memory.

Each 20 ms frame's energy (dB relative to full scale) is compared with a running estimate of the noise floor:
a frame is voiced when it is ``threshold_db`` above the floor (and above an absolute floor, so dithered
digital silence is never speech). The floor falls at once to a quieter frame and rises slowly (much more
slowly under speech), so it follows the background without climbing onto the speech itself; it starts at
the quietest frame of the first ``warmup`` frames. A segment opens at the first voiced frame and closes
after ``min_silence`` without one; it keeps ``hangover`` after its last voiced frame and
``preroll`` before its first (quiet onsets and trailing consonants). Bursts with less than ``min_speech`` of
voiced frames are dropped as clicks. A segment reaching ``max_segment`` is cut at its quietest frame in its
second half and the rest carries on as a new segment, so no segment exceeds the model's comfortable length.

Memory: the detector keeps one energy per frame of the open segment (at most ``max_segment``) and the
warm-up frames; ``Segmenter`` keeps only the audio an open segment can still need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .errors import InvalidArgumentError, InvalidAudioError
from .features import FRAME_SECONDS

__all__ = ["Segment", "Segmenter", "VadOptions", "VoiceActivityDetector", "segments", "split"]


@dataclass(frozen=True)
class VadOptions:
    """Detector settings; times in seconds."""

    frame: float = FRAME_SECONDS  # analysis frame: the models' feature step (pyds.features.FRAME_SECONDS)
    threshold_db: float = 12.0  # voiced = this far above the noise floor
    absolute_floor_db: float = -65.0  # never voiced below this (dBFS)
    floor_rise_db_per_s: float = 3.0  # how fast the floor may climb in non-speech frames
    floor_rise_in_speech_db_per_s: float = 0.3  # and under speech (a louder background, without pauses)
    warmup: float = 2.0  # the floor starts at the quietest frame of this much audio (a look-ahead)
    min_speech: float = 0.1  # less voiced time than this in a segment = a click, dropped
    min_silence: float = 0.35  # a pause shorter than this does not end a segment
    hangover: float = 0.2  # kept after the last voiced frame
    preroll: float = 0.1  # kept before the first voiced frame
    max_segment: float = 20.0  # longest segment; longer speech is cut at its quietest frame

    def validate(self) -> None:
        """Raise ``InvalidArgumentError`` for settings that cannot work together."""
        for field in ("frame", "warmup", "max_segment", "min_silence"):
            if not getattr(self, field) > 0:
                raise InvalidArgumentError(f"VadOptions.{field} must be positive, not {getattr(self, field)!r}")
        for field in (
            "min_speech",
            "hangover",
            "preroll",
            "floor_rise_db_per_s",
            "floor_rise_in_speech_db_per_s",
            "threshold_db",
        ):
            if getattr(self, field) < 0:
                raise InvalidArgumentError(f"VadOptions.{field} must not be negative")
        if self.hangover > self.min_silence:
            raise InvalidArgumentError("VadOptions.hangover must not exceed min_silence")
        if self.max_segment < 4 * self.frame:
            raise InvalidArgumentError("VadOptions.max_segment is shorter than four frames")


class VoiceActivityDetector:
    """Streaming detector: ``feed`` blocks of mono samples, get (start, end) sample ranges of speech.

    Ranges come out in order, never overlap, and each is final when returned. ``flush`` closes the
    segment open at the end of the audio.
    """

    def __init__(self, sample_rate: int = 16000, options: VadOptions | None = None) -> None:
        self.options = options or VadOptions()
        self.options.validate()
        if sample_rate <= 0:
            raise InvalidArgumentError(f"sample_rate must be positive, not {sample_rate!r}")
        o = self.options
        self.sample_rate = int(sample_rate)
        self.frame_len = max(1, int(round(o.frame * sample_rate)))
        frames = lambda seconds: max(0, int(round(seconds / o.frame)))  # noqa: E731
        self._warmup_frames = max(1, frames(o.warmup))
        self._min_speech = frames(o.min_speech)
        self._min_silence = max(1, frames(o.min_silence))
        self._hangover = frames(o.hangover)
        self._preroll = frames(o.preroll)
        # The preroll counts against the maximum, so no emitted segment is longer than max_segment.
        self._max_frames = max(4, frames(o.max_segment) - self._preroll)
        self._rise = o.floor_rise_db_per_s * o.frame
        self._rise_in_speech = o.floor_rise_in_speech_db_per_s * o.frame
        self._rest = np.zeros(0, dtype=np.float32)  # samples of an incomplete frame
        self._frame = 0  # index of the next frame
        self._samples_seen = 0
        self._floor: float | None = None
        self._warm: list[float] = []  # energies held back until the floor is known
        self._prev_end = 0  # frame where the last emitted segment ended
        self._open = False
        self._start = 0
        self._last_voiced = 0
        self._voiced = 0
        self._energies: list[float] = []  # of the open segment, from _start
        self._flags: list[bool] = []  # voiced or not, same frames

    # -- public -----------------------------------------------------------------------------------------
    @property
    def earliest_needed(self) -> int:
        """First sample a segment still to be emitted can include (audio before it can be dropped)."""
        if self._warm:
            return max(0, (self._frame - len(self._warm) - self._preroll)) * self.frame_len
        if self._open:
            return max(self._prev_end, self._start - self._preroll) * self.frame_len
        return max(self._prev_end, self._frame - self._preroll) * self.frame_len

    def feed(self, samples: np.ndarray) -> list[tuple[int, int]]:
        """Take the next block of mono samples (any length); return the segments completed by it."""
        block = np.asarray(samples, dtype=np.float32).reshape(-1)
        if not np.isfinite(block).all():
            raise InvalidAudioError("the audio holds NaN or infinite samples")
        self._samples_seen += block.size
        if self._rest.size:
            block = np.concatenate([self._rest, block])
        n = block.size // self.frame_len
        self._rest = block[n * self.frame_len :].copy()
        if n == 0:
            return []
        frames = block[: n * self.frame_len].reshape(n, self.frame_len).astype(np.float64)
        energies = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
        out: list[tuple[int, int]] = []
        for e in energies.tolist():
            self._push(e, out)
        return out

    def flush(self) -> list[tuple[int, int]]:
        """End of audio: classify the buffered frames and close the open segment."""
        out: list[tuple[int, int]] = []
        if self._rest.size:
            e = 10.0 * np.log10(float(np.mean(self._rest.astype(np.float64) ** 2)) + 1e-12)
            self._rest = np.zeros(0, dtype=np.float32)
            self._push(e, out)
        if self._warm:
            self._release_warmup(out)
        if self._open:
            self._close(out, end_of_audio=True)
        return out

    # -- frame by frame ---------------------------------------------------------------------------------
    def _push(self, energy: float, out: list[tuple[int, int]]) -> None:
        if self._floor is None:
            self._warm.append(energy)
            self._frame += 1
            if len(self._warm) >= self._warmup_frames:
                self._release_warmup(out)
            return
        self._step(self._frame, energy, out)
        self._frame += 1

    def _release_warmup(self, out: list[tuple[int, int]]) -> None:
        self._floor = min(self._warm)
        first = self._frame - len(self._warm)
        warm, self._warm = self._warm, []
        for i, e in enumerate(warm):
            self._step(first + i, e, out)

    def _step(self, index: int, energy: float, out: list[tuple[int, int]]) -> None:
        o = self.options
        assert self._floor is not None
        voiced = energy > self._floor + o.threshold_db and energy > o.absolute_floor_db
        # The floor drops to any quieter frame at once and climbs slowly; very slowly under speech, so long
        # speech without pauses stays speech while a louder background is still learned eventually.
        rise = self._rise_in_speech if voiced else self._rise
        self._floor = energy if energy < self._floor else self._floor + min(rise, energy - self._floor)
        if not self._open:
            if voiced:
                self._open, self._start, self._last_voiced, self._voiced = True, index, index, 1
                self._energies, self._flags = [energy], [True]
            return
        self._energies.append(energy)
        self._flags.append(voiced)
        if voiced:
            self._last_voiced = index
            self._voiced += 1
        if index - self._last_voiced >= self._min_silence:
            self._close(out)
        elif index + 1 - self._start >= self._max_frames:
            self._cut(out)

    def _emit(self, start: int, end: int, out: list[tuple[int, int]]) -> None:
        first = max(self._prev_end, start - self._preroll)
        stop_sample = min(end * self.frame_len, self._samples_seen)
        if stop_sample > first * self.frame_len:
            out.append((first * self.frame_len, stop_sample))
        self._prev_end = end

    def _close(self, out: list[tuple[int, int]], *, end_of_audio: bool = False) -> None:
        if self._voiced >= max(1, self._min_speech):
            end = min(self._last_voiced + 1 + self._hangover, self._start + self._max_frames)
            if end_of_audio:
                end = min(end, self._frame)
            self._emit(self._start, end, out)
        self._open = False
        self._energies, self._flags = [], []

    def _cut(self, out: list[tuple[int, int]]) -> None:
        # Cut at the quietest frame of the second half: the likeliest gap between words.
        half = len(self._energies) // 2
        rel = half + int(np.argmin(self._energies[half:]))
        cut = self._start + rel
        self._emit(self._start, cut, out)
        self._energies, self._flags = self._energies[rel:], self._flags[rel:]
        self._start = cut
        self._voiced = sum(self._flags)
        # With no voiced frame left the rest is a pause: it closes (and is dropped) after min_silence.
        voiced_at = [i for i, f in enumerate(self._flags) if f]
        self._last_voiced = cut + voiced_at[-1] if voiced_at else cut - 1


class Segment(NamedTuple):
    """A stretch of speech: sample range [start, end) of the whole audio and its samples."""

    start: int
    end: int
    audio: np.ndarray


class Segmenter:
    """``VoiceActivityDetector`` plus the audio: ``feed`` blocks, get ``Segment``s with their samples.

    Only the audio a pending segment can still need is kept (at most ``max_segment`` plus one block).
    """

    def __init__(self, sample_rate: int = 16000, options: VadOptions | None = None) -> None:
        self.vad = VoiceActivityDetector(sample_rate, options)
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start = 0  # sample index of _buffer[0]

    @property
    def buffered_samples(self) -> int:
        """Samples held right now (a test checks that this stays bounded)."""
        return int(self._buffer.size)

    def feed(self, samples: np.ndarray) -> list[Segment]:
        """Take the next block; return the segments it completed, with their audio."""
        block = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._buffer = np.concatenate([self._buffer, block]) if self._buffer.size else block.copy()
        out = self._take(self.vad.feed(block))
        self._trim()
        return out

    def flush(self) -> list[Segment]:
        """End of audio: the last segments."""
        out = self._take(self.vad.flush())
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start = self.vad._samples_seen
        return out

    def _take(self, ranges: list[tuple[int, int]]) -> list[Segment]:
        out = []
        for start, end in ranges:
            lo, hi = start - self._buffer_start, end - self._buffer_start
            assert lo >= 0, "the segmenter dropped audio a segment needed"
            out.append(Segment(start, end, self._buffer[lo:hi].copy()))
        return out

    def _trim(self) -> None:
        drop = self.vad.earliest_needed - self._buffer_start
        if drop > 0:
            self._buffer = self._buffer[drop:].copy()
            self._buffer_start += drop


def split(
    audio: np.ndarray | Iterable[np.ndarray], sample_rate: int = 16000, options: VadOptions | None = None
) -> list[tuple[int, int]]:
    """Speech segments of ``audio`` (one array, or an iterable of consecutive blocks) as sample ranges."""
    vad = VoiceActivityDetector(sample_rate, options)
    blocks: Iterable[np.ndarray] = [audio] if isinstance(audio, np.ndarray) else audio
    out: list[tuple[int, int]] = []
    for block in blocks:
        out.extend(vad.feed(block))
    out.extend(vad.flush())
    return out


def segments(
    blocks: Iterable[np.ndarray], sample_rate: int = 16000, options: VadOptions | None = None
) -> Iterator[Segment]:
    """Stream ``Segment``s (with audio) out of consecutive blocks, holding bounded memory."""
    seg = Segmenter(sample_rate, options)
    for block in blocks:
        yield from seg.feed(block)
    yield from seg.flush()
