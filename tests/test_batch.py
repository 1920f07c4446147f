"""The batch engine: transcribe_batch equals one-at-a-time stt on real clips; bad inputs; fast numerics."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import armenian_clip, levenshtein

import pyds
from pyds import _core

BEAM = 100
CLIPS = ["s003_hy", "s020_hyw", "s034_hy", "s044_hyw", "s077_hy", "s090_hyw", "s104_hy", "s116_hyw"]


def clip(name: str) -> np.ndarray:
    with wave.open(str(armenian_clip(name))) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


@pytest.fixture(scope="module")
def model(armenian_bundle: Path) -> pyds.Model:
    return pyds.Model(armenian_bundle, beam_width=BEAM)


def _same(batch: list, sequential: list) -> None:
    assert len(batch) == len(sequential)
    for i, (b, s) in enumerate(zip(batch, sequential)):
        assert b.text == s.text, f"item {i}"
        assert b.confidence == s.confidence, f"item {i}"  # the same posteriors, bit for bit
        tokens = [(t.text, t.timestep) for t in s.tokens]
        assert [(t.text, t.timestep) for t in b.tokens] == tokens, f"item {i}"


def test_batch_equals_sequential_with_edge_cases(model: pyds.Model):
    audios = [clip(n) for n in CLIPS]
    # Empty audio, audio shorter than one feature window, a float32 copy, and one exactly one chunk long.
    audios += [
        np.zeros(0, np.int16),
        np.full(100, 0.01, np.float32),
        audios[0].astype(np.float32) / 32768.0,
        audios[1][: 320 * 16 + 192].copy(),
    ]
    # More utterances than rows (batch 4 over 12 items), mixed lengths: rows are refilled as items end.
    batch = model.transcribe_batch(audios, batch_size=4)
    sequential = [model.stt_with_metadata(a)[0] for a in audios]
    _same(batch, sequential)
    assert batch[8].text == "" and batch[9].text == ""
    assert batch[10].text == batch[0].text


def test_batch_default_rows_and_strided_input(model: pyds.Model):
    long = np.concatenate([clip(n) for n in CLIPS[:4]])  # ~15 s: runs on in the tail after the others end
    audios = [long, clip(CLIPS[5]), np.repeat(clip(CLIPS[6]), 2)[::2]]  # the last is a strided view
    _same(model.transcribe_batch(audios), [model.stt_with_metadata(a)[0] for a in audios])


def test_num_results_and_empty_list(model: pyds.Model):
    audios = [clip(CLIPS[2]), clip(CLIPS[3])]
    batch = model.transcribe_batch(audios, num_results=3, batch_size=2)
    sequential = [model.stt_with_metadata(a, num_results=3) for a in audios]
    assert [len(r) for r in batch] == [3, 3]
    for b, s in zip(batch, sequential):
        _same(b, s)
    assert model.transcribe_batch([]) == []


def test_bad_inputs_name_the_item(model: pyds.Model):
    good = clip(CLIPS[0])
    with pytest.raises(TypeError, match=r"audios\[1\].*integer or float dtype"):
        model.transcribe_batch([good, good.astype(np.complex64)])
    with pytest.raises(TypeError, match=r"audios\[2\] must be a numpy array"):
        model.transcribe_batch([good, good, [0, 1, 2]])
    with pytest.raises(ValueError, match=r"audios\[0\]"):
        model.transcribe_batch([np.zeros((2, 100), np.int16)])
    bad = np.zeros(1000, np.float32)
    bad[500] = np.nan
    with pytest.raises(pyds.errors.InvalidAudioError, match=r"audios\[1\]"):
        model.transcribe_batch([good, bad])
    with pytest.raises(ValueError, match="batch_size"):
        model.transcribe_batch([good], batch_size=0)
    # The engine is still usable after the errors.
    assert model.transcribe_batch([good])[0].text == model.stt(good)


def test_engine_options(armenian_bundle: Path):
    core = _core.Model(str(armenian_bundle), beam_width=BEAM)
    engine = _core.BatchEngine(core, batch_size=3, decoder_threads=1)
    assert engine.batch_size == 3 and engine.decoder_threads == 1
    audio = clip(CLIPS[4])
    (result,) = engine.run([audio])
    assert result[0].text_bytes.decode() == core.stt(audio)


def test_fast_numerics_compiles_and_runs(armenian_bundle: Path):
    fast = pyds.Model(armenian_bundle, beam_width=BEAM, numerics="fast")
    assert fast.numerics == "fast"
    audios = [clip(n) for n in CLIPS[:3]]
    results = fast.transcribe_batch(audios, batch_size=2)
    assert [r.text for r in results] == [fast.stt(a) for a in audios]  # batched rows = one at a time, in fast too
    exact = pyds.Model(armenian_bundle, beam_width=BEAM).transcribe_batch(audios)
    for r in results:
        steps = [t.timestep for t in r.tokens]
        assert r.text and steps == sorted(steps) and "".join(t.text for t in r.tokens) == r.text
    # Other arithmetic, the same speech: a few characters differ, not the utterances (fast's accuracy against the
    # reference texts, the real claim, is tests/test_numerics.py's).
    errors = sum(levenshtein(r.text, e.text) for r, e in zip(results, exact))
    assert errors <= 0.35 * sum(len(e.text) for e in exact), [(r.text, e.text) for r, e in zip(results, exact)]
