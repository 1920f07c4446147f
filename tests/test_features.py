"""The MFCC front end: TensorFlow/TFLite parity, the reference oracle, streaming invariance, bad inputs."""

from __future__ import annotations

import subprocess
import sys
import wave

import numpy as np
import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

import pyds
from pyds import features, reference

ARMENIAN_GOLDEN = ["s104_hy", "s099_hyw", "s047_hy"]


def read_wav_int16(path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def stream_frames(samples: np.ndarray, cuts: list[int]) -> np.ndarray:
    """Frames of a FeatureStream fed `samples` split at `cuts`, plus the flush frame."""
    stream = features.FeatureStream()
    bounds = [0, *sorted(cuts), len(samples)]
    parts = [stream.accept(samples[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    parts.append(stream.flush())
    return np.concatenate(parts)


def test_matches_tensorflow_raw_ops():
    x = np.load(shared_path("golden/features/input.npy"))
    golden = np.load(shared_path("golden/features/mfcc_tf.npy"))
    got = features.mfcc(x)
    assert got.dtype == np.float32 and got.shape == golden.shape == (49, 26)
    diff = float(np.abs(got - golden).max())
    print(f"C++ vs TF 2.21 AudioSpectrogram+Mfcc: max abs diff {diff:.3g}")
    assert diff <= 1e-3


@pytest.mark.parametrize("name", ARMENIAN_GOLDEN)
def test_stream_matches_tflite_model_features_including_flush(name):
    samples = read_wav_int16(shared_path(f"data/armenian-tts/{name}.wav"))
    golden = np.load(shared_path(f"golden/features/armenian_{name}_mfcc_tflite.npy"))
    got = stream_frames(samples, cuts=list(range(0, len(samples), 4000)))
    assert got.shape == golden.shape
    diff = float(np.abs(got - golden).max())
    print(f"{name}: stream + flush vs the TFLite model's own Mfcc: max abs diff {diff:.3g}")
    assert diff <= 1e-3
    # The one-shot call gives the full windows only.
    np.testing.assert_array_equal(features.mfcc(samples), got[:-1])


@pytest.mark.parametrize("dtype", [np.int16, np.float32])
def test_cpp_matches_numpy_reference(dtype):
    rng = np.random.default_rng(7)
    x = np.load(shared_path("golden/features/input.npy"))
    signals = [x, (rng.standard_normal(9000) * 3000).clip(-32768, 32767).astype(np.int16)]
    for signal in signals:
        s = signal if dtype == np.int16 else signal.astype(np.float32) / 32768
        diff = float(np.abs(features.mfcc(s) - reference.mfcc(s)).max())
        assert diff <= 1e-4, diff


def test_upper_frequency_4000_for_deepspeech_06_graphs():
    x = np.load(shared_path("golden/features/input.npy"))
    options = features.FeatureOptions()
    options.upper_frequency_hz = 4000.0
    got = features.mfcc(x, options=options)
    np.testing.assert_allclose(got, reference.mfcc(x, upper_hz=4000.0), atol=1e-4)
    assert np.abs(got - features.mfcc(x)).max() > 1.0  # a different filterbank, not the default one


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 5000),
    cuts=st.lists(st.integers(0, 5000), max_size=12),
    as_float=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_chunking_gives_the_same_frames_bit_for_bit(n, cuts, as_float, seed):
    rng = np.random.default_rng(seed)
    samples = rng.integers(-20000, 20000, n).astype(np.int16)
    if as_float:
        samples = samples.astype(np.float32) / 32768
    whole = stream_frames(samples, [])
    chunked = stream_frames(samples, [c for c in cuts if c <= n])
    np.testing.assert_array_equal(whole, chunked)
    np.testing.assert_array_equal(features.mfcc(samples), whole[:-1])


def test_one_sample_at_a_time_equals_one_shot():
    rng = np.random.default_rng(3)
    samples = rng.integers(-3000, 3000, 1700).astype(np.int16)
    np.testing.assert_array_equal(stream_frames(samples, list(range(1700))), stream_frames(samples, []))


def test_frame_counts_and_short_audio():
    assert features.mfcc(np.zeros(511, np.int16)).shape == (0, 26)
    assert features.mfcc(np.zeros(512, np.int16)).shape == (1, 26)
    assert features.mfcc(np.zeros(512 + 319, np.int16)).shape == (1, 26)
    assert features.mfcc(np.zeros(512 + 320, np.int16)).shape == (2, 26)
    assert features.mfcc(np.zeros(0, np.float32)).shape == (0, 26)
    # The native client's flush computes a frame even for an empty buffer: silence at the log floor.
    stream = features.FeatureStream()
    flushed = stream.flush()
    assert flushed.shape == (1, 26)
    np.testing.assert_allclose(flushed[0, 0], np.sqrt(2.0 / 40) * 40 * np.log(1e-12), rtol=1e-6)
    assert np.allclose(flushed[0, 1:], 0.0, atol=1e-3)
    # flush() resets: the stream starts over.
    x = np.random.default_rng(0).integers(-999, 999, 700).astype(np.int16)
    assert stream.accept(x).shape == (1, 26)
    assert stream.buffered_samples == 700 - 320


def test_strided_input_is_read_in_place():
    rng = np.random.default_rng(11)
    wide = rng.integers(-9000, 9000, (4000, 2)).astype(np.int16)
    left = wide[:, 0]
    assert not left.flags.c_contiguous
    np.testing.assert_array_equal(features.mfcc(left), features.mfcc(np.ascontiguousarray(left)))
    np.testing.assert_array_equal(features.mfcc(wide[::-1, 1]), features.mfcc(wide[::-1, 1].copy()))


@pytest.mark.parametrize(
    ("samples", "error"),
    [
        (np.zeros(600, np.float64), TypeError),
        (np.zeros(600, np.int32), TypeError),
        (np.zeros((600, 2), np.int16), ValueError),
        (np.zeros((), np.float32), ValueError),
        (np.array([0.0] * 599 + [np.nan], np.float32), pyds.InvalidAudioError),
        (np.array([np.inf] + [0.0] * 599, np.float32), pyds.InvalidAudioError),
    ],
)
def test_bad_samples_raise_clear_errors(samples, error):
    with pytest.raises(error):
        features.mfcc(samples)
    with pytest.raises(error):
        features.FeatureStream().accept(samples)


def test_nan_chunk_leaves_the_stream_untouched():
    stream = features.FeatureStream()
    stream.accept(np.ones(100, np.float32) * 0.1)
    with pytest.raises(pyds.InvalidAudioError, match="NaN or infinite"):
        stream.accept(np.array([0.1] * 300 + [np.nan], np.float32))
    assert stream.buffered_samples == 100


def test_wrong_sample_rate_names_the_fix():
    with pytest.raises(pyds.InvalidAudioError, match="8000 Hz.*16000 Hz.*resample"):
        features.mfcc(np.zeros(1000, np.int16), 8000)
    with pytest.raises(pyds.InvalidAudioError):
        features.FeatureStream(44100)


def test_bad_options_are_rejected():
    options = features.FeatureOptions()
    options.dct_coefficients = 41
    with pytest.raises(pyds.InvalidArgumentError, match="dct_coefficients"):
        features.mfcc(np.zeros(1000, np.int16), options=options)
    options = features.FeatureOptions()
    options.upper_frequency_hz = 9000.0
    with pytest.raises(pyds.InvalidArgumentError, match="Nyquist"):
        features.FeatureStream(options=options)


def test_reference_rejects_what_the_core_rejects():
    with pytest.raises(TypeError):
        reference.mfcc(np.zeros(600, np.float64))
    with pytest.raises(ValueError):
        reference.mfcc(np.zeros((600, 2), np.int16))
    assert reference.mfcc(np.zeros(100, np.int16)).shape == (0, 26)


def test_import_does_not_need_openvino_imported_first():
    code = (
        "import sys, numpy, pyds; pyds.features.mfcc(numpy.zeros(600, numpy.int16)); print('openvino' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_one_version_everywhere():
    from importlib.metadata import version

    assert pyds.__version__ == version("pyds") == pyds._core.__version__


def test_reference_without_pyfftw_names_the_test_extra():
    """pyFFTW is a test dependency only: pyds imports without it and the oracle says how to install it."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pyfftw'] = None\n"
        "import numpy, pyds, pyds.reference\n"
        "try:\n"
        "    pyds.reference.mfcc(numpy.zeros(1000, numpy.float32))\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ImportError: pyds.reference needs pyFFTW" in done.stdout and "pyds[test]" in done.stdout
