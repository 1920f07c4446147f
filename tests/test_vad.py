"""pyds.vad: segment boundaries on synthesized and real speech, streaming equivalence, bounded memory."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from conftest import armenian_clip, missing
from hypothesis import given, settings
from hypothesis import strategies as st

from pyds import audio, vad
from pyds.errors import InvalidArgumentError, InvalidAudioError

SR = 16000


def _speechlike(seconds: float, rng: np.random.Generator, level: float = 0.2) -> np.ndarray:
    """Band-passed noise with a syllable-rate (4 Hz) envelope that never drops more than ~6 dB."""
    n = int(seconds * SR)
    noise = rng.standard_normal(n + 64)
    kernel = np.hanning(16)  # a crude low-pass: energy mostly below ~2 kHz, like voiced speech
    x = np.convolve(noise, kernel / kernel.sum(), mode="same")[:n]
    t = np.arange(n) / SR
    envelope = 0.75 + 0.25 * np.sin(2 * np.pi * 4 * t)
    x = x / np.sqrt(np.mean(x**2)) * level * envelope
    return x.astype(np.float32)


def _scene(parts: list[tuple[str, float]], seed: int = 0, noise_db: float = -60.0) -> tuple[np.ndarray, list]:
    """Concatenate ("speech"|"pause", seconds) parts over a background; returns audio and speech spans."""
    rng = np.random.default_rng(seed)
    pieces, spans, at = [], [], 0
    for kind, seconds in parts:
        n = int(seconds * SR)
        pieces.append(_speechlike(seconds, rng) if kind == "speech" else np.zeros(n, dtype=np.float32))
        if kind == "speech":
            spans.append((at, at + n))
        at += n
    x = np.concatenate(pieces)
    x += (10 ** (noise_db / 20) * rng.standard_normal(x.size)).astype(np.float32)
    return x, spans


def _assert_matches(segments: list[tuple[int, int]], spans: list[tuple[int, int]], opts: vad.VadOptions) -> None:
    """Each speech span lies inside one segment, whose edges are within preroll/hangover (+2 frames)."""
    assert len(segments) == len(spans), (segments, spans)
    slack = int(2 * opts.frame * SR)
    for (s, e), (a, b) in zip(segments, spans):
        assert s <= a + slack and e >= b - slack, ((s, e), (a, b))
        assert a - s <= int(opts.preroll * SR) + slack
        assert e - b <= int(opts.hangover * SR) + slack


def _check_invariants(segments: list[tuple[int, int]], total: int, opts: vad.VadOptions) -> None:
    last = 0
    for s, e in segments:
        assert last <= s < e <= total
        assert e - s <= int(round(opts.max_segment * SR))
        last = e


def test_bursts_are_found_at_their_places() -> None:
    opts = vad.VadOptions()
    x, spans = _scene(
        [
            ("pause", 1.0),
            ("speech", 1.5),
            ("pause", 0.8),
            ("speech", 0.6),
            ("pause", 2.0),
            ("speech", 3.0),
            ("pause", 1.2),
        ]
    )
    segments = vad.split(x, SR, opts)
    _check_invariants(segments, x.size, opts)
    _assert_matches(segments, spans, opts)


def test_short_pauses_do_not_split_and_clicks_are_dropped() -> None:
    opts = vad.VadOptions()
    x, spans = _scene(
        [
            ("pause", 1.0),
            ("speech", 1.0),
            ("pause", 0.2),
            ("speech", 1.0),
            ("pause", 1.0),
            ("speech", 0.04),
            ("pause", 1.5),
        ]
    )
    segments = vad.split(x, SR, opts)
    _check_invariants(segments, x.size, opts)
    # The 0.2 s pause is shorter than min_silence: one segment over both bursts. The 40 ms click is gone.
    assert len(segments) == 1
    s, e = segments[0]
    assert s <= spans[0][0] and e >= spans[1][1] - int(0.04 * SR)
    assert e < spans[2][0]


def test_speech_at_the_very_start_and_end() -> None:
    opts = vad.VadOptions()
    x, spans = _scene([("speech", 1.2), ("pause", 1.0), ("speech", 1.1)])
    segments = vad.split(x, SR, opts)
    _check_invariants(segments, x.size, opts)
    _assert_matches(segments, spans, opts)
    assert segments[0][0] == 0 and segments[-1][1] == x.size


def test_long_speech_is_cut_at_its_quietest_point() -> None:
    opts = vad.VadOptions(max_segment=8.0)
    x, spans = _scene([("pause", 1.0), ("speech", 20.0), ("pause", 1.0)], seed=3)
    dip = spans[0][0] + int(7.0 * SR)  # a short quiet stretch where a cut belongs
    x[dip : dip + int(0.06 * SR)] *= 0.05
    segments = vad.split(x, SR, opts)
    _check_invariants(segments, x.size, opts)
    assert len(segments) >= 3  # 20 s of speech in segments of at most 8 s
    # The first cut falls in the dip; all segments together still cover the whole burst.
    assert dip <= segments[0][1] <= dip + int(0.06 * SR) + int(opts.frame * SR)
    assert segments[0][0] <= spans[0][0] and segments[-1][1] >= spans[0][1]
    for (_, e), (s, _) in zip(segments, segments[1:]):
        assert s == e  # cuts inside speech leave no gap


def test_silence_and_constant_noise_give_nothing() -> None:
    rng = np.random.default_rng(5)
    assert vad.split(np.zeros(10 * SR, dtype=np.float32), SR) == []
    assert vad.split((0.01 * rng.standard_normal(10 * SR)).astype(np.float32), SR) == []
    assert vad.split(np.zeros(7, dtype=np.float32), SR) == []


def test_louder_background_is_learned() -> None:
    """Speech over a background that is 30 dB louder than the default floor is still segmented."""
    opts = vad.VadOptions()
    x, spans = _scene(
        [("pause", 1.0), ("speech", 1.0), ("pause", 1.0), ("speech", 1.0), ("pause", 1.0)], noise_db=-30.0
    )
    segments = vad.split(x, SR, opts)
    _assert_matches(segments, spans, opts)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9000), min_size=1, max_size=40))
def test_block_sizes_do_not_change_the_result(sizes: list[int]) -> None:
    x, _ = _scene([("pause", 0.7), ("speech", 1.0), ("pause", 0.5), ("speech", 0.5), ("pause", 0.6)], seed=9)
    whole = vad.split(x, SR)
    blocks, at = [], 0
    while at < x.size:
        for n in sizes:
            blocks.append(x[at : at + n])
            at += n
    assert vad.split(blocks, SR) == whole


def test_segmenter_returns_the_right_audio_with_bounded_memory() -> None:
    opts = vad.VadOptions(max_segment=5.0)
    parts = []
    for i in range(12):
        parts += [("pause", 0.5 + 0.1 * (i % 4)), ("speech", 1.0 + 0.7 * (i % 7))]
    x, _ = _scene(parts + [("pause", 1.0)], seed=11)
    seg = vad.Segmenter(SR, opts)
    out, peak, block = [], 0, 4000
    for i in range(0, x.size, block):
        out += seg.feed(x[i : i + block])
        peak = max(peak, seg.buffered_samples)
    out += seg.flush()
    assert [(s.start, s.end) for s in out] == vad.split(x, SR, opts)
    for s in out:
        np.testing.assert_array_equal(s.audio, x[s.start : s.end])
    # What is held never exceeds one maximal segment plus its preroll, the pending silence and one block.
    bound = int((opts.max_segment + opts.preroll + opts.min_silence) * SR) + 2 * block
    assert peak <= bound


def test_bad_options() -> None:
    with pytest.raises(InvalidArgumentError):
        vad.VoiceActivityDetector(SR, vad.VadOptions(max_segment=0))
    with pytest.raises(InvalidArgumentError):
        vad.VoiceActivityDetector(SR, vad.VadOptions(hangover=1.0, min_silence=0.3))
    with pytest.raises(InvalidArgumentError):
        vad.VoiceActivityDetector(0)
    with pytest.raises(InvalidAudioError, match="NaN"):
        vad.split(np.array([0.0, np.nan] * 400, dtype=np.float32), SR)


# -- real speech ------------------------------------------------------------------------------------------
def _speech_spans(x: np.ndarray, min_gap: float) -> list[tuple[int, int]]:
    """Ground truth for clean synthetic speech joined by digital silence: runs of non-silent samples."""
    loud = np.abs(x) > 1e-3
    idx = np.flatnonzero(loud)
    spans, start, prev = [], idx[0], idx[0]
    for i in idx[1:]:
        if i - prev > min_gap * SR:
            spans.append((int(start), int(prev) + 1))
            start = i
        prev = i
    spans.append((int(start), int(prev) + 1))
    return spans


def test_real_long_armenian_file() -> None:
    """long01_hy.wav: espeak-ng sentences joined by 0.3-1.0 s of digital silence."""
    path = armenian_clip("long01_hy")
    opts = vad.VadOptions()
    x = audio.load(path)
    segments = vad.split(audio.iter_blocks(path, SR, 3.0), SR, opts)
    _check_invariants(segments, x.size, opts)
    truth = _speech_spans(x, opts.min_silence + 2 * opts.frame)
    # Every stretch of speech lies inside one segment (none is cut in the middle) ...
    for a, b in truth:
        holders = [(s, e) for s, e in segments if s <= a + int(0.04 * SR) and e >= b - int(0.04 * SR)]
        assert len(holders) == 1, (a / SR, b / SR)
    # ... and the segments hold no long silence beyond preroll + hangover.
    for s, e in segments:
        inside = [(a, b) for a, b in truth if a < e and b > s]
        assert inside
        assert inside[0][0] - s <= int((opts.preroll + 2 * opts.frame) * SR)
        assert e - inside[-1][1] <= int((opts.hangover + 2 * opts.frame) * SR)


def test_espeak_sentences_with_pauses(tmp_path) -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        missing("espeak-ng is not installed (apt-get install espeak-ng)")
    pieces, spans, at = [], [], 0
    rng = np.random.default_rng(2)
    for i, text in enumerate(
        ["the quick brown fox", "jumps over the lazy dog", "pack my box", "with five dozen liquor jugs"]
    ):
        wav = tmp_path / f"{i}.wav"
        subprocess.run([espeak, "-v", "en", "-s", "150", "-w", str(wav), text], check=True, timeout=60)
        speech = audio.load(wav, SR)  # espeak-ng writes 22050 Hz: this resamples as the CLI does
        loud = np.flatnonzero(np.abs(speech) > 1e-3)
        speech = speech[loud[0] : loud[-1] + 1]
        pause = np.zeros(int((0.6 + 0.3 * i) * SR), dtype=np.float32)
        pieces += [pause, speech]
        spans.append((at + pause.size, at + pause.size + speech.size))
        at += pause.size + speech.size
    pieces.append(np.zeros(SR, dtype=np.float32))
    x = np.concatenate(pieces)
    x += (1e-4 * rng.standard_normal(x.size)).astype(np.float32)
    opts = vad.VadOptions()
    segments = vad.split(x, SR, opts)
    _check_invariants(segments, x.size, opts)
    assert len(segments) == len(spans)
    slack = int(0.1 * SR)  # espeak's quiet onsets (fricatives) may sit under the threshold for a frame or two
    for (s, e), (a, b) in zip(segments, spans):
        assert s <= a + slack and e >= b - slack
        assert a - s <= int(opts.preroll * SR) + slack and e - b <= int(opts.hangover * SR) + slack


_STREAM_SCRIPT = """
import resource, sys
from pyds import audio, vad
path, mode = sys.argv[1], sys.argv[2]
count = 0
if mode == "stream":
    for seg in vad.segments(audio.iter_blocks(path, 16000, 10.0), 16000):
        count += 1
