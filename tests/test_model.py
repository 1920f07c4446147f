"""The streaming recognizer: native-client windowing, OpenVINO logits parity, Model/Stream API, concurrency."""

from __future__ import annotations

import csv
import json
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, levenshtein, run_in_threads, shared_path

import pyds
from pyds import decoder, features

BEAM = 100  # the peer's second beam width; the model's default (500) is exercised in test_default_beam


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def clip(name: str) -> np.ndarray:
    return read_wav(shared_path(f"data/armenian-tts/{name}.wav"))


def peer_rows(beam_width: int) -> dict[str, dict[str, str]]:
    with open(shared_path("data/armenian-tts/peer_coqui_stt_1.4.0.tsv"), encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if int(r["beam_width"]) == beam_width]
    return {r["file"]: r for r in rows}


@pytest.fixture(scope="module")
def model(armenian_bundle: Path) -> pyds.Model:
    return pyds.Model(armenian_bundle, beam_width=BEAM)


def test_model_facts(model: pyds.Model, armenian_bundle: Path):
    assert model.sample_rate == 16000
    assert len(model.alphabet) == 40 and model.alphabet.num_classes == 41
    assert model.alphabet.labels[0] == " "
    assert model.beam_width == BEAM
    assert model.bundle.beam_width == 500  # the model's metadata
    assert model.numerics == model.bundle.numerics["mode"]
    assert model.bundle_dir == armenian_bundle


def test_window_builder_matches_tflite_input_node():
    samples = clip("s104_hy")
    stream = features.FeatureStream()
    frames = np.concatenate([stream.accept(samples), stream.flush()])
    windows = features.context_windows(frames, 9)
    assert windows.shape == (252, 19, 26)
    golden = np.load(shared_path("golden/features/armenian_s104_hy_input_node_batch0_tflite.npy"))
    assert float(np.abs(windows[:16] - golden[0]).max()) <= 1e-6
    # The last timestep sees the flush frame followed by the 9 trailing zero frames.
    np.testing.assert_array_equal(windows[-1, 9], frames[-1])
    assert not windows[-1, 10:].any()


def test_probabilities_match_tflite_runtime(model: pyds.Model):
    probs = model.compute_probabilities(clip("s104_hy"))
    golden = np.load(shared_path("golden/features/armenian_s104_hy_logits_tflite.npy"))
    assert probs.shape == golden.shape == (252, 41)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    diff = np.abs(probs - golden)
    flips = int((probs.argmax(1) != golden.argmax(1)).sum())
    print(f"s104_hy vs tflite-runtime 2.14: max {diff.max():.3g}, median {np.median(diff):.3g}, argmax flips {flips}")
    # The converter reproduces TFLite's hybrid-int8 arithmetic; the runtime must not undo it (exact_divide marks,
    # no static reshape): measured max 2.4e-7.
    assert diff.max() <= 1e-5
    assert flips == 0


def test_any_feeding_gives_the_one_shot_result(model: pyds.Model):
    samples = clip("s047_hy")
    expected = model.stt_with_metadata(samples, 3)
    rng = np.random.default_rng(5)
    for trial in range(3):
        stream = model.create_stream()
        pos = 0
        while pos < len(samples):
            size = int(rng.choice([1, 7, 320, 511, 4000, 20000]))
            stream.feed_audio_content(samples[pos : pos + size])
            pos += size
        got = stream.finish_stream_with_metadata(3)
        assert [t.text for t in got] == [t.text for t in expected], trial
        assert [[k.timestep for k in t.tokens] for t in got] == [[k.timestep for k in t.tokens] for t in expected]
        assert [t.confidence for t in got] == [t.confidence for t in expected]
    # float32 samples give the same as int16 (the native client's scaling).
    assert model.stt(samples.astype(np.float32) / 32768) == expected[0].text


def test_intermediate_decode_is_the_decode_of_the_timesteps_seen(model: pyds.Model):
    samples = clip("s099_hyw")
    probs = model.compute_probabilities(samples)
    stream = model.create_stream()
    seen = []
    for start in range(0, len(samples), 16000):
        stream.feed_audio_content(samples[start : start + 16000])
        partial = stream.intermediate_decode_with_metadata(1)[0]
        assert stream.intermediate_decode() == partial.text
        n = stream.timesteps
        assert n % 16 == 0 and n <= len(probs)
        reference = decoder.ctc_beam_search(probs[:n], model.alphabet, BEAM)[0]
        assert partial.text == reference.text
        assert [t.timestep for t in partial.tokens] == [t.timestep for t in reference.tokens]
        seen.append(n)
    assert seen == sorted(seen) and seen[-1] > 0
    final = stream.finish_stream()
    assert final == decoder.ctc_beam_search(probs, model.alphabet, BEAM)[0].text


