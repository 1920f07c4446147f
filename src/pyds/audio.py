"""Audio input: decode any file libsndfile reads, downmix to mono, resample to the model's rate.

``load`` returns a whole clip as float32 mono samples in [-1, 1] at the requested rate. ``iter_blocks``
decodes and resamples a file block by block (soxr's streaming resampler keeps the filter state across
blocks), so an hour-long recording never sits in memory whole. Integer PCM is scaled by 1/32768 (int16),
the same scale the feature front end applies to int16 input, so both paths give the same features.

Resampled audio is put back on the int16 grid with TPDF dither (``dither=True``), as sox does when
DeepSpeech's own client converts a file to 16-bit 16 kHz. The models were trained on 16-bit PCM, where
every band holds at least quantization noise; a band-limited source (8 kHz telephone audio has nothing
above 4 kHz) resampled in float would leave the upper mel bands at the log floor, far outside anything
the model saw. The dither is seeded, so the same file always gives the same samples.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple, Union

import numpy as np

from .errors import InvalidArgumentError, InvalidAudioError

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioInfo",
    "AudioSource",
    "Resampler",
    "as_samples",
    "info",
    "iter_blocks",
    "load",
    "source_name",
]

# File name endings the CLI picks up when it walks a directory (what libsndfile decodes).
AUDIO_EXTENSIONS = frozenset(
    {
        ".wav",
        ".wave",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".aif",
        ".aiff",
        ".aifc",
        ".au",
        ".snd",
        ".caf",
        ".w64",
        ".rf64",
        ".voc",
        ".nist",
        ".sph",
    }
)

AudioSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]


class AudioInfo(NamedTuple):
    """What the container says about a file, before decoding it."""

    frames: int
    sample_rate: int
    channels: int
    format: str

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def as_samples(audio: np.ndarray, what: str = "audio") -> np.ndarray:
    """Caller-supplied mono samples as the core takes them (int16 or float32): the one conversion rule of
    ``Model.stt``, ``Model.stt_with_metadata``, ``Stream.feed_audio_content`` and ``Model.transcribe_batch``.

    - int16 and float32 arrays pass through without a copy. int16 is DeepSpeech's native format (the front end
      scales it by 1/32768); float32 samples are on the [-1, 1] scale.
    - Other real floats (float64, as numpy and ``soundfile.read`` make them; float16) are cast to float32 on
      the same [-1, 1] scale.
    - Other integers are PCM at the full scale of their type, as WAV files and ``soundfile.read(dtype=...)`` hold
      them: signed ``intN`` is divided by 2**(N-1) (int8 by 128, int32 by 2**31, int64 by 2**63; int16 by 32768,
      which is what the front end does), unsigned ``uintN`` is offset binary, (x - 2**(N-1)) / 2**(N-1) (8-bit
      WAV is uint8). So an int64 array holding int16-range values is nearly silent: cast it with
      ``.astype(numpy.int16)`` first.

    Raises TypeError for anything but a numpy array of real numbers (lists, bool, complex, object arrays) and
    ValueError for an array that is not 1-D. NaN and infinite samples (also float64 values beyond float32's
    range) are refused by the core with ``InvalidAudioError``.
    """
    if not isinstance(audio, np.ndarray):
        raise TypeError(f"{what} must be a numpy array of mono samples, got {type(audio).__name__}")
    if audio.ndim != 1:
        raise ValueError(
            f"{what} must be a 1-D array of mono samples, got {audio.ndim} dimensions (shape {audio.shape}); "
            "mix down with audio.mean(axis=1)"
        )
    kind = audio.dtype.kind
    if audio.dtype == np.int16 or audio.dtype == np.float32:
        return audio
    if kind == "f":
        with np.errstate(over="ignore"):  # out-of-range float64 becomes inf, which the core then refuses
            return audio.astype(np.float32)
    if kind in "iu":
        half = float(2 ** (8 * audio.dtype.itemsize - 1))
        offset = half if kind == "u" else 0.0
        return ((audio.astype(np.float64) - offset) * (1.0 / half)).astype(np.float32)
    raise TypeError(f"{what} must be real-valued samples (an integer or float dtype), got dtype {audio.dtype}")


def source_name(source: AudioSource) -> str:
    """A name for ``source`` that error messages and outputs can show."""
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        return "<stdin>" if text == "-" else text
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return str(getattr(source, "name", "<file object>"))


def _open(source: AudioSource) -> tuple[object, str]:
    """Something soundfile can open, and the name to report. ``-`` reads standard input (whole)."""
    name = source_name(source)
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if text == "-":
            # A pipe cannot seek, and most containers need to: read it (compressed) into memory once.
            return io.BytesIO(sys.stdin.buffer.read()), name
        path = Path(text)
        if not path.exists():
            raise InvalidAudioError(f"{name}: no such file")
        if path.is_dir():
            raise InvalidAudioError(f"{name}: is a directory, not an audio file")
        if path.stat().st_size == 0:
            raise InvalidAudioError(f"{name}: the file is empty")
        return text, name
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise InvalidAudioError(f"{name}: no audio data (0 bytes)")
        return io.BytesIO(bytes(source)), name
    if hasattr(source, "read"):
        return source, name
    raise InvalidArgumentError(f"audio source must be a path, bytes or a binary file object, not {type(source)!r}")


def _soundfile(source: AudioSource):  # -> soundfile.SoundFile
    import soundfile

    target, name = _open(source)
    try:
        handle = soundfile.SoundFile(target)
    except (soundfile.SoundFileError, RuntimeError, TypeError, ValueError) as exc:
        raise InvalidAudioError(f"{name}: cannot decode audio ({_reason(exc)})") from exc
    if handle.samplerate <= 0 or handle.channels <= 0:
        handle.close()
        raise InvalidAudioError(f"{name}: invalid header (rate {handle.samplerate}, {handle.channels} channels)")
    return handle, name


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    # soundfile repeats the file name in its messages; the caller already names the file.
    if text.startswith("Error opening") and ":" in text:
        text = text.split(":", 1)[1].strip()
    return text or type(exc).__name__


def info(source: AudioSource) -> AudioInfo:
    """Frames, sample rate, channels and container format of ``source``, without decoding it."""
    handle, _ = _soundfile(source)
    with handle:
        return AudioInfo(int(handle.frames), int(handle.samplerate), int(handle.channels), str(handle.format))


def _mono(block: np.ndarray) -> np.ndarray:
    """[frames, channels] → [frames] by the mean of the channels (a no-op copy-free view for mono)."""
    if block.shape[1] == 1:
        return block[:, 0]
    return block.mean(axis=1, dtype=np.float32)


def _check_finite(samples: np.ndarray, name: str) -> None:
    if not np.isfinite(samples).all():
        raise InvalidAudioError(f"{name}: the audio holds NaN or infinite samples")


def _check_rate(sample_rate: int) -> None:
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise InvalidArgumentError(f"sample_rate must be a positive integer, not {sample_rate!r}")


class _Dither:
    """TPDF dither onto the int16 grid; the noise sequence does not depend on how the audio is blocked."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        u = self._rng.random(2 * samples.size).reshape(-1, 2)
        noise = u[:, 0] - u[:, 1]  # triangular on (-1, 1) LSB
        q = np.clip(np.round(samples.astype(np.float64) * 32768.0 + noise), -32768, 32767)
        return (q / 32768.0).astype(np.float32)


