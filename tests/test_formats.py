"""pyds.formats: subtitles parse back and obey the readability limits; JSON/TSV/text carry the result."""

from __future__ import annotations

import json
import os
import re
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyds import formats
from pyds.errors import InvalidArgumentError
from pyds.formats import FileResult, SegmentResult, WordResult

_TIME = r"(\d{2}):(\d{2}):(\d{2})[,.](\d{3})"


class ParsedCue(NamedTuple):
    start: float
    end: float
    lines: list[str]


def _seconds(m: tuple[str, str, str, str]) -> float:
    h, mi, s, ms = (int(v) for v in m)
    return h * 3600 + mi * 60 + s + ms / 1000


def parse_srt(text: str) -> list[ParsedCue]:
    """A strict SubRip reader: numbered blocks 1..n, 'HH:MM:SS,mmm --> HH:MM:SS,mmm', text lines."""
    cues = []
    blocks = [b for b in text.strip("\n").split("\n\n")] if text.strip() else []
    for i, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        assert lines[0] == str(i), f"cue number {lines[0]!r}, expected {i}"
        m = re.fullmatch(_TIME + " --> " + _TIME, lines[1])
        assert m, f"bad SRT timing line {lines[1]!r}"
        assert len(lines) >= 3 and all(lines[2:]), f"empty cue text in {block!r}"
        cues.append(ParsedCue(_seconds(m.groups()[:4]), _seconds(m.groups()[4:]), lines[2:]))
    return cues


def parse_vtt(text: str) -> list[ParsedCue]:
    """A strict WebVTT reader for what pyds writes: header, blank line, timing + text blocks."""
    assert text.startswith("WEBVTT\n\n") or text == "WEBVTT\n", "missing WEBVTT header"
    cues = []
    body = text[len("WEBVTT\n") :].strip("\n")
    for block in body.split("\n\n") if body else []:
        lines = block.split("\n")
        m = re.fullmatch(_TIME + " --> " + _TIME, lines[0])
        assert m, f"bad VTT timing line {lines[0]!r}"
        assert "." in lines[0] and "," not in lines[0]
        assert len(lines) >= 2 and all(lines[1:])
        cues.append(ParsedCue(_seconds(m.groups()[:4]), _seconds(m.groups()[4:]), lines[1:]))
    return cues


def _result_from_words(words: list[tuple[str, float, float]], seg_breaks: tuple[int, ...] = ()) -> FileResult:
    segments, current, bounds = [], [], set(seg_breaks)
    for i, (text, start, end) in enumerate(words):
        if i in bounds and current:
            segments.append(current)
            current = []
        current.append(WordResult(text, start, end))
    if current:
        segments.append(current)
    segs = [SegmentResult(ws[0].start, ws[-1].end, " ".join(w.text for w in ws), -1.5, ws, []) for ws in segments]
    duration = max((w[2] for w in words), default=0.0) + 0.5
    return FileResult("clip.wav", duration, 16000, segs, "test-model")


def _check_cues(cues: list[ParsedCue], result: FileResult) -> None:
    assert " ".join(" ".join(c.lines) for c in cues).split() == result.text.split()
    prev_end = 0.0
    for c in cues:
        assert 1 <= len(c.lines) <= formats.MAX_LINES
        assert all(len(line) <= formats.MAX_LINE_CHARS for line in c.lines), c.lines
        assert c.end > c.start
        assert c.end - c.start <= formats.MAX_CUE_SECONDS + 0.0015
        assert c.start >= prev_end - 0.0015  # ordered, no overlap (ms rounding)
        prev_end = c.end


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzաբգդեզէըթժ'", min_size=1, max_size=14)


@st.composite
def _timed_words(draw):
    texts = draw(st.lists(_word, min_size=0, max_size=120))
    t, out = draw(st.floats(0, 5)), []
    for text in texts:
        t += draw(st.floats(0.0, 2.5))  # gaps, sometimes longer than a cue may hold
        length = draw(st.floats(0.02, 1.2))
        out.append((text, round(t, 3), round(t + length, 3)))
        t += length
    breaks = tuple(sorted(draw(st.sets(st.integers(0, max(0, len(out) - 1)), max_size=5))))
    return out, breaks