@pytest.mark.parametrize("n", [0, 1, 300, 511])
def test_empty_and_sub_window_audio_give_empty_text(model: pyds.Model, n: int):
    assert model.stt(np.zeros(n, np.int16)) == ""
    stream = model.create_stream()
    stream.feed_audio_content(np.zeros(n, np.float32))
    assert stream.intermediate_decode() == ""
    assert stream.finish_stream() == ""


def test_stream_lifecycle(model: pyds.Model):
    samples = clip("s003_hy")
    stream = model.create_stream()
    stream.feed_audio_content(samples)
    first = stream.finish_stream()
    assert stream.finished
    with pytest.raises(pyds.InvalidArgumentError, match="finished"):
        stream.feed_audio_content(samples)
    with pytest.raises(pyds.InvalidArgumentError, match="finished"):
        stream.finish_stream()
    stream.reset()
    stream.feed_audio_content(samples)
    assert stream.finish_stream() == first == model.stt(samples)


@pytest.mark.parametrize(
    ("audio", "error"),
    [
        (np.zeros(1000, np.bool_), TypeError),
        (np.zeros(1000, np.complex64), TypeError),
        (np.zeros(1000, object), TypeError),
        ([0, 1, 2] * 300, TypeError),
        (np.zeros((1000, 2), np.int16), ValueError),
        (np.zeros((1000, 2), np.float64), ValueError),
        (np.array([0.0, np.nan] * 500, np.float32), pyds.InvalidAudioError),
        (np.array([0.0, np.inf] * 500, np.float64), pyds.InvalidAudioError),
        (np.array([0.0, 1e300] * 500, np.float64), pyds.InvalidAudioError),  # beyond float32's range
    ],
)
def test_bad_audio(model: pyds.Model, audio, error):
    with pytest.raises(error):
        model.stt(audio)
    stream = model.create_stream()
    with pytest.raises(error):
        stream.feed_audio_content(audio)
    stream.feed_audio_content(np.zeros(100, np.int16))  # the stream is still usable
    assert stream.finish_stream() == ""


def test_wav_loader_names_the_fix(tmp_path: Path):
    path = tmp_path / "stereo8k.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(1600, np.int16).tobytes())
    with pytest.raises(pyds.InvalidAudioError, match="mono"):
        pyds.load_wav(path, 16000)
    (tmp_path / "junk.wav").write_bytes(b"RIFF\x00\x00not a wave")
    with pytest.raises(pyds.InvalidAudioError, match="junk.wav"):
        pyds.load_wav(tmp_path / "junk.wav", 16000)


def _broken_bundle(source: Path, tmp_path: Path, edit) -> Path:
    target = tmp_path / "bundle"
    target.mkdir()
    for f in source.iterdir():
        if f.name != "pyds.json":
            (target / f.name).symlink_to(f)
    data = json.loads((source / "pyds.json").read_text(encoding="utf-8"))
    edit(data)
    (target / "pyds.json").write_text(json.dumps(data), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(n_cell_dim=1024), "state_c_in"),
        (lambda d: d["io"].update(logits="no_such_tensor"), "no_such_tensor"),
        (lambda d: d.update(alphabet=d["alphabet"][:-1]), "logits"),
        (lambda d: d.update(n_steps=8), "features"),
        (lambda d: d.update(n_input=13), "features"),
        (lambda d: d.update(format="pyds-bundle/9"), "format"),
        (lambda d: d.update(beam_width="wide"), "beam_width"),
        (lambda d: d.pop("io"), "io"),
        (lambda d: d.update(acoustic_model="../acoustic.xml"), "acoustic_model"),
    ],
)
def test_bundle_that_disagrees_with_its_ir_is_rejected(armenian_bundle: Path, tmp_path: Path, edit, message):
    bundle = _broken_bundle(armenian_bundle, tmp_path, edit)
    with pytest.raises(pyds.InvalidModelError, match=message):
        pyds._core.Model(str(bundle))