else:
    audio.load(path)
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_one_hour_file_streams_in_bounded_memory(tmp_path) -> None:
    """An hour at 8 kHz (resampled to 16 kHz on the way) through the block reader and the segmenter.

    Decoded whole it would be 230 MB of float32 at 16 kHz; streaming must stay far below that.
    """
    import subprocess
    import sys

    import soundfile as sf

    rate, hour = 8000, 3600
    path = tmp_path / "hour.wav"
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16") as f:
        for _ in range(hour // 10):  # 10 s blocks: 4 s of near-silence, 6 s of noise burst
            block = (1e-3 * rng.standard_normal(10 * rate)).astype(np.float32)
            block[4 * rate :] += (0.2 * rng.standard_normal(6 * rate)).astype(np.float32)
            f.write(block)
    small = tmp_path / "small.wav"
    sf.write(small, np.zeros(rate, dtype=np.int16), rate)

    def run(p, mode):
        done = subprocess.run(
            [sys.executable, "-c", _STREAM_SCRIPT, str(p), mode],
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
        count, kib = done.stdout.split()
        return int(count), int(kib) * 1024

    _, baseline = run(small, "load")
    count, peak = run(path, "stream")
    assert count == hour // 10  # every burst found
    growth = peak - baseline
    print(f"\n1-hour file: peak RSS {peak / 2**20:.0f} MiB, {growth / 2**20:.1f} MiB above a 1-s run")
    assert growth < 64 * 2**20
