"""pyds.compat: DeepSpeech 0.9 / Coqui STT 1.4 Python module API over pyds.Model, on the Armenian model."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import armenian_clip

import pyds
from pyds import compat

BEAM = 100


def clip(name: str) -> np.ndarray:
    with wave.open(str(armenian_clip(name))) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


@pytest.fixture(scope="module")
def ds(armenian_bundle: Path) -> compat.Model:
    model = compat.Model(str(armenian_bundle))
    assert model.setBeamWidth(BEAM) == 0
    return model


@pytest.fixture(scope="module")
def reference(armenian_bundle: Path) -> pyds.Model:
    return pyds.Model(armenian_bundle, beam_width=BEAM)


# A client written for the `deepspeech` package (its own README's usage), only the import line changed.
DEEPSPEECH_SCRIPT = """
import sys
import wave

import numpy as np

import pyds.compat as deepspeech

ds = deepspeech.Model(sys.argv[1])
ds.setBeamWidth(int(sys.argv[2]))
print("version", deepspeech.version())
print("rate", ds.sampleRate(), "beam", ds.beamWidth())
fin = wave.open(sys.argv[3], "rb")
audio = np.frombuffer(fin.readframes(fin.getnframes()), np.int16)
fin.close()
print("stt", ds.stt(audio))
metadata = ds.sttWithMetadata(audio, 2)
best = metadata.transcripts[0]
print("meta", "".join(token.text for token in best.tokens), len(metadata.transcripts))
print("times", ",".join(str(token.timestep) for token in best.tokens))
print("starts", ",".join("%.2f" % token.start_time for token in best.tokens))
stream = ds.createStream()
for start in range(0, len(audio), 4096):
    stream.feedAudioContent(audio[start:start + 4096])
    stream.intermediateDecode()
print("stream", stream.finishStream())
try:
    stream.feedAudioContent(audio)
except RuntimeError as exc:
    print("reuse", type(exc).__name__)