@settings(max_examples=80, deadline=None)
@given(_timed_words())
def test_srt_and_vtt_round_trip_within_limits(data) -> None:
    words, breaks = data
    result = _result_from_words(words, breaks)
    srt = parse_srt(formats.to_srt(result))
    vtt = parse_vtt(formats.to_vtt(result))
    assert [(c.start, c.end, c.lines) for c in srt] == [(c.start, c.end, c.lines) for c in vtt]
    _check_cues(srt, result)
    # Each word is shown while it is spoken: its cue starts no later than the word does.
    flat = [w for s in result.segments for w in s.words]
    k = 0
    for c in srt:
        n = len(" ".join(c.lines).split())
        assert c.start <= flat[k].start + 0.0015
        k += n


def test_long_words_are_cut_to_fit_a_line() -> None:
    long_word = "ա" * 100
    result = _result_from_words([("short", 0.0, 0.5), (long_word, 0.6, 3.0), ("tail", 3.1, 3.4)])
    cues = parse_srt(formats.to_srt(result))
    assert all(len(line) <= formats.MAX_LINE_CHARS for c in cues for line in c.lines)
    assert "".join("".join(c.lines) for c in cues).count("ա") == 100


def test_two_lines_are_balanced() -> None:
    words = [
        (w, i * 0.3, i * 0.3 + 0.25)
        for i, w in enumerate("she had your dark suit in greasy wash water all year long".split())
    ]
    cues = parse_vtt(formats.to_vtt(_result_from_words(words)))
    two = [c for c in cues if len(c.lines) == 2]
    assert two
    for c in two:
        assert abs(len(c.lines[0]) - len(c.lines[1])) <= 12


def test_segments_without_word_times_still_get_cues() -> None:
    seg = SegmentResult(
        10.0, 20.0, "one two three four five six seven eight nine ten eleven twelve thirteen", -3.0, [], []
    )
    result = FileResult("x.wav", 25.0, 16000, [seg])
    cues = parse_srt(formats.to_srt(result))
    _check_cues(cues, result)
    assert cues[0].start == pytest.approx(10.0) and cues[-1].end <= 20.0 + 1e-3


def test_empty_result() -> None:
    result = FileResult("x.wav", 3.0, 16000, [])
    assert parse_srt(formats.to_srt(result)) == []
    assert parse_vtt(formats.to_vtt(result)) == []
    assert formats.to_text(result) == "\n"
    assert formats.to_tsv(result) == "start\tend\ttext\n"


class _Token(NamedTuple):
    text: str
    timestep: int
    start_time: float


class _Transcript(NamedTuple):
    text: str
    confidence: float
    tokens: list


def _transcript(text: str, first_step: int = 3) -> _Transcript:
    tokens = [_Token(ch, first_step + 2 * i, (first_step + 2 * i) * 0.02) for i, ch in enumerate(text)]
    return _Transcript(text, -4.25, tokens)


def test_segment_from_transcript_moves_times_and_builds_words() -> None:
    seg = formats.segment_from_transcript(_transcript("hi there"), offset=12.5, end=14.0)
    assert seg.start == 12.5 and seg.end == 14.0 and seg.text == "hi there" and seg.confidence == -4.25
    assert [t.timestep for t in seg.tokens] == [3 + 2 * i + round(12.5 / 0.02) for i in range(8)]
    assert seg.tokens[0].start_time == pytest.approx(12.5 + 0.06)
    assert [w.text for w in seg.words] == ["hi", "there"]
    hi, there = seg.words
    assert hi.start == pytest.approx(12.56) and hi.end <= seg.tokens[2].start_time + 1e-9
    assert there.start == pytest.approx(seg.tokens[3].start_time)
    assert there.end <= 14.0 and there.end > there.start


def test_transcript_words_are_used_when_present() -> None:
    class W(NamedTuple):
        text: str
        start: float
        end: float

    class T(NamedTuple):
        text: str
        confidence: float
        tokens: list
        words: list

    seg = formats.segment_from_transcript(T("ab", -1.0, [], [W("ab", 0.1, 0.4)]), offset=2.0, end=3.0)
    assert [(w.text, w.start, w.end) for w in seg.words] == [("ab", pytest.approx(2.1), pytest.approx(2.4))]


