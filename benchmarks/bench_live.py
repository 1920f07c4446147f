"""Live streams: N streams of one Model, one thread each, fed real clips at 1x real time (beam 500).

Run: python benchmarks/bench_live.py [--numerics fidelity,fast] [--streams 16,32,48,64,96] [--seconds 12]

Each stream gets its own audio (consecutive clips of ../shared/data/armenian-tts, cut to --seconds), starts at a
random offset within the first second and feeds --piece-ms pieces when they "arrive" (paced by the wall clock),
then finishes. Per N it reports the lag from the end of a stream's audio to its final result (p50/p95/max), how
many streams' texts equal running them alone (Model.transcribe_batch on the same audio, whose results are those
of one stream at a time), the live scheduler's rounds and rows per round, and the process's peak RSS (the same
process also ran the batch engine and one lone stream: stream + batch + live streams in one process). Every N
runs in a fresh process. Prints, per numerics mode, the largest N whose p95 lag is <= 1 s (and, in fidelity,
whose texts all equal running alone); the sweep of a mode stops at its first N that does not keep up. The
machine may be shared: the load average is printed with each row.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYDS_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data" / "armenian-tts"
RATE = 16000
LAG_LIMIT_S = 1.0


def read_wav(path: Path) -> np.ndarray:
    """int16 mono samples of a 16-bit WAV file."""
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def stream_audios(n: int, seconds: float) -> list[np.ndarray]:
    """Stream i's audio: the short clips from clip i on, concatenated and cut to `seconds`."""
    clips = [read_wav(p) for p in sorted(DATA.glob("s*.wav"))]
    if not clips:
        raise SystemExit(f"no clips in {DATA} (set PYDS_SHARED)")
    want = int(seconds * RATE)
    out = []
    for i in range(n):
        parts, have, k = [], 0, i
        while have < want:
            parts.append(clips[k % len(clips)])
            have += len(parts[-1])
            k += 1
        out.append(np.concatenate(parts)[:want].copy())
    return out


def worker(job: dict) -> dict:
    """One N in this process: reference results, one lone stream, then N paced live streams."""
    import pyds

    model = pyds.Model(
        job["bundle"], beam_width=job["beam"], numerics=job["numerics"], batch_streams=job.get("batch_streams", True)
    )
    n, piece = job["streams"], int(job["piece_ms"] * RATE / 1000)
    audios = stream_audios(n, job["seconds"])
    reference = [r.text for r in model.transcribe_batch(audios)]
    model.stt(audios[0])  # one lone stream too: stream + batch engine + live streams in one process
    rng = np.random.default_rng(n)
    offsets = rng.uniform(0.0, 1.0, n)
    lags = [float("nan")] * n
    texts = [""] * n
    errors: list[BaseException] = []
    rounds, rows = model._core.live_rounds, model._core.live_rows
    t0 = time.perf_counter() + 0.5

    def run(i: int) -> None:
        try:
            audio, start = audios[i], t0 + offsets[i]
            stream = model.create_stream()
            for k in range(0, len(audio), piece):
                part = audio[k : k + piece]
                due = start + (k + len(part)) / RATE  # the moment this piece's last sample has arrived
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                stream.feed_audio_content(part)
            texts[i] = stream.finish_stream()
            lags[i] = time.perf_counter() - (start + len(audio) / RATE)
        except BaseException as exc:  # reported by the parent
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    rounds, rows = model._core.live_rounds - rounds, model._core.live_rows - rows
    return {
        "streams": n,
        "numerics": job["numerics"],
        "lag_p50_s": float(np.percentile(lags, 50)),
        "lag_p95_s": float(np.percentile(lags, 95)),
        "lag_max_s": float(np.max(lags)),
        "identical": sum(a == b for a, b in zip(texts, reference)),
        "rounds": rounds,
        "rows_per_round": rows / max(1, rounds),
        "batched": bool(model.batch_streams),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "load_average": os.getloadavg()[0],
    }


def run_one(job: dict) -> dict:
    """worker(job) in a fresh process (its own peak RSS)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(job))
        done = subprocess.run([sys.executable, __file__, "--worker", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"bench_live worker failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def keeps_up(row: dict) -> bool:
    """p95 lag within the limit, and (fidelity) every text equal to running the stream alone."""
    exact = row["numerics"] != "fidelity" or row["identical"] == row["streams"]
    return row["lag_p95_s"] <= LAG_LIMIT_S and exact


def sweep(
    bundle: str,
    numerics: list[str],
    counts: list[int],
    seconds: float,
    piece_ms: float,
    beam: int,
    log=print,
    batch_streams: bool = True,
) -> dict:
    """Per numerics mode: the rows measured (ascending N, stopping at the first N that does not keep up) and the
    largest N that keeps up (0 when none does)."""
    out: dict = {}
    for mode in numerics:
        rows, best = [], 0
        for n in sorted(counts):
            job = {
                "bundle": bundle,
                "numerics": mode,
                "streams": n,
                "seconds": seconds,
                "piece_ms": piece_ms,
                "beam": beam,
                "batch_streams": batch_streams,
            }
            row = run_one(job)
            rows.append(row)
            log(
                f"  {mode:8s} N={n:3d}: lag p50 {row['lag_p50_s']:.2f} s, p95 {row['lag_p95_s']:.2f} s, "
                f"max {row['lag_max_s']:.2f} s; identical {row['identical']}/{n}; "
                f"{row['rows_per_round']:.1f} rows/round; peak RSS {row['peak_rss_mb']:.0f} MB; "
                f"load {row['load_average']:.1f}"
            )
            if not keeps_up(row):
                break
            best = n
        out[mode] = {"rows": rows, "max_streams": best}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", metavar="JOB", help=argparse.SUPPRESS)
    ap.add_argument("--bundle", help="a pyds bundle (default: the tests' Armenian bundle)")
    ap.add_argument("--numerics", default="fidelity,fast")
    ap.add_argument("--streams", default="16,32,48,64,80,96")
    ap.add_argument("--seconds", type=float, default=12.0, help="audio per stream (bounded duration)")
    ap.add_argument("--piece-ms", type=float, default=200.0, help="audio per feed call")
    ap.add_argument("--beam", type=int, default=500)
    ap.add_argument("--alone", action="store_true", help="batch_streams=False: every stream on its own requests")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(Path(args.worker).read_text()))))
        return
    bundle = args.bundle
    if bundle is None:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from run import armenian_model_and_bundle

        bundle = str(armenian_model_and_bundle()[1])
    modes = [m for m in args.numerics.split(",") if m]
    counts = [int(n) for n in args.streams.split(",") if n]
    print(
        f"live streams on {os.cpu_count()} CPUs, {args.seconds:g} s each, beam {args.beam}, "
        f"{'each alone' if args.alone else 'batched'}, bundle {bundle}"
    )
    result = sweep(bundle, modes, counts, args.seconds, args.piece_ms, args.beam, batch_streams=not args.alone)
    for mode, r in result.items():
        print(f"{mode}: largest N with p95 lag <= {LAG_LIMIT_S:g} s: {r['max_streams']}")


if __name__ == "__main__":
    main()
