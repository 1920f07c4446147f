"""Regenerate tests/data/mfcc_4000hz_tf.npz: TensorFlow's raw AudioSpectrogram + Mfcc ops with the
DeepSpeech 0.6 (graph version 5) front end, upper_frequency_limit = 4000 Hz.

The test (tests/test_graph_versions.py) computes the same thing with TensorFlow when it is installed and
falls back to this file otherwise. Run with a Python that has tensorflow(-cpu):

    python scripts/make_mfcc_4000_golden.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "mfcc_4000hz_tf.npz"


def test_signal() -> np.ndarray:
    """0.5 s at 16 kHz, int16: two chirps (one below, one above 4 kHz) plus noise, from a fixed seed."""
    rng = np.random.default_rng(2026)
    t = np.arange(8000) / 16000.0
    low = np.sin(2 * np.pi * (300 * t + 3000 * t * t))  # 300 Hz -> 3.3 kHz
    high = np.sin(2 * np.pi * (4500 * t + 2500 * t * t))  # 4.5 kHz -> 7 kHz
    x = 9000 * low + 6000 * high + 800 * rng.standard_normal(t.size)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def tf_mfcc(samples: np.ndarray, upper_hz: float) -> np.ndarray:
    """DeepSpeech's inference front end with TensorFlow's raw ops: [frames, 26] float32."""
    import tensorflow as tf

    audio = tf.constant((samples.astype(np.float32) / 32768.0).reshape(-1, 1))
    spectrogram = tf.raw_ops.AudioSpectrogram(input=audio, window_size=512, stride=320, magnitude_squared=True)
    mfcc = tf.raw_ops.Mfcc(
        spectrogram=spectrogram,
        sample_rate=16000,
        upper_frequency_limit=upper_hz,
        lower_frequency_limit=20.0,
        filterbank_channel_count=40,
        dct_coefficient_count=26,
    )
    return mfcc.numpy()[0].astype(np.float32)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output .npz (default: {OUT})")
    out = parser.parse_args().out
    samples = test_signal()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez_compressed(tmp, samples=samples, mfcc_4000=tf_mfcc(samples, 4000.0))
    tmp.replace(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
