"""Single-stream speed: latency per 320 ms chunk and × real time of one pyds Stream, model and device.

Run: python benchmarks/bench_stream.py [--bundle DIR] [--beam 500] [--numerics fidelity|fast] [WAV ...]
(default: the tests' Armenian model, converted once and cached, on ../shared/data/armenian-tts/long01_hy.wav).
Audio is fed as it would arrive live, in 320 ms chunks (one model chunk each), each timed until it is inferred
and decoded; the finish call is timed apart. --alone runs the stream on its own batch-1 requests instead of the
model's live scheduler.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from run import CHUNK, DATA, armenian_model_and_bundle, read_wav


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("wavs", nargs="*", type=Path, help="16 kHz mono 16-bit WAV files")
    ap.add_argument("--bundle", type=Path, default=None, help="a pyds bundle (default: the Armenian model)")
    ap.add_argument("--beam", type=int, default=None, help="beam width (default: the model's)")
    ap.add_argument("--numerics", default="fidelity", choices=["fidelity", "fast"])
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--alone", action="store_true", help="batch_streams=False: the stream's own batch-1 requests")
    args = ap.parse_args()

    import pyds

    bundle = args.bundle or armenian_model_and_bundle()[1]
    wavs = args.wavs or [DATA / "long01_hy.wav"]
    t = time.perf_counter()
    model = pyds.Model(
        bundle, device=args.device, beam_width=args.beam, numerics=args.numerics, batch_streams=not args.alone
    )
    load = time.perf_counter() - t
    precision = model._core.compiled_property("INFERENCE_PRECISION_HINT")
    print(
        f"model {bundle} ({model.numerics} numerics, inference precision {precision}, "
        f"device {model._core.device}, beam {model.beam_width}, batched {model.batch_streams}); load {load:.2f} s"
    )
    model.stt(read_wav(wavs[0])[:16000])  # warm-up
    chunks, finishes, audio_s, wall = [], [], 0.0, 0.0
    for wav in wavs:
        audio = read_wav(wav)
        stream = model.create_stream()
        start = time.perf_counter()
        for i in range(0, len(audio), CHUNK):
            c = time.perf_counter()
            stream.feed_audio_content(audio[i : i + CHUNK])
            _ = stream.timesteps  # waits until the chunk is inferred and decoded (a batched feed only queues)
            chunks.append(time.perf_counter() - c)
        c = time.perf_counter()
        stream.finish_stream()
        finishes.append(time.perf_counter() - c)
        wall += time.perf_counter() - start
        audio_s += len(audio) / 16000.0
    ms = np.asarray(chunks) * 1000
    print(f"{len(wavs)} file(s), {audio_s:.1f} s of audio, {len(chunks)} chunks of 320 ms")
    print(
        f"per chunk: p50 {np.percentile(ms, 50):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms, "
        f"max {ms.max():.2f} ms; finish p50 {np.median(finishes) * 1000:.2f} ms"
    )
    print(f"RTF {wall / audio_s:.4f} = {audio_s / wall:.1f}× real time")


if __name__ == "__main__":
    main()
