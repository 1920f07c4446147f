"""Parity of pyds-converted IRs with tflite-runtime 2.14 on the public Armenian clips.

For each clip of ../shared/data/armenian-tts (manifest.tsv, the 40 short sNNN clips by default): MFCC frames
from pyds.features (the native client's windows incl. the flush frame), chunks of 16 with the state carried,
run through tflite-runtime (in a separate venv: PYDS_TFLITE_PYTHON, default /work/venv-tflite/bin/python) and
through the converted IR for each numerics choice. Prints, per numerics: the per-timestep max |logits
difference| (median, 99th percentile, max over all timesteps of all clips), timesteps whose argmax differs,
and the number of clips whose greedy transcript is identical.

Run: python benchmarks/parity_tflite.py [--model model.tflite] [--numerics hybrid_int8 f32] [--clips N]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYDS_SHARED", REPO.parent / "shared"))
sys.path.insert(0, str(REPO / "tests"))


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def clip_sequences(clips: list[Path]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    from pyds.convert.verify import chunk_windows
    from pyds.features import FeatureStream

    seqs, lengths = {}, {}
    for i, clip in enumerate(clips):
        fs = FeatureStream(16000)
        frames = np.concatenate([fs.accept(read_wav(clip)), fs.flush()])
        seqs[f"seq{i}"], lengths[f"seq{i}"] = chunk_windows(frames)
    return seqs, lengths


def compare(ref: dict, ours: dict, lengths: dict[str, int]) -> dict[str, float]:
    from pyds.convert.verify import greedy_labels

    per_step, flips, same = [], 0, 0
    for key, n in lengths.items():
        a = ref[key].reshape(-1, ref[key].shape[-1])[:n]
        b = ours[key].reshape(-1, ref[key].shape[-1])[:n]
        per_step.append(np.abs(a - b).max(axis=1))
        flips += int((a.argmax(1) != b.argmax(1)).sum())
        same += greedy_labels(a) == greedy_labels(b)
    d = np.concatenate(per_step)
    return {
        "median": float(np.median(d)),
        "p99": float(np.percentile(d, 99)),
        "max": float(d.max()),
        "argmax_flips": flips,
        "timesteps": int(d.size),
        "identical": same,
        "clips": len(lengths),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="the .tflite (default: the armspeech fixture)")
    ap.add_argument("--numerics", nargs="+", default=["hybrid_int8", "f32"])
    ap.add_argument("--graph", default="canonical")
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--long", action="store_true", help="the two long files (72 s, 149 s) instead")
    ap.add_argument("--python", default=os.environ.get("PYDS_TFLITE_PYTHON", "/work/venv-tflite/bin/python"))
    ap.add_argument("--ref-cache", type=Path, default=None, help="npz to keep tflite-runtime's outputs in")
    args = ap.parse_args()

    from pyds.convert import convert_model
    from pyds.convert.verify import run_ir, run_tflite

    model = args.model
    if model is None:
        from conftest import fetch_armenian_model

        model = fetch_armenian_model()
    data = SHARED / "data" / "armenian-tts"
    with open(data / "manifest.tsv", encoding="utf-8") as f:
        rows = [row["file"] for row in csv.DictReader(f, delimiter="\t")]
    names = [n for n in rows if n.startswith("long") == args.long]
    clips = [data / n for n in names[: args.clips]]
    seqs, lengths = clip_sequences(clips)
    t = time.perf_counter()
    if args.ref_cache and args.ref_cache.exists():
        with np.load(args.ref_cache) as cached:
            ref = {k: cached[k] for k in cached.files}
    else:
        ref = run_tflite(model, seqs, python=args.python)
        if args.ref_cache:
            np.savez(args.ref_cache, **ref)
    print(f"tflite-runtime: {len(clips)} clips, {sum(lengths.values())} timesteps, {time.perf_counter() - t:.1f} s")
    print(f"{'numerics':12s} {'graph':10s} {'median':>9s} {'p99':>9s} {'max':>9s} {'argmax≠':>8s} {'identical':>10s}")
    for numerics in args.numerics:
        with tempfile.TemporaryDirectory() as tmp:
            out = convert_model(model, Path(tmp) / "b", numerics=numerics, graph=args.graph)
            from pyds.bundle import Bundle

            b = Bundle.read(out)
            ours = run_ir(str(b.model_path), b.numerics, seqs, b.n_cell_dim)
        r = compare(ref, ours, lengths)
        print(
            f"{numerics:12s} {args.graph:10s} {r['median']:9.2e} {r['p99']:9.2e} {r['max']:9.2e} "
            f"{r['argmax_flips']:8d} {r['identical']:5d} / {r['clips']}"
        )


if __name__ == "__main__":
    main()