"""


def test_a_deepspeech_script_runs_unchanged(tmp_path, armenian_bundle, reference):
    script = tmp_path / "client.py"
    script.write_text(DEEPSPEECH_SCRIPT)
    wav = armenian_clip("s047_hy")
    done = subprocess.run(
        [sys.executable, str(script), str(armenian_bundle), str(BEAM), str(wav)],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    out = dict(line.split(" ", 1) for line in done.stdout.decode("utf-8").splitlines())
    samples = clip("s047_hy")
    best = reference.stt_with_metadata(samples, 2)[0]
    assert out["version"] == f"1.4.0+pyds.{pyds.__version__}"
    assert out["rate"] == f"16000 beam {BEAM}"
    assert out["stt"] == reference.stt(samples) == best.text
    assert out["meta"] == f"{best.text} 2"
    assert out["times"] == ",".join(str(t) for t in best.timesteps)
    assert out["starts"] == ",".join(f"{t.start_time:.2f}" for t in best.tokens)
    assert out["stream"] == best.text
    assert out["reuse"] == "DeepSpeechError"


def test_model_facts_and_settings(ds, reference):
    assert ds.sampleRate() == 16000
    assert ds.beamWidth() == BEAM
    assert ds.setBeamWidth(0) == compat.ERROR_CODES["ERR_INVALID_SHAPE"][0]  # a status, as the original
    assert ds.beamWidth() == BEAM
    samples = clip("s003_hyw")
    assert ds.stt(samples) == reference.stt(samples)
    assert ds.stt(samples.tobytes()) == reference.stt(samples)  # raw little-endian int16 bytes too


def test_metadata_objects(ds, reference):
    samples = clip("s020_hy")
    meta = ds.sttWithMetadata(samples, 3)
    expected = reference.stt_with_metadata(samples, 3)
    assert len(meta.transcripts) == len(expected) == 3
    for got, want in zip(meta.transcripts, expected):
        assert "".join(t.text for t in got.tokens) == want.text
        assert [t.timestep for t in got.tokens] == want.timesteps
        assert [t.start_time for t in got.tokens] == pytest.approx([t.start_time for t in want.tokens])
        assert got.confidence == pytest.approx(want.confidence)
    assert "TokenMetadata" in repr(meta.transcripts[0].tokens[0])


def test_streaming_and_flush_buffers(ds, reference):
    samples = clip("s099_hyw")
    stream, mirror = ds.createStream(), reference.create_stream()
    for start in range(0, len(samples), 3000):
        stream.feedAudioContent(samples[start : start + 3000])
        mirror.feed_audio_content(samples[start : start + 3000])
        assert stream.intermediateDecode() == mirror.intermediate_decode()
        meta = stream.intermediateDecodeWithMetadata()
        assert "".join(t.text for t in meta.transcripts[0].tokens) == mirror.intermediate_decode()
    final = stream.finishStreamWithMetadata(2)
    assert "".join(t.text for t in final.transcripts[0].tokens) == reference.stt(samples)

    half = samples[: len(samples) // 2]
    flushing = ds.createStream()
    flushing.feedAudioContent(half)
    plain = flushing.intermediateDecode()
    flushed = flushing.intermediateDecodeFlushBuffers()
    mirror = reference.create_stream()
    mirror.feed_audio_content(half)
    assert flushed == mirror.intermediate_decode_flush_buffers(1)[0].text
    assert len(flushed) >= len(plain)  # the buffered audio is in it
    meta = flushing.intermediateDecodeWithMetadataFlushBuffers(1)
    assert meta.transcripts
    flushing.freeStream()
    flushing.freeStream()  # harmless


@pytest.mark.parametrize("finish", ["finishStream", "finishStreamWithMetadata", "freeStream"])
def test_a_finished_stream_raises_on_reuse(ds, finish):
    stream = ds.createStream()
    stream.feedAudioContent(clip("s003_hy")[:8000])
    getattr(stream, finish)()
    for call in (
        lambda: stream.feedAudioContent(np.zeros(10, np.int16)),
        stream.intermediateDecode,
        stream.finishStream,
        stream.intermediateDecodeFlushBuffers,
    ):
        with pytest.raises(compat.DeepSpeechError) as info:
            call()
        assert isinstance(info.value, RuntimeError)
        assert info.value.code == compat.ERROR_CODES["ERR_FAIL_CREATE_STREAM"][0]


def test_errors_carry_the_c_codes(ds, tmp_path):
    with pytest.raises(RuntimeError) as info:
        compat.Model(str(tmp_path / "missing.pbmm"))
    assert info.value.code == 0x3000
    assert str(info.value).startswith("CreateModel failed with 'Failed to initialize memory mapped model.' (0x3000)")
    with pytest.raises(compat.DeepSpeechError) as info:
        compat.Model(str(tmp_path))  # not a bundle
    assert info.value.code == 0x2003
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"garbage" * 100)
    with pytest.raises(compat.DeepSpeechError) as info:
        compat.Model(str(bad))
    assert info.value.code == 0x3005
    with pytest.raises(compat.DeepSpeechError) as info:
        ds.enableExternalScorer(str(tmp_path / "missing.scorer"))
    assert info.value.code == 0x2002
    assert ds.setScorerAlphaBeta(0.5, 0.5) == 0x2004  # a status code, as the original returned
    assert ds.disableExternalScorer() == 0x2004
    for call in (lambda: ds.addHotWord("բառ", 4.0), lambda: ds.eraseHotWord("բառ"), ds.clearHotWords):
        with pytest.raises(compat.DeepSpeechError) as info:
            call()
        assert info.value.code == 0x2004
    with pytest.raises(compat.DeepSpeechError) as info:
        ds.stt(np.array([0.0, np.nan], np.float32))
    assert info.value.code == 0x3003
    with pytest.raises(TypeError):
        ds.stt(np.zeros(10, np.float64))
    assert compat.errorCodeToErrorMessage(0x2004) == "External scorer is not enabled."
    assert compat.errorCodeToErrorMessage(0x7777).startswith("Unknown error")


def test_scorer_alpha_beta_zero_is_honoured_and_hot_words(armenian_bundle, tmp_path):
    from pyds._core import write_scorer_package

    words = ["շատ", "հաց", "վերա", "ալե"]
    arpa = tmp_path / "lm.arpa"
    arpa.write_text(
        textwrap.dedent(f"""\
        \\data\\
        ngram 1={len(words) + 2}
        ngram 2=1

        \\1-grams:
        -1.0\t<s>\t-0.1
        -1.0\t</s>
        """)
        + "".join(f"-1.0\t{w}\t-0.1\n" for w in words)
        + f"\n\\2-grams:\n-0.5\t<s> {words[0]}\n"
        + "\n\\end\\\n",
        encoding="utf-8",
    )
    model = compat.Model(str(armenian_bundle))
    scorer = tmp_path / "lm.scorer"
    write_scorer_package(arpa, scorer, model._impl.alphabet, 0.9, 1.1)
    model.enableExternalScorer(str(scorer))
    samples = clip("s020_hy")
    assert model.setScorerAlphaBeta(0.0, 0.0) == 0
    plain = pyds.Model(armenian_bundle)
    plain.enable_scorer(str(scorer), 0.0, 0.0)
    assert model.stt(samples) == plain.stt(samples)
    model.addHotWord("հաց", 5.0)
    with pytest.raises(compat.DeepSpeechError) as info:
        model.addHotWord("հաց", 6.0)
    assert info.value.code == 0x3008
    model.eraseHotWord("հաց")
    with pytest.raises(compat.DeepSpeechError) as info:
        model.eraseHotWord("հաց")
    assert info.value.code == 0x3010
    model.clearHotWords()
    assert model.disableExternalScorer() == 0


def test_raw_model_file_is_converted_once(armenian_tflite, tmp_path, monkeypatch):
    monkeypatch.setenv("PYDS_CACHE_DIR", str(tmp_path))
    model = compat.Model(str(armenian_tflite))
    bundles = list((tmp_path / "bundles").iterdir())
    assert len(bundles) == 1 and bundles[0].name.startswith("sha256-")
    stamp = (bundles[0] / "pyds.json").stat().st_mtime_ns
    again = compat.Model(str(armenian_tflite))
    assert (bundles[0] / "pyds.json").stat().st_mtime_ns == stamp
    samples = clip("s003_hy")
    assert model.stt(samples) == again.stt(samples)
