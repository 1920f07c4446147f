"""Single-threaded speed of pyds.decoder.ctc_beam_search on Armenian-shaped posteriors (41 classes).

The posteriors are synthetic but shaped like a real acoustic model's (fixed seed): CTC spikes of 1-3 frames
per label, blank gaps of 0-4 frames, Gaussian logit noise, a confusable rival on some spikes, spurious
labels in some gaps, leading/trailing silence. 50 frames are one second of audio.

    python benchmarks/bench_decoder.py [--seconds 60] [--repeats 3] [--beams 1 16 100 500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pyds import decoder

FRAMES_PER_SECOND = 50  # DeepSpeech/Coqui: one posterior frame per 20 ms


def armenian_like_posteriors(n_frames: int, n_classes: int = 41, seed: int = 1234) -> np.ndarray:
    """Peaky softmax rows [n_frames, n_classes] with the blank last, like a trained CTC model's."""
    rng = np.random.default_rng(seed)
    blank = n_classes - 1
    space = 0
    target: list[int] = [blank] * int(rng.integers(5, 25))
    previous = -1
    while len(target) < n_frames:
        label = space if rng.random() < 0.15 else int(rng.integers(1, blank))
        gap = int(rng.integers(0, 5))
        if label == previous:
            gap = max(gap, 1)
        target += [blank] * gap + [label] * int(rng.integers(1, 4))
        previous = label
    target = target[:n_frames]
    logits = rng.normal(0.0, 1.3, size=(n_frames, n_classes))
    for t, label in enumerate(target):
        logits[t, label] += rng.uniform(6.0, 11.0)
        if label != blank:
            logits[t, blank] += rng.uniform(2.0, 7.0)  # the blank competes on spike frames
            if rng.random() < 0.3:  # an acoustically confusable rival
                logits[t, int(rng.integers(0, blank))] += rng.uniform(5.0, 10.0)
        elif rng.random() < 0.05:  # a spurious label in a gap
            logits[t, int(rng.integers(0, blank))] += rng.uniform(5.0, 9.0)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="audio length to decode")
    parser.add_argument("--repeats", type=int, default=3, help="runs per beam (the fastest counts)")
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 16, 100, 500])
    args = parser.parse_args()

    n_frames = int(args.seconds * FRAMES_PER_SECOND)
    labels = [" "] + [chr(0x561 + i) for i in range(39)]  # 40 labels + blank = 41 classes
    alphabet = decoder.Alphabet(labels)
    probs = armenian_like_posteriors(n_frames, alphabet.num_classes)

    print(
        f"ctc_beam_search, {n_frames} frames ({args.seconds:g} s of audio), {alphabet.num_classes} classes, "
        f"single thread, best of {args.repeats}"
    )
    print(f"{'beam':>6} {'seconds':>9} {'frames/s':>11} {'x real time':>12} {'labels':>7}")
    for beam in args.beams:
        best = float("inf")
        result = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = decoder.ctc_beam_search(probs, alphabet, beam)
            best = min(best, time.perf_counter() - start)
        assert result is not None
        fps = n_frames / best
        realtime = fps / FRAMES_PER_SECOND
        print(f"{beam:>6} {best:>9.4f} {fps:>11.0f} {realtime:>11.0f}x {len(result[0].labels):>7}")


if __name__ == "__main__":
    main()
