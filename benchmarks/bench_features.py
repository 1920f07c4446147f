"""MFCC front-end speed: the C++ core (one-shot and streaming) vs the NumPy/pyFFTW reference, and TensorFlow's
raw ops when TensorFlow is installed. Prints frames/s and x real time (50 frames = 1 s of 16 kHz audio).

    python benchmarks/bench_features.py [--seconds 60] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import pyds
from pyds import features, reference


def best_time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def tensorflow_mfcc() -> Callable[[np.ndarray], np.ndarray] | None:
    try:
        import tensorflow as tf
    except ImportError:
        return None

    def run(samples: np.ndarray) -> np.ndarray:
        f = tf.constant((samples.astype(np.float32) / 32768).reshape(-1, 1))
        spec = tf.raw_ops.AudioSpectrogram(input=f, window_size=512, stride=320, magnitude_squared=True)
        return tf.raw_ops.Mfcc(
            spectrogram=spec,
            sample_rate=16000,
            upper_frequency_limit=8000.0,
            lower_frequency_limit=20.0,
            filterbank_channel_count=40,
            dct_coefficient_count=26,
        ).numpy()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the test signal")
    parser.add_argument("--repeat", type=int, default=5, help="runs per implementation (best is kept)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    samples = (rng.standard_normal(int(args.seconds * 16000)) * 3000).clip(-32768, 32767).astype(np.int16)
    n_frames = features.mfcc(samples).shape[0]

    def streaming() -> None:
        stream = features.FeatureStream()
        for start in range(0, len(samples), 320 * 16):  # one 320 ms chunk at a time, as a live stream
            stream.accept(samples[start : start + 320 * 16])
        stream.flush()

    runs: list[tuple[str, Callable[[], object]]] = [
        ("pyds C++ mfcc (one-shot)", lambda: features.mfcc(samples)),
        ("pyds C++ FeatureStream (320 ms chunks)", streaming),
        ("pyds.reference (NumPy + pyFFTW)", lambda: reference.mfcc(samples)),
    ]
    tf_run = tensorflow_mfcc()
    if tf_run is not None:
        runs.append(("TensorFlow raw ops", lambda: tf_run(samples)))

    print(f"pyds {pyds.__version__}: {args.seconds:.0f} s of audio, {n_frames} frames, best of {args.repeat}")
    print(f"| {'implementation':40} | {'frames/s':>12} | {'x real time':>12} |")
    print(f"|{'-' * 42}|{'-' * 14}|{'-' * 14}|")
    for name, fn in runs:
        fn()  # warm-up (plans, caches)
        seconds = best_time(fn, args.repeat)
        print(f"| {name:40} | {n_frames / seconds:12,.0f} | {args.seconds / seconds:12,.0f} |")
    if tf_run is None:
        print("(TensorFlow is not installed: its row is left out)")


if __name__ == "__main__":
    main()