def test_json_has_all_metadata() -> None:
    seg = formats.segment_from_transcript(_transcript("բարև ձեզ"), offset=1.0, end=2.5)
    result = FileResult("a.wav", 3.0, 16000, [seg], "armspeech-hy")
    doc = json.loads(formats.to_json(result))
    assert doc["source"] == "a.wav" and doc["model"] == "armspeech-hy" and doc["text"] == "բարև ձեզ"
    assert doc["duration"] == 3.0 and doc["sample_rate"] == 16000
    (s,) = doc["segments"]
    assert s["start"] == 1.0 and s["end"] == 2.5 and s["confidence"] == -4.25
    assert [w["text"] for w in s["words"]] == ["բարև", "ձեզ"]
    assert all(w["start"] < w["end"] for w in s["words"])
    assert [t["text"] for t in s["tokens"]] == list("բարև ձեզ")
    assert set(s["tokens"][0]) == {"text", "timestep", "start_time"}
    assert "բարև" in formats.to_json(result)  # UTF-8, not \u escapes
    assert json.loads(formats.to_json(result, indent=None)) == doc


def test_tsv_and_text() -> None:
    a = SegmentResult(0.5, 2.25, "first\tpart", -1.0)
    b = SegmentResult(3.0, 4.0, "second", -2.0)
    result = FileResult("x.wav", 5.0, 16000, [a, b])
    assert formats.to_tsv(result).splitlines() == [
        "start\tend\ttext",
        "500\t2250\tfirst part",
        "3000\t4000\tsecond",
    ]
    assert formats.to_text(result) == "first\tpart second\n"
    assert formats.format_result(result, "tsv") == formats.to_tsv(result)
    with pytest.raises(InvalidArgumentError, match="unknown output format"):
        formats.format_result(result, "docx")


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path) -> None:
    target = tmp_path / "out" / "a.srt"
    formats.write_atomic(target, "first\n")
    formats.write_atomic(target, "second ա\n")
    assert target.read_text(encoding="utf-8") == "second ա\n"
    assert os.listdir(target.parent) == ["a.srt"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "a.txt"
    formats.write_atomic(target, "old\n")
    with pytest.raises(TypeError):
        formats.write_atomic(target, b"not text")  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_one_word_rule_for_transcripts_and_segments() -> None:
    """pyds.decoder.Transcript.words and the segments of the outputs group and time words the same way (they
    used to differ: the outputs' words ended at the next token), in the transcript's own frame step."""
    from pyds.decoder import Token, Transcript

    step = 0.03  # a model whose feature step is not the default 20 ms
    text = "ab cd"
    tokens = [Token(ch, 2 + 3 * i, (2 + 3 * i) * step, i, ch.encode()) for i, ch in enumerate(text)]
    transcript = Transcript(text, -1.0, tokens, text.encode(), frame_step_seconds=step)
    assert [(w.text, w.start_time, w.end_time) for w in transcript.words] == [
        ("ab", pytest.approx(2 * step), pytest.approx(5 * step + step)),
        ("cd", pytest.approx(11 * step), pytest.approx(14 * step + step)),
    ]
    seg = formats.segment_from_transcript(transcript, offset=3.0, end=10.0)
    assert [(w.text, w.start, w.end) for w in seg.words] == [
        (w.text, pytest.approx(w.start_time + 3.0), pytest.approx(w.end_time + 3.0)) for w in transcript.words
    ]
    assert [t.timestep for t in seg.tokens] == [t.timestep + 100 for t in tokens]  # 3 s = 100 frames of 30 ms
    # The same tokens without a words attribute (any recognizer's result) give the same words.
    plain = formats.segment_from_transcript(_Transcript(text, -1.0, tokens), offset=3.0, end=10.0, frame_seconds=step)
    assert plain.words == seg.words
    # A segment's words never run past its end.
    clipped = formats.segment_from_transcript(transcript, offset=3.0, end=3.0 + 14 * step)
    assert clipped.words[-1].end == pytest.approx(3.0 + 14 * step)


def test_words_of_bytes_mode_tokens_are_whole_characters() -> None:
    from pyds.decoder import Token, words_from_tokens

    raw = "բա ձ".encode()
    tokens = [Token(bytes([b]).decode("latin-1"), i, i * 0.02, b - 1, bytes([b])) for i, b in enumerate(raw)]
    assert [w.text for w in words_from_tokens(tokens, 0.02)] == ["բա", "ձ"]


def test_frame_seconds_is_the_front_ends_step() -> None:
    from pyds import features, vad

    assert formats.FRAME_SECONDS == features.FRAME_SECONDS == features.FeatureOptions().window_step_ms / 1000
    assert vad.VadOptions().frame == features.FRAME_SECONDS