def test_unreadable_bundles(tmp_path: Path):
    with pytest.raises(pyds.ModelNotFoundError):
        pyds._core.Model(str(tmp_path / "missing"))
    (tmp_path / "pyds.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(pyds.InvalidModelError, match="JSON"):
        pyds._core.Model(str(tmp_path))


def test_many_streams_on_many_threads(model: pyds.Model):
    names = ["s003_hy", "s020_hyw", "s034_hy", "s039_hyw", "s043_hy", "s047_hy", "s077_hyw", "s090_hy"]
    audio = {n: clip(n) for n in names}
    expected = {n: model.stt(a) for n, a in audio.items()}
    got: dict[str, list[str]] = {n: [] for n in names}

    def work(name: str) -> None:
        for _ in range(2):
            stream = model.create_stream()
            a = audio[name]
            for start in range(0, len(a), 5000):
                stream.feed_audio_content(a[start : start + 5000])
            got[name].append(stream.finish_stream())

    run_in_threads(work, names)
    assert got == {n: [expected[n]] * 2 for n in names}


def test_transcribe_a_wav_file(armenian_bundle: Path):
    path = shared_path("data/armenian-tts/s003_hy.wav")
    text = pyds.transcribe(path, model=armenian_bundle, beam_width=BEAM)
    detailed = pyds.transcribe(path, model=armenian_bundle, beam_width=BEAM, details=True)
    assert text == detailed.text and text
    assert pyds.transcribe(read_wav(path), model=armenian_bundle, beam_width=BEAM) == text


def test_matches_the_peer_on_the_public_armenian_set(model: pyds.Model):
    peer = peer_rows(BEAM)
    assert len(peer) >= 40
    same, distance, length = 0, 0, 0
    for name, row in sorted(peer.items()):
        if not name.startswith("s"):
            continue
        ours = model.stt(clip(name.removesuffix(".wav")))
        same += ours == row["transcript"]
        distance += levenshtein(ours, row["transcript"])
        length += max(1, len(row["transcript"]))
    total = sum(1 for n in peer if n.startswith("s"))
    cer = distance / length
    print(f"beam {BEAM}: {same}/{total} transcripts identical to Coqui STT 1.4.0; CER pyds vs peer {cer:.2%}")
    assert same >= 0.95 * total
    assert cer <= 0.005


def test_default_beam_matches_the_peer(armenian_bundle: Path):
    model = pyds.Model(armenian_bundle)
    assert model.beam_width == 500
    peer = peer_rows(500)
    names = ["s003_hyw.wav", "s030_hy.wav", "s039_hy.wav", "s078_hy.wav", "s105_hyw.wav", "s116_hy.wav"]
    for name in names:
        result = model.stt_with_metadata(clip(name.removesuffix(".wav")))[0]
        assert result.text == peer[name]["transcript"], name
        assert abs(result.confidence - float(peer[name]["confidence"])) <= 1e-3, name
        # The peer lists one timestep per output character.
        assert ",".join(str(t) for t in result.timesteps) == peer[name]["token_timesteps"], name


def _armenian_scorer(tmp_path: Path, alphabet) -> Path:
    """A tiny Armenian bigram LM packed as a .scorer (the words are ones the model says on s020_hy)."""
    from pyds.scorer import write_scorer_package

    words = ["կատուն", "քնած", "է", "վրա"]
    arpa = tmp_path / "hy.arpa"
    arpa.write_text(
        f"\\data\\\nngram 1={len(words) + 2}\nngram 2=1\n\n\\1-grams:\n-1.0\t<s>\t-0.1\n-1.0\t</s>\n"
        + "".join(f"-1.0\t{w}\t-0.1\n" for w in words)
        + f"\n\\2-grams:\n-0.5\t<s> {words[0]}\n\n\\end\\\n",
        encoding="utf-8",
    )
    scorer = tmp_path / "hy.scorer"
    write_scorer_package(arpa, scorer, alphabet, 0.9, 1.1)
    return scorer


def test_a_bundled_scorer_is_enabled_with_its_weights(armenian_tflite: Path, armenian_bundle: Path, tmp_path: Path):
    from pyds.convert import convert_model

    plain = pyds.Model(armenian_bundle, beam_width=BEAM)
    scorer = _armenian_scorer(tmp_path, plain.alphabet)
    bundle = convert_model(armenian_tflite, tmp_path / "with-scorer", scorer=scorer, scorer_alpha=0.5, scorer_beta=2.0)
    assert (bundle / "scorer.scorer").read_bytes() == scorer.read_bytes()
    assert pyds.bundle.Bundle.read(bundle).scorer == {"file": "scorer.scorer", "alpha": 0.5, "beta": 2.0}
    with_lm = pyds.Model(bundle, beam_width=BEAM)
    samples = clip("s020_hy")
    plain.enable_scorer(scorer, 0.5, 2.0)
    assert with_lm.stt(samples) == plain.stt(samples)
    # Every word the LM-constrained search outputs is a vocabulary word.
    assert set(with_lm.stt(samples).split()) <= {"կատուն", "քնած", "է", "վրա"}


def test_a_scorer_that_does_not_fit_is_refused_by_the_converter(armenian_tflite: Path, tmp_path: Path):
    from pyds.convert import convert_model

    bytes_scorer = shared_path("data/deepspeech-smoke/pruned_lm.bytes.scorer")
    with pytest.raises(pyds.ConversionError, match="scorer"):
        convert_model(armenian_tflite, tmp_path / "bad", scorer=bytes_scorer)
    assert not (tmp_path / "bad").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bad")]


def test_as_samples_rule():
    """pyds.audio.as_samples: int16/float32 untouched, other floats cast, other integers at their full scale."""
    from pyds.audio import as_samples

    for native in (np.arange(-5, 5, dtype=np.int16), np.linspace(-1, 1, 9, dtype=np.float32)):
        assert as_samples(native) is native  # no copy
    cases = [
        (np.array([-128, 0, 64, 127], np.int8), [-1.0, 0.0, 0.5, 127 / 128]),
        (np.array([0, 128, 192, 255], np.uint8), [-1.0, 0.0, 0.5, 127 / 128]),  # 8-bit WAV: offset binary
        (np.array([0, 32768, 65535], np.uint16), [-1.0, 0.0, 32767 / 32768]),
        (np.array([-(2**31), 2**30, 2**31 - 1], np.int32), [-1.0, 0.5, 1.0]),
        (np.array([-(2**63), 2**62], np.int64), [-1.0, 0.5]),
        (np.array([-1.0, 0.25, 0.5], np.float64), [-1.0, 0.25, 0.5]),
        (np.array([-1.0, 0.25, 0.5], np.float16), [-1.0, 0.25, 0.5]),
    ]
    for given, expected in cases:
        got = as_samples(given)
        assert got.dtype == np.float32 and got.shape == given.shape, given.dtype
        np.testing.assert_allclose(got, np.array(expected, np.float32), rtol=1e-7, err_msg=str(given.dtype))
    with pytest.raises(TypeError, match=r"chunk must be a numpy array"):
        as_samples([0.0, 0.1], "chunk")


def test_every_real_dtype_transcribes_like_int16(model: pyds.Model):
    """float64 (numpy's default, soundfile.read's) and wider integers give the int16 result: same
    probabilities, same text, in stt, stt_with_metadata, streams and transcribe_batch."""
    pcm = read_wav(REPO / "examples" / "hy-sample.wav")
    text, probs = model.stt(pcm), model.compute_probabilities(pcm)
    assert text  # the sample says something
    same_signal = {
        "float32": pcm.astype(np.float32) / 32768,
        "float64": pcm / 32768.0,
        "int32": pcm.astype(np.int32) << 16,
        "int64": pcm.astype(np.int64) << 48,
        "uint16": (pcm.astype(np.int32) + 32768).astype(np.uint16),
    }
    for name, audio in same_signal.items():
        np.testing.assert_allclose(model.compute_probabilities(audio), probs, atol=1e-6, err_msg=name)
        assert model.stt(audio) == text, name
        assert model.stt_with_metadata(audio)[0].text == text, name
        stream = model.create_stream()
        for start in range(0, len(audio), 3000):
            stream.feed_audio_content(audio[start : start + 3000])
        assert stream.finish_stream() == text, name
    batch = model.transcribe_batch(list(same_signal.values()), batch_size=2)
    assert [t.text for t in batch] == [text] * len(same_signal)