class Resampler:
    """Streaming resampler: consecutive float32 mono blocks at ``in_rate`` → blocks at ``out_rate``.

    soxr (high quality) keeps its filter state across blocks, so blocks of any size give the same samples as
    one call on the whole; the output is dithered onto the int16 grid like ``load`` (see the module note).
    ``last=True`` flushes the filter's tail. Used by ``iter_blocks`` and by the server for live audio.
    """

    def __init__(self, in_rate: int, out_rate: int, *, dither: bool = True) -> None:
        import soxr

        _check_rate(in_rate)
        _check_rate(out_rate)
        self.in_rate, self.out_rate = int(in_rate), int(out_rate)
        self._soxr = soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="float32", quality="HQ")
        self._dither = _Dither() if dither else None

    def __call__(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        """Resample the next block (float32 mono); returns what the filter can output so far."""
        out = self._soxr.resample_chunk(np.ascontiguousarray(samples, dtype=np.float32), last=last)
        if self._dither is not None and out.size:
            out = self._dither(out)
        return np.ascontiguousarray(out, dtype=np.float32)


def load(source: AudioSource, sample_rate: int = 16000, *, dither: bool = True) -> np.ndarray:
    """Decode ``source`` into float32 mono samples in [-1, 1] at ``sample_rate``.

    ``source`` is a path (``-`` = standard input), the bytes of an encoded file, or a binary file object.
    Every format the bundled libsndfile reads works (WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF, ...). Channels
    are averaged; other rates are resampled with soxr (high quality), then dithered onto the int16 grid
    unless ``dither=False`` (see the module note). Raises ``InvalidAudioError`` naming
    the file for a missing, empty, corrupt or unsupported file, or one holding no samples.
    """
    import soundfile
    import soxr

    _check_rate(sample_rate)
    handle, name = _soundfile(source)
    with handle:
        rate = int(handle.samplerate)
        try:
            data = handle.read(dtype="float32", always_2d=True)
        except (soundfile.SoundFileError, RuntimeError, ValueError) as exc:
            raise InvalidAudioError(f"{name}: cannot decode audio ({_reason(exc)})") from exc
    if data.shape[0] == 0:
        raise InvalidAudioError(f"{name}: the file holds no audio samples")
    samples = _mono(data)
    _check_finite(samples, name)
    if rate != sample_rate:
        samples = soxr.resample(samples, rate, sample_rate, quality="HQ")
        if dither:
            samples = _Dither()(samples)
    return np.ascontiguousarray(samples, dtype=np.float32)


def iter_blocks(
    source: AudioSource, sample_rate: int = 16000, block_seconds: float = 10.0, *, dither: bool = True
) -> Iterator[np.ndarray]:
    """Yield ``source`` as consecutive float32 mono blocks at ``sample_rate``, decoding incrementally.

    Each block holds about ``block_seconds`` of output audio (the resampler's delay makes the first and
    last ones differ); concatenated they equal ``load(source, sample_rate)`` up to the resampler's
    block-boundary rounding. Memory stays bounded by one block whatever the file's length. Raises
    ``InvalidAudioError`` as ``load`` does (a file with no samples fails before the first block).
    """
    import soundfile

    _check_rate(sample_rate)
    if not block_seconds > 0:
        raise InvalidArgumentError(f"block_seconds must be positive, not {block_seconds!r}")
    handle, name = _soundfile(source)
    with handle:
        rate = int(handle.samplerate)
        frames_per_block = max(1, int(round(block_seconds * rate)))
        resampler = Resampler(rate, sample_rate, dither=dither) if rate != sample_rate else None
        produced = 0
        while True:
            try:
                data = handle.read(frames_per_block, dtype="float32", always_2d=True)
            except (soundfile.SoundFileError, RuntimeError, ValueError) as exc:
                raise InvalidAudioError(f"{name}: cannot decode audio ({_reason(exc)})") from exc
            last = data.shape[0] < frames_per_block
            if data.shape[0] == 0 and produced == 0 and last:
                raise InvalidAudioError(f"{name}: the file holds no audio samples")
            samples = _mono(data)
            _check_finite(samples, name)
            if resampler is not None:
                samples = resampler(samples, last=last)
            if samples.size:
                produced += samples.size
                yield np.ascontiguousarray(samples, dtype=np.float32)
            if last:
                return
